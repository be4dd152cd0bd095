"""Each worker process's runtime: built in the process itself, once, after it forked.

Engines and sockets never cross a fork, so the pool processes build theirs when they
start (or at their first task). Harnesses (tests, the benchmark) may build it another way
with `use_builder`, e.g. to count the market-data calls that reach the source.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from tradewind.bootstrap.runtime import WorkerRuntime
from tradewind.bootstrap.worker import build_worker_runtime
from tradewind.settings import Settings

log = logging.getLogger(__name__)

Builder = Callable[[Settings, int], WorkerRuntime]


class _Process:
    """This process's runtime, and how to build it."""

    builder: Builder | None = None
    runtime: WorkerRuntime | None = None
    pid: int | None = None


def use_builder(builder: Builder | None) -> None:
    """Build each process's runtime with `builder(settings, seed)` (None: the default)."""
    _Process.builder = builder


def runtime(settings: Settings, seed: int) -> WorkerRuntime:
    """Return this process's runtime, building it on first use."""
    if _Process.runtime is None or _Process.pid != os.getpid():
        _Process.runtime = (_Process.builder or build_worker_runtime)(settings, seed)
        _Process.pid = os.getpid()
    return _Process.runtime

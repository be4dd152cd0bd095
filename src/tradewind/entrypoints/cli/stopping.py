"""How a long-running command is asked to stop: Ctrl-C (SIGINT) or SIGTERM, the signal a
service manager (systemd, Docker, Kubernetes) sends, both end it the same orderly way."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_STOPPING = (signal.SIGINT, signal.SIGTERM)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM raise KeyboardInterrupt in the main thread;
    the handlers before are put back after. SIGINT is set too because a process started in
    the background from a non-interactive shell inherits it ignored, and Python then never
    raises KeyboardInterrupt for it."""
    before = {sig: signal.signal(sig, _interrupt) for sig in _STOPPING}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)

"""Each worker process's runtime: built in the process itself, once, after it forked.

Engines and sockets never cross a fork, so the pool processes build theirs when they
start (or at their first task). Harnesses (tests, the benchmark) may build it another way
with `use_builder`, e.g. to count the market-data calls that reach the source.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from decimal import Decimal

import redis

from tradewind.adapters.clocks import SystemClock
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.generated import GeneratedMarket
from tradewind.adapters.shared.redis_store import Names, connect_redis
from tradewind.bootstrap.runtime import WorkerRuntime, worker_runtime
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType
from tradewind.entrypoints.cli.market_sources import START_PRICES
from tradewind.settings import Settings

log = logging.getLogger(__name__)

HISTORY_MINUTES = 2 * 1440  # generated candles before the market's start, for indicators
MARKET_DAYS = 30

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
        _Process.runtime = (_Process.builder or build_runtime)(settings, seed)
        _Process.pid = os.getpid()
    return _Process.runtime


def build_runtime(settings: Settings, seed: int) -> WorkerRuntime:
    """Wire a worker on PostgreSQL, Redis, the paper market and the wall clock."""
    client = connect_redis(settings.redis_url)
    market = paper_market(client, Names(settings.namespace), seed, SystemClock().now())
    return worker_runtime(settings, market, market, SystemClock(), client)


def paper_market(client: redis.Redis, names: Names, seed: int, now: int) -> GeneratedMarket:
    """Return the generated market of this namespace: the first worker fixes its start."""
    key = names.key("paper", "market")
    start = now - now % 60 - HISTORY_MINUTES * 60
    client.set(key, json.dumps({"start": start, "seed": seed}), nx=True)
    stored = client.get(key)
    spec = json.loads(stored) if isinstance(stored, bytes | str) else {}
    if spec.get("seed") != seed:
        raise ConfigurationError(
            f"--seed {seed}: the paper market of namespace {names.namespace!r} runs with seed "
            f"{spec.get('seed')}; start every worker with the same seed"
        )
    return GeneratedMarket(
        int(spec["start"]),
        HISTORY_MINUTES + MARKET_DAYS * 1440,
        seed,
        start_price=lambda symbol: START_PRICES.get(symbol, Decimal(100)),
        tick=lambda symbol: rules_for(symbol, PositionType.SPOT).tick_size,
    )

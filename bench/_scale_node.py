"""A `tradewind worker` for the scale benchmark: the product's worker, its calls counted.

    python bench/_scale_node.py [--concurrency N] [--pool prefork|solo]

Settings come from the environment (TRADEWIND_*), as for `tradewind worker`. The one
addition: every call that reaches the market-data source (what would be a Binance klines
request) is counted in Redis at `namespace:bench:md:UNTIL`, so the benchmark can show
that the calls per slot do not grow with the number of bots.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import time
from typing import Any

import redis
from celery.signals import task_postrun, worker_process_init

from tradewind.adapters.clocks import SystemClock
from tradewind.adapters.shared.redis_store import Names, connect_redis
from tradewind.bootstrap.runtime import WorkerRuntime, worker_runtime
from tradewind.bootstrap.worker import paper_market
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType
from tradewind.entrypoints.worker.app import configure, slots_queue, ticks_queue
from tradewind.entrypoints.worker.runtime import use_builder
from tradewind.ports import MarketData
from tradewind.settings import Settings

SEED = 7


class CountedSource:
    """Market data whose calls are counted per slot in Redis."""

    def __init__(self, inner: MarketData, client: redis.Redis, names: Names) -> None:
        self._inner, self._redis, self._names = inner, client, names

    def closed_candles(
        self, symbol: str, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        self._redis.incr(self._names.key("bench", "md", until))
        return self._inner.closed_candles(symbol, timeframe, position_type, until, limit)


class _Profile:
    profiler: cProfile.Profile | None = None
    written = 0.0


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _profile_process(**_: Any) -> None:
    if os.environ.get("TRADEWIND_BENCH_PROFILE"):
        _Profile.profiler = cProfile.Profile()
        _Profile.profiler.enable()


@task_postrun.connect  # type: ignore[untyped-decorator]
def _write_profile(**_: Any) -> None:
    profiler = _Profile.profiler
    if profiler is None or time.monotonic() - _Profile.written < 10:
        return
    _Profile.written = time.monotonic()
    folder = os.environ["TRADEWIND_BENCH_PROFILE"]
    profiler.disable()
    profiler.dump_stats(os.path.join(folder, f"worker-{os.getpid()}.prof"))
    profiler.enable()


def build(settings: Settings, seed: int) -> WorkerRuntime:
    """The product's runtime (`bootstrap.worker.build_worker_runtime`), with the source counted."""
    client = connect_redis(settings.redis_url)
    names = Names(settings.namespace)
    market = paper_market(client, names, seed, SystemClock().now())
    source = CountedSource(market, client, names)
    return worker_runtime(settings, source, market, SystemClock(), client)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--pool", default="prefork")
    args = parser.parse_args()
    settings = Settings()
    app = configure(settings, paper_seed=SEED)
    use_builder(build)
    app.worker_main(
        [
            "worker", "--loglevel=INFO", f"--concurrency={args.concurrency}",
            f"--pool={args.pool}", f"--queues={slots_queue(settings)},{ticks_queue(settings)}",
            f"--hostname=bench-{settings.namespace}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]
    )  # fmt: skip


if __name__ == "__main__":
    main()

"""A real `tradewind worker` or `tradewind scheduler` process, with what a test needs added.

    python -m tests.integration.celery_child worker|scheduler|feeder [--duplicate]
                                             [--kill-after-order]

Settings come from the environment (TRADEWIND_*), as for `tradewind worker`. Added:
- the clock is the test's: the Unix time stored at `namespace:test:now` (the test moves it),
  or, when TW_TEST_VENUE_CLOCK is `VENUE_S,WALL_S,SPEED`, the clock of a Binance server
  running at SPEED times real time that stood at VENUE_S at the wall time WALL_S;
- every call that reaches the market-data source is counted at `namespace:test:md:UNTIL`;
- --duplicate publishes every task twice, the same message with the same id (the broker
  delivering it twice);
- --kill-after-order SIGKILLs the worker process that placed the first order on the paper
  exchange, right after the exchange took it (once per namespace).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from dataclasses import replace
from typing import Any

import redis
from celery import Celery
from celery.signals import after_task_publish, before_task_publish

from tradewind.adapters.shared.redis_store import Names, connect_redis
from tradewind.bootstrap.feeder import FeederProcess
from tradewind.bootstrap.runtime import WorkerRuntime, worker_runtime
from tradewind.bootstrap.worker import paper_market
from tradewind.domain.candles import Candles
from tradewind.domain.orders import OrderReport, OrderRequest
from tradewind.domain.types import PositionType
from tradewind.entrypoints.worker.app import SLOT_SETTLE_S, configure
from tradewind.entrypoints.worker.beat import EverySlot
from tradewind.entrypoints.worker.runtime import use_builder
from tradewind.ports import AccountAccess, Exchange, ExchangeProvider, MarketData
from tradewind.settings import Settings

SEED = 7


class RedisClock:
    """The time the test sets, read from Redis (whole seconds, as every Clock)."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self._redis, self._key = client, key

    def now(self) -> int:
        value = self._redis.get(self._key)
        if value is None:
            raise RuntimeError("the test has not set the time yet")
        return int(bytes(value))  # type: ignore[arg-type]

    def exact(self) -> float:
        return float(self.now())


class VenueClock:
    """The clock of a server replaying its market at `speed` times real time."""

    def __init__(self, spec: str) -> None:
        venue, wall, speed = (float(part) for part in spec.split(","))
        self._venue, self._wall, self.speed = venue, wall, speed

    def exact(self) -> float:
        return self._venue + (time.time() - self._wall) * self.speed

    def now(self) -> int:
        return int(self.exact())


def clock_of(client: redis.Redis, names: Names) -> RedisClock | VenueClock:
    spec = os.environ.get("TW_TEST_VENUE_CLOCK")
    return VenueClock(spec) if spec else RedisClock(client, names.key("test", "now"))


class CountingMarketData:
    """Counts, per slot, the calls that reach the source (the exchange's klines)."""

    def __init__(self, inner: MarketData, client: redis.Redis, names: Names) -> None:
        self._inner, self._redis, self._names = inner, client, names

    def closed_candles(
        self, symbol: str, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        self._redis.incr(self._names.key("test", "md", until))
        return self._inner.closed_candles(symbol, timeframe, position_type, until, limit)


class KillAfterOrder:
    """An exchange whose process dies right after the exchange took its first order."""

    def __init__(self, inner: Exchange, client: redis.Redis, names: Names) -> None:
        self._inner, self._redis, self._names = inner, client, names

    def place_market_order(self, order: OrderRequest) -> OrderReport:
        report = self._inner.place_market_order(order)
        if self._redis.set(self._names.key("test", "killed"), order.client_order_id.value, nx=True):
            os.kill(os.getpid(), signal.SIGKILL)
        return report

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class KillingExchanges:
    def __init__(self, inner: ExchangeProvider, client: redis.Redis, names: Names) -> None:
        self._inner, self._redis, self._names = inner, client, names

    def for_account(self, access: AccountAccess) -> Exchange:
        exchange = self._inner.for_account(access)
        return KillAfterOrder(exchange, self._redis, self._names)  # type: ignore[return-value]


def builder(kill: bool) -> Any:
    def build(settings: Settings, seed: int) -> WorkerRuntime:
        client = connect_redis(settings.redis_url)
        names = Names(settings.namespace)
        clock = clock_of(client, names)
        market = paper_market(client, names, seed, clock.now())
        counted = CountingMarketData(market, client, names)
        runtime = worker_runtime(settings, counted, market, clock, client)
        if kill:
            exchanges = KillingExchanges(runtime.deps.exchanges, client, names)
            runtime.deps = replace(runtime.deps, exchanges=exchanges)
        return runtime

    return build


def publish_twice(app: Celery) -> None:
    """Publish every task message a second time, unchanged: same body, headers and id."""
    pending = threading.local()

    @before_task_publish.connect(weak=False)
    def remember(body: Any, exchange: str, routing_key: str, headers: Any, properties: Any,
                 declare: Any, **_: Any) -> None:  # fmt: skip
        pending.message = (body, exchange, routing_key, dict(headers), dict(properties), declare)

    @after_task_publish.connect(weak=False)
    def again(**_: Any) -> None:
        body, exchange, routing_key, headers, properties, declare = pending.message
        with app.producer_or_acquire() as producer:
            producer.publish(
                body, exchange=exchange, routing_key=routing_key, headers=headers,
                declare=declare, serializer="json", **properties,
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["worker", "scheduler", "feeder"])
    parser.add_argument("--duplicate", action="store_true")
    parser.add_argument("--kill-after-order", action="store_true")
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    settings = Settings()
    client = connect_redis(settings.redis_url)
    clock = clock_of(client, Names(settings.namespace))
    if args.role == "feeder":
        run_feeder(settings, clock)
        return
    app = configure(settings, paper_seed=SEED)
    if args.duplicate:
        publish_twice(app)
    speed = clock.speed if isinstance(clock, VenueClock) else 1.0
    schedule = app.conf.beat_schedule
    schedule["plan-slot"]["schedule"] = EverySlot(SLOT_SETTLE_S, now=clock.exact, speed=speed)
    schedule["plan-streamed"]["schedule"] = EverySlot(0, now=clock.exact, speed=speed)
    use_builder(builder(args.kill_after_order))
    if args.role == "scheduler":
        app.Beat(loglevel="INFO", quiet=True).run()
        return
    queues = f"{settings.namespace}.slots,{settings.namespace}.ticks"
    app.worker_main(
        [
            "worker", "--loglevel=INFO", f"--concurrency={args.concurrency}", "--pool=prefork",
            f"--queues={queues}", f"--hostname=test-{settings.namespace}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]
    )  # fmt: skip


def run_feeder(settings: Settings, clock: RedisClock | VenueClock) -> None:
    """`tradewind feeder`, on the test's clock, until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    FeederProcess(settings, refresh_s=1.0, clock=clock).run(stop)


if __name__ == "__main__":
    main()

"""Live bots while Redis, which holds the shared Binance weight budget, goes away and back.

A Redis of the test's own (killed with SIGKILL mid-run, started again on the same port),
the real tick, the Binance adapter and the local server. While Redis is away no request
may reach Binance, for no weight can be reserved: the bots decide nothing that sends, each
order wanted is recorded unplaced with Redis named as the cause, and the run goes on. Once
Redis is back the bots trade again, and every order the server took has exactly one row.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from tests.integration.binance_fault_run import FaultRun, settled
from tests.waiting import SAFETY_S, wait_until
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.bootstrap.venues import AccountExchanges, PaperExchanges
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.orders import OrderStatus
from tradewind.services.scheduler import run_slot
from tradewind.services.tick import TickOutcome

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server must be installed"
)
MAX_SLOTS = 60  # a phase that sees nothing it waits for within this many minutes fails


class OwnRedis:
    """A redis-server on a free loopback port, for this test alone (no files kept)."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self._workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_until(answers, f"redis-server on port {self.port}")
        client.close()

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(SAFETY_S)
        self._process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def requests_total(run: FaultRun) -> int:
    return int(run.server.stats()["requests_total"])  # type: ignore[call-overload]


def accepted(run: FaultRun) -> int:
    orders = run.server.stats()["orders_accepted"]
    assert isinstance(orders, dict)
    return int(orders["total"])


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_no_order_goes_without_its_weight_and_trading_resumes_when_redis_is_back(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    own_redis: OwnRedis,
) -> None:
    run = FaultRun(engine, tick_uow, manage_uow, minutes=3 * MAX_SLOTS)
    run.start(spot=2, futures=1)
    try:
        options = BinanceOptions(
            url=run.server.base_url, timeout=15.0, retry_max_attempts=3,
            retry_backoff_base=0.01, seed=3, redis_url=own_redis.url,
            namespace=f"tw-test-{uuid.uuid4().hex[:10]}",
        )  # fmt: skip
        binance = BinanceExchanges(options)
        assert run.deps is not None
        # The candles from the process's own book (as `run --exchange binance` has them):
        # with Redis away the bots still get as far as wanting to order.
        deps = replace(
            run.deps,
            exchanges=AccountExchanges({
                ExchangeKind.PAPER: PaperExchanges(SimulatedVenue(run.market, run.clock)),
                ExchangeKind.BINANCE: binance,
            }),
            market_data=run.market,
        )  # fmt: skip
        ids = [b.bot_id for b in run.bots]
        outcomes: Counter[TickOutcome] = Counter()

        def next_slot() -> None:
            slot = run.clock.now() + 60
            run.clock.set(slot)
            outcomes.update(run_slot(deps, ids, slot).outcomes)

        def until(done: Callable[[], bool], what: str) -> None:
            for _ in range(MAX_SLOTS):
                if done():
                    return
                next_slot()
            raise AssertionError(f"{what} within {MAX_SLOTS} slots")

        # Redis up: the bots trade.
        until(lambda: accepted(run) >= 2, "two orders accepted with Redis up")

        own_redis.kill()
        sent_before, accepted_before = requests_total(run), accepted(run)
        rows_before = {o.client_order_id for o in run.orders()}
        away_slots = 0

        def refused_for_redis() -> bool:
            return any(
                o.status is OrderStatus.REJECTED and "Redis away" in (o.reason or "")
                for o in run.orders()
                if o.client_order_id not in rows_before
            )

        named: list[bool] = []  # after each slot: whether a bot's state names Redis

        def one_away_slot() -> bool:
            nonlocal away_slots
            away_slots += 1
            named.append(_reason_names_redis(manage_uow, ids))
            return away_slots > 3 and refused_for_redis() and any(named)

        until(one_away_slot, "an order wanted while Redis is away, refused naming Redis")
        # Not one request reached Binance without its weight reserved.
        assert requests_total(run) == sent_before
        assert accepted(run) == accepted_before

        own_redis.start()  # empty, as a Redis restarted without its files is
        until(lambda: accepted(run) > accepted_before, "an order accepted after Redis is back")
        for _ in range(5):  # quiet slots: anything still open is settled by client id
            next_slot()

        orders = run.orders()
        positions = {b.bot_id: (run.database_position(b), run.server_position(b)) for b in run.bots}
        on_server = [o for b in run.bots for o in run.server_orders(b)]
    finally:
        run.stop()

    assert settled(orders)
    # Every order the server took has exactly one row, and no row names one twice.
    by_client_id = Counter(o.client_order_id for o in orders)
    assert max(by_client_id.values()) == 1
    server_ids = Counter(str(o["clientOrderId"]) for o in on_server)
    assert max(server_ids.values()) == 1
    placed = {o.client_order_id for o in orders if o.status is OrderStatus.FILLED}
    assert set(server_ids) <= set(by_client_id)
    assert placed <= set(server_ids)
    for bot_id, (mine, theirs) in positions.items():
        assert mine == theirs, bot_id
    assert TickOutcome.ERROR not in outcomes


def _reason_names_redis(manage_uow: Callable[[], SqlManageUnitOfWork], ids: list[int]) -> bool:
    with manage_uow() as uow:
        reasons = [bot.state.reason or "" for bot in map(uow.bots.get, ids) if bot is not None]
    return any("Redis away" in reason for reason in reasons)

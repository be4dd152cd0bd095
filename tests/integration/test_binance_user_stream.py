"""Resting exits read from the account's user data stream, not asked of Binance each slot.

The real tick trades a spot bot through the Binance adapter against the Binance-compatible
server, on PostgreSQL; the account's `UserStream` records the server's
`executionReport`s into the real Redis, where the adapter reads the bot's resting
stop-loss / take-profit (an OCO). The market falls, rises slowly (the bot buys, its exits
rest) and then jumps through the take-profit. Before each slot the test waits until the
stream has told what the server did, so the slot that books the fill is known.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
import redis
from pydantic import SecretStr
from sqlalchemy import Engine

from tests.market_script import MINUTE, T0, minute_candles
from tests.waiting import SAFETY_S, wait_until
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.binance.order_updates import OrderUpdates
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.binance.user_events import Entry, order_key
from tradewind.adapters.exchange.binance.user_stream import UserStream
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.shared.redis_store import Names
from tradewind.bootstrap.venues import AccountExchanges
from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.records import TradeRecord
from tradewind.domain.types import PositionType
from tradewind.ports import AccountAccess, NewAccount
from tradewind.services.scheduler import run_slot
from tradewind.services.tick import TickDeps
from tradewind.testkit.binance_server.server import BinanceServer

D = Decimal
REDIS_URL = "redis://127.0.0.1:6379/0"
JUMP = 30  # the minute that goes through the take-profit
LOOKUPS = {
    PositionType.SPOT: ("GET /api/v3/order", "GET /api/v3/myTrades"),
    # (GET /fapi/v1/userTrades is also how a MARKET order placed reads its fee: not counted.)
    PositionType.FUTURES: ("GET /fapi/v1/algoOrder", "GET /fapi/v1/order"),
}


def market() -> list[tuple[str, str, str, str]]:
    """Ten minutes down 20 a minute, twenty up 20 a minute (the bot buys on the turn; its
    1 % exits rest, never reached), then minute 30 jumps 400 through the take-profit."""
    closes = [40_000 - 20 * i for i in range(10)] + [39_820 + 20 * i for i in range(1, 21)]
    closes += [40_620 + 10 * i for i in range(8)]
    rows, previous = [], 40_000
    for close in closes:
        rows.append((previous, max(previous, close) + 10, min(previous, close) - 10, close))
        previous = close
    return [tuple(str(v) for v in row) for row in rows]  # type: ignore[misc]


@dataclass
class Run:
    """The server, the bot on it, its tick and its account's stream."""

    server: BinanceServer
    clock: ReplayClock
    deps: TickDeps
    updates: OrderUpdates
    stream: UserStream
    bot_id: int
    account_id: int
    manage_uow: Callable[[], SqlManageUnitOfWork]
    market: PositionType = PositionType.SPOT

    def lookups(self) -> int:
        requests = self.server.stats()["requests"]
        assert isinstance(requests, dict)
        return sum(int(requests.get(path, 0)) for path in LOOKUPS[self.market])

    def told(self, key: object) -> dict[str, object] | None:
        raw = self.updates_client().hget(self.orders_key(), str(key))
        return None if raw is None else Entry.load(raw).order

    def stream_told_all(self) -> bool:
        """Tell whether the stream's record holds each order as the server has it (a
        futures exit: its algo order, and once fired, the MARKET order it placed)."""
        state = self.server.account_state("key")  # the venue catches up with its clock
        assert state is not None
        orders, algos = state["orders"], state["algo_orders"]
        assert isinstance(orders, list)
        assert isinstance(algos, list)
        algo_ids = {a["clientAlgoId"] for a in algos}
        for order in orders:
            status, filled = order["status"], D(order["executedQty"])
            if self.market is PositionType.SPOT:
                told = self.told(order["clientOrderId"])
                if told is None or (told["status"], D(str(told["executedQty"]))) != (
                    status,
                    filled,
                ):
                    return False
                continue
            if order["clientOrderId"] in algo_ids:
                algo = self.told(order["clientOrderId"])
                expected = {"NEW": ("NEW", "TRIGGERED"), "FILLED": ("FINISHED",)}
                if algo is None or algo["algoStatus"] not in expected.get(status, (status,)):
                    return False
                if status != "FILLED":
                    continue  # resting, or cancelled before it fired: no order of its own
            fired = self.told(order_key(order["orderId"]))
            if fired is None or (fired["status"], D(str(fired["executedQty"]))) != (status, filled):
                return False
        return True

    def slot(self, minute: int) -> int:
        """Move to `minute`, wait for the stream to tell what happened, tick; the look-ups."""
        at = T0 + minute * MINUTE
        self.clock.set(at)
        if self.stream.session is not None:
            wait_until(self.stream_told_all, f"the stream's news of minute {minute}")
        before = self.lookups()
        run_slot(self.deps, [self.bot_id], at)
        return self.lookups() - before

    def trades(self) -> list[TradeRecord]:
        with self.manage_uow() as uow:
            found = uow.trades.recent(bot_id=self.bot_id, limit=100)
        return sorted(found, key=lambda t: t.timestamp)

    def updates_client(self) -> redis.Redis:
        return self.updates._redis

    def orders_key(self) -> str:
        return self.updates._orders_key(self.account_id)


@contextmanager
def following(stream: UserStream) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=stream.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: stream.session is not None, "the stream's first session")
        yield stop
    finally:
        stop.set()
        thread.join(timeout=SAFETY_S)


@pytest.fixture
def run(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    redis_client: redis.Redis,
    names: Names,
) -> Iterator[Run]:
    with open_run(PositionType.SPOT, engine, tick_uow, manage_uow, redis_client, names) as run:
        yield run


@contextmanager
def open_run(
    kind: PositionType,
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    redis_client: redis.Redis,
    names: Names,
) -> Iterator[Run]:
    """The server on the module's market, a `kind` bot with 1 % exits, its account's stream."""
    candles = ReplayMarketData({"BTCUSDT": minute_candles(market())})
    clock = ReplayClock(T0 + MINUTE)
    server = BinanceServer(SimulatedVenue(candles, clock, seed=5), seed=5)
    server.start()
    try:
        binance = BinanceExchanges(
            BinanceOptions(
                url=server.base_url, timeout=5.0, seed=1, redis_url=REDIS_URL,
                namespace=names.namespace,
            )
        )  # fmt: skip
        deps = TickDeps(
            uow=tick_uow,
            exchanges=AccountExchanges({ExchangeKind.BINANCE: binance}),
            market_data=binance.market_data(),
            lock=make_bot_lock(engine),
            clock=clock,
        )
        server.add_account("key", "secret", spot={"USDT": D(10_000)}, futures={"USDT": D(10_000)})
        config = BotConfig.model_validate({
            "name": "rester", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": kind.value,
            "custom_ema_fast": 2, "custom_ema_slow": 3, "custom_rsi_period": 2,
            "custom_rsi_oversold": 1, "custom_rsi_overbought": 99, "custom_stop_loss": "1",
            "custom_take_profit": "1",
            # USD-M's minimum notional is 100 (spot's 5): a quantity of 0.002 is not enough.
            "position_size_fixed": "100" if kind is PositionType.SPOT else "200",
        })  # fmt: skip
        with manage_uow() as uow:
            user = uow.users.add("rest@example.com", "Rest", T0)
            account = uow.accounts.add(
                NewAccount(
                    user_id=user.id, name="binance", kind=ExchangeKind.BINANCE,
                    api_key=SecretStr("key"), api_secret=SecretStr("secret"), created_at=T0,
                )
            )  # fmt: skip
            bot = uow.bots.add(user.id, account.id, config, T0)
            uow.bots.set_active(bot.id, True)
            uow.commit()
        with manage_uow() as uow:
            access = uow.accounts.access(account.id)
        assert access is not None
        updates = OrderUpdates(redis_client, names, kind)
        transport = binance.for_account(access).transport
        url = server.stream_url if kind is PositionType.SPOT else server.futures_stream_url
        stream = UserStream(transport, account.id, url, updates, now_ms=lambda: clock.now() * 1000)
        yield Run(server, clock, deps, updates, stream, bot.id, account.id, manage_uow, kind)
    finally:
        server.stop()


def in_position_with_resting_exits(run: Run) -> int:
    """Tick minutes 1-13 (the bot buys at 12, its exits rest); the look-ups after the buy."""
    for minute in range(1, 13):
        run.slot(minute)
    (entry,) = run.trades()
    assert entry.purpose is OrderPurpose.ENTRY
    return run.slot(13)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_resting_exit_filled_is_booked_from_the_stream_with_no_order_look_up(
    run: Run,
) -> None:
    with following(run.stream):
        assert in_position_with_resting_exits(run) == 0
        quiet = [run.slot(minute) for minute in range(14, JUMP)]
        assert quiet == [0] * len(quiet)  # in position, exits resting: no look-up
        # The take-profit fires in minute 30; the stream says so before the slot of 31,
        # which books it.
        assert run.slot(JUMP) == 0
        assert len(run.trades()) == 1
        assert run.slot(JUMP + 1) == 0
        _entry, exit_ = run.trades()
    assert exit_.purpose is OrderPurpose.TAKE_PROFIT
    assert exit_.realized_pnl is not None
    assert exit_.realized_pnl > 0
    assert run.lookups() == 0  # not one REST look-up of an order, the whole run


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_same_fill_told_twice_books_once(run: Run) -> None:
    with following(run.stream):
        in_position_with_resting_exits(run)
        run.clock.set(T0 + (JUMP + 1) * MINUTE)
        wait_until(run.stream_told_all, "the stream's news of the fill")
        client, key = run.updates_client(), run.orders_key()
        entries = {k: Entry.load(v) for k, v in client.hgetall(key).items()}
        filled = next(e for e in entries.values() if e.order["type"] == "TAKE_PROFIT")
        (trade_id, fill) = next(iter(filled.fills.items()))
        event = {
            "e": "executionReport", "s": filled.order["symbol"], "c": filled.order["clientOrderId"],
            "C": "", "i": filled.order["orderId"], "S": filled.order["side"],
            "o": filled.order["type"], "X": "FILLED", "x": "TRADE", "q": filled.order["origQty"],
            "z": filled.order["executedQty"], "Z": filled.order["cummulativeQuoteQty"],
            "T": filled.order["updateTime"], "t": int(trade_id), "L": fill["price"],
            "l": fill["qty"], "n": fill["commission"], "N": fill["commissionAsset"],
        }  # fmt: skip
        session = run.stream.session
        assert session is not None
        for _ in range(2):  # delivered again, twice
            run.updates.record(run.account_id, session, event)
        assert Entry.load(client.hget(key, filled.order["clientOrderId"])) == filled  # type: ignore[arg-type]
        run_slot(run.deps, [run.bot_id], T0 + (JUMP + 1) * MINUTE)
        run_slot(run.deps, [run.bot_id], T0 + (JUMP + 2) * MINUTE)
        _, exit_ = run.trades()
    assert exit_.fee == D(fill["commission"])  # the fee counted once
    assert run.lookups() == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_after_a_gap_the_orders_are_looked_up_once_and_a_fill_missed_is_booked_once(
    run: Run,
) -> None:
    with following(run.stream) as stop:
        in_position_with_resting_exits(run)
        run.server.drop_stream_connections()  # a reconnect: a new session
        wait_until(lambda: run.stream.stats.connects >= 2 and run.stream.session is not None,
                   "the reconnect")  # fmt: skip
        assert run.slot(14) == 2  # each leg of the OCO once, by REST
        assert run.slot(15) == 0  # current again in the new session
        stop.set()  # the stream's owner goes away
        wait_until(lambda: run.stream.session is None, "the stream's end")
    looked_up = [run.slot(minute) for minute in range(16, JUMP + 2)]
    assert all(n >= 1 for n in looked_up)  # no stream: REST each slot, as before
    _entry, exit_ = run.trades()  # booked once, by REST
    assert exit_.purpose is OrderPurpose.TAKE_PROFIT
    run.slot(JUMP + 3)
    assert len(run.trades()) == 2


def test_the_listen_key_is_kept_alive_and_a_new_one_taken_when_it_expires(
    redis_client: redis.Redis, names: Names
) -> None:
    clock = ReplayClock(T0 + MINUTE)
    candles = ReplayMarketData({"BTCUSDT": minute_candles(market())})
    server = BinanceServer(SimulatedVenue(candles, clock, seed=5), seed=5).start()
    try:
        server.add_account("key", "secret", spot={"USDT": D(10_000)})
        binance = BinanceExchanges(BinanceOptions(url=server.base_url, timeout=5.0, seed=1))
        access = AccountAccess(1, ExchangeKind.BINANCE, "key", "secret")
        updates = OrderUpdates(redis_client, names)
        stream = UserStream(
            binance.for_account(access).transport, 1, server.stream_url, updates, keepalive_s=0.2
        )
        with following(stream):
            wait_until(lambda: stream.stats.keepalives >= 2, "two keepalives")
            first = stream.session
            assert stream.stats.connects == 1  # kept alive: the same connection
            server.expire_listen_keys()
            wait_until(lambda: stream.session not in (None, first), "a session on a new key")
            assert stream.stats.connects == 2
        requests = server.stats()["requests"]
        assert isinstance(requests, dict)
        assert requests["POST /api/v3/userDataStream"] == 2
    finally:
        server.stop()

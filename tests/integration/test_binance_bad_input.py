"""What a Binance bot does with a wrong key, a missing permission, a refused order.

Each case runs the real tick against the project's Binance-compatible server until the bot
has tried to trade, then reads the bot's state, its orders and its owner's outbox back
from the database: each failure is named, nothing that cannot succeed is retried, and no
key or secret is ever written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, text

from tests.integration.binance_fault_run import START, T0, WARMUP, fast_config
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bootstrap.venues import AccountExchanges, PaperExchanges
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.bots import BotState, BotStatus
from tradewind.domain.records import OrderRecord
from tradewind.domain.types import PositionType
from tradewind.ports import AccountAccess, NewAccount
from tradewind.services.scheduler import run_slot, slots_between
from tradewind.services.tick import TickDeps
from tradewind.testkit.binance_server.server import BinanceServer

KEY, SECRET = "good-key-0123456789", "good-secret-9876543210"


@dataclass
class OneBot:
    server: BinanceServer
    deps: TickDeps
    manage_uow: Callable[[], SqlManageUnitOfWork]
    engine: Engine
    clock: ReplayClock
    bot_id: int = 0

    def add(self, config_type: PositionType, key: str, secret: str, **fields: object) -> None:
        with self.manage_uow() as uow:
            user = uow.users.add("owner@example.com", "Owner", T0)
            account = uow.accounts.add(
                NewAccount(
                    user_id=user.id, name="main", kind=ExchangeKind.BINANCE,
                    api_key=SecretStr(key), api_secret=SecretStr(secret), created_at=T0,
                )
            )  # fmt: skip
            config = fast_config("bot", config_type, protected=False)
            if fields:
                config = config.model_copy(update=fields)
            bot = uow.bots.add(user.id, account.id, config, T0)
            uow.bots.set_active(bot.id, True)
            uow.commit()
        self.bot_id = bot.id

    def run_until(
        self, done: Callable[[BotState, list[OrderRecord]], bool], minutes: int = 90
    ) -> None:
        first = self.clock.now()
        for slot in slots_between(first, first + minutes * 60):
            self.clock.set(slot)
            run_slot(self.deps, [self.bot_id], slot)
            if done(self.state(), self.orders()):
                return
        raise AssertionError(f"never happened; the bot says: {self.state().reason}")

    def state(self) -> BotState:
        with self.manage_uow() as uow:
            bot = uow.bots.get(self.bot_id)
        assert bot is not None
        return bot.state

    def orders(self) -> list[OrderRecord]:
        with self.manage_uow() as uow:
            return list(uow.orders.recent(bot_id=self.bot_id, limit=1000))

    def everything_written(self) -> str:
        """Every text the database holds about the bot: state, orders, outbox."""
        with self.engine.connect() as db:
            rows = [
                *db.execute(text("SELECT * FROM bot_states")),
                *db.execute(text("SELECT * FROM orders")),
                *db.execute(text("SELECT * FROM outbox")),
            ]
        return "\n".join(str(tuple(r)) for r in rows)


@pytest.fixture
def one_bot(
    engine: Engine, tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> Iterator[OneBot]:  # fmt: skip
    candles = generate_market(WARMUP + 200, 60, seed=5, start_price=60_000, start_time=START)
    market = ReplayMarketData({"BTCUSDT": candles})
    clock = ReplayClock(T0 + WARMUP * 60)
    with BinanceServer(SimulatedVenue(market, clock, seed=2), seed=2) as server:
        options = BinanceOptions(url=server.base_url, timeout=30, lookup_delay=0.01, seed=1)
        binance = BinanceExchanges(options)
        deps = TickDeps(
            uow=tick_uow,
            exchanges=AccountExchanges(
                {
                    ExchangeKind.PAPER: PaperExchanges(SimulatedVenue(market, clock)),
                    ExchangeKind.BINANCE: binance,
                }
            ),
            market_data=binance.market_data(),
            lock=make_bot_lock(engine),
            clock=clock,
        )
        yield OneBot(server, deps, manage_uow, engine, clock)


def errored(state: BotState, _orders: list[OrderRecord]) -> bool:
    return state.status is BotStatus.ERROR


def test_a_wrong_secret_stops_the_bot_and_names_the_signature(one_bot: OneBot) -> None:
    one_bot.server.add_account(KEY, SECRET, spot={"USDT": Decimal(10_000)})
    one_bot.add(PositionType.SPOT, KEY, "not-the-secret-at-all")
    one_bot.run_until(errored)
    state = one_bot.state()
    assert "-1022" in (state.reason or "")
    assert "Signature" in (state.reason or "")
    assert "not-the-secret-at-all" not in one_bot.everything_written()
    assert "bot_error" in one_bot.everything_written()
    requests = one_bot.server.stats()["requests"]
    assert isinstance(requests, dict)
    assert requests.get("POST /api/v3/order", 0) == 0  # nothing was ever ordered


def test_an_unknown_key_stops_the_bot_and_says_what_to_check(one_bot: OneBot) -> None:
    one_bot.add(PositionType.SPOT, "nobody-has-this-key", SECRET)
    one_bot.run_until(errored)
    reason = one_bot.state().reason or ""
    assert "-2015" in reason
    assert "API key" in reason
    written = one_bot.everything_written()
    assert "nobody-has-this-key" not in written
    assert SECRET not in written


def test_a_key_without_futures_permission_stops_a_futures_bot(one_bot: OneBot) -> None:
    one_bot.server.add_account(KEY, SECRET, futures={"USDT": Decimal(5_000)}, futures_enabled=False)
    one_bot.add(PositionType.FUTURES, KEY, SECRET)
    one_bot.run_until(errored)
    reason = one_bot.state().reason or ""
    assert "-2015" in reason
    assert "permissions" in reason


def test_an_insufficient_balance_is_named_and_nothing_is_sent(one_bot: OneBot) -> None:
    one_bot.server.add_account(KEY, SECRET, spot={"USDT": Decimal(10)})  # entries are 60
    one_bot.add(PositionType.SPOT, KEY, SECRET)
    one_bot.run_until(lambda s, _o: "balance" in (s.reason or ""))
    state = one_bot.state()
    assert state.status is BotStatus.WAITING  # a refusal is not the owner's emergency
    assert "more than the free balance 10" in (state.reason or "")
    requests = one_bot.server.stats()["requests"]
    assert isinstance(requests, dict)
    assert requests.get("POST /api/v3/order", 0) == 0


def test_a_leverage_above_the_bracket_is_clamped_to_it(one_bot: OneBot) -> None:
    one_bot.server.add_account(KEY, SECRET, futures={"USDT": Decimal(1_000)})
    exchange = one_bot.deps.exchanges.for_account(
        AccountAccess(1, ExchangeKind.BINANCE, KEY, SECRET)
    )
    top = exchange.market_rules("XRPUSDT", PositionType.FUTURES).max_leverage
    assert 1 < top < 100
    assert exchange.set_leverage("XRPUSDT", 100) == top  # -4028, then the bracket's maximum
    held = one_bot.server.account_state(KEY)
    assert held is not None
    assert held["leverage"] == {"XRPUSDT": top}

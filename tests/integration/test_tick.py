"""The tick on a real database (SQLite and PostgreSQL) and the simulated exchange."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from sqlalchemy import Engine

from tests.integration.db_builders import paper_account, spot_config
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.simulated import FaultMode, SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bootstrap.venues import PaperExchanges
from tradewind.domain.bots import BotState, BotStatus
from tradewind.domain.limits import PauseReason
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.services.scheduler import run_slot, slots_between
from tradewind.services.tick import TickDeps, TickOutcome, run_tick

START = datetime(2024, 1, 1, tzinfo=UTC)
T0 = int(START.timestamp())


class World:
    """A bot on a paper account, a generated market, and a replay clock to move."""

    def __init__(
        self,
        engine: Engine,
        tick_uow: Callable[[], SqlUnitOfWork],
        manage_uow: Callable[[], SqlManageUnitOfWork],
        **config: object,
    ) -> None:
        candles = generate_market(3 * 1440, 60, seed=11, start_price=42_000, start_time=START)
        self.market = ReplayMarketData({"BTCUSDT": candles})
        self.clock = ReplayClock(T0)
        self.venue = SimulatedVenue(self.market, self.clock, seed=3)
        self.deps = TickDeps(
            uow=tick_uow, exchanges=PaperExchanges(self.venue), market_data=self.market,
            lock=make_bot_lock(engine), clock=self.clock,
        )  # fmt: skip
        self.manage_uow = manage_uow
        with manage_uow() as uow:
            user = uow.users.add("owner@example.com", "Owner", T0)
            account = uow.accounts.add(paper_account(user.id))
            fields = {"custom_stop_loss": 1, "custom_take_profit": "1.5",
                      "position_size_fixed": "100"} | config  # fmt: skip
            bot = uow.bots.add(user.id, account.id, spot_config(**fields), T0)
            uow.bots.set_active(bot.id, True)
            uow.commit()
        self.bot_id = bot.id
        self.last = T0

    def run_until(self, stop: Callable[[], bool], limit: int = 3 * 1440) -> int:
        """Tick slot by slot until `stop()` says so; return the last slot."""
        for slot in slots_between(self.last, T0 + limit * 60):
            self.clock.set(slot)
            run_slot(self.deps, [self.bot_id], slot)
            self.last = slot
            if stop():
                return slot
        raise AssertionError("the condition never came")

    def orders(self) -> list[OrderRecord]:
        with self.manage_uow() as uow:
            return list(uow.orders.recent(bot_id=self.bot_id, limit=10_000))

    def trades(self) -> list[TradeRecord]:
        with self.manage_uow() as uow:
            return list(uow.trades.recent(bot_id=self.bot_id, limit=10_000))

    def state(self) -> BotState:
        with self.manage_uow() as uow:
            bot = uow.bots.find()[0]
        return bot.state


def held_of(entry: TradeRecord) -> Decimal:
    """What a spot buy leaves to sell: the quantity less 0.1 %, floored to 0.00001 BTC."""
    return (entry.quantity * Decimal("0.999")).quantize(Decimal("0.00001"), ROUND_DOWN)


def pnl_by_hand(trades: list[TradeRecord]) -> list[Decimal]:
    """The realized PnL of each closing fill, oldest first, of a long-only spot bot's trades.

    A closing fill sells what the entry before it left the account (whole: the simulated
    venue fills MARKET orders in full): the quantity bought less its 0.1 % fee in BTC,
    floored to the 0.00001 step; (exit - entry) x that - entry fee - exit fee.
    """
    pnl, entry = [], None
    for trade in trades:
        if trade.purpose is OrderPurpose.ENTRY:
            entry = trade
            continue
        assert entry is not None, f"{trade.client_order_id} closes no position"
        assert trade.quantity == held_of(entry)
        pnl.append((trade.price - entry.price) * trade.quantity - entry.fee - trade.fee)
        entry = None
    return pnl


@pytest.fixture
def world(engine: Engine, tick_uow: Callable[[], SqlUnitOfWork],
          manage_uow: Callable[[], SqlManageUnitOfWork]) -> World:  # fmt: skip
    return World(engine, tick_uow, manage_uow)


def test_every_filled_order_has_one_trade_and_pnl_adds_up(world: World) -> None:
    for slot in slots_between(T0, T0 + 1440 * 60):
        world.clock.set(slot)
        run_slot(world.deps, [world.bot_id], slot)
    orders, trades = world.orders(), world.trades()
    filled = [o for o in orders if o.status is OrderStatus.FILLED]
    assert len(filled) >= 6
    assert Counter(t.client_order_id for t in trades) == Counter(o.client_order_id for o in filled)
    purposes = {t.purpose for t in trades}
    assert OrderPurpose.ENTRY in purposes
    assert purposes & {OrderPurpose.STOP_LOSS, OrderPurpose.TAKE_PROFIT, OrderPurpose.CLOSE}
    closing = [t for t in trades if t.purpose is not OrderPurpose.ENTRY]
    # Each closing trade's PnL by the page, from the two fills' own prices, quantities and
    # fees (a long on spot: the rise times the quantity, less both fees), not from the
    # variable the tick wrote to both the trade and the day's counter.
    expected = pnl_by_hand(list(reversed(trades)))
    assert [t.realized_pnl for t in reversed(closing)] == expected
    with world.manage_uow() as uow:
        total = sum(
            (uow.counters.get(world.bot_id, day).realized_pnl for day in _days(1)), Decimal(0)
        )
    assert total == sum(expected, Decimal(0))
    # The database's position is the exchange's: the spot base held is the position and
    # what each buy left beside it under one step (its quantity less fee and position).
    state = world.state()
    held = world.venue.account(1).spot_balance("BTC")
    position = state.position
    entries = [t for t in trades if t.purpose is OrderPurpose.ENTRY]
    leftover = sum((t.quantity * Decimal("0.999") - held_of(t) for t in entries), Decimal(0))
    assert held.free + held.locked == (position.quantity if position else 0) + leftover


def test_an_order_whose_answer_was_lost_is_reconciled_not_resent(world: World) -> None:
    world.venue.faults.schedule(FaultMode.TIMEOUT_AFTER_ACCEPT, call="place_market_order")
    world.run_until(lambda: any(o.status is OrderStatus.UNKNOWN for o in world.orders()))
    unknown = next(o for o in world.orders() if o.status is OrderStatus.UNKNOWN)
    assert (world.state().reason or "").startswith("outcome unknown")
    world.run_until(lambda: True)  # the next slot reconciles it
    settled = [o for o in world.orders() if o.client_order_id == unknown.client_order_id]
    assert [o.status for o in settled] == [OrderStatus.FILLED]
    assert [t.client_order_id for t in world.trades()].count(unknown.client_order_id) == 1
    assert world.state().position is not None


def test_an_order_that_never_reached_the_exchange_is_closed_and_a_later_one_gets_a_new_id(
    world: World,
) -> None:
    world.venue.faults.schedule(FaultMode.UNKNOWN_BEFORE, call="place_market_order")
    world.run_until(lambda: any(o.status is OrderStatus.UNKNOWN for o in world.orders()))
    world.run_until(lambda: any(o.status is OrderStatus.FILLED for o in world.orders()))
    orders = world.orders()
    lost = [o for o in orders if o.status is OrderStatus.REJECTED]
    assert len(lost) == 1
    assert "never placed" in (lost[0].reason or "")
    ids = [o.client_order_id for o in orders]
    assert len(ids) == len(set(ids))


def test_a_daily_trade_cap_pauses_entries_and_names_the_limit(
    engine: Engine, tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:  # fmt: skip
    world = World(engine, tick_uow, manage_uow, max_daily_trades=1)
    world.run_until(lambda: world.state().status is BotStatus.PAUSED)
    state = world.state()
    assert state.pause_reason is PauseReason.MAX_DAILY_TRADES
    assert "max_daily_trades" in (state.reason or "")
    entries = [t for t in world.trades() if t.purpose is OrderPurpose.ENTRY]
    assert len(entries) == 1
    world.run_until(lambda: world.state().status is not BotStatus.PAUSED)
    assert world.last >= T0 + 86_400  # entries resume only on the next UTC day


def test_a_slot_is_decided_once_and_a_busy_bot_is_skipped(world: World) -> None:
    world.clock.set(T0 + 60)
    assert run_tick(world.deps, world.bot_id, T0 + 60) is TickOutcome.DECIDED
    assert run_tick(world.deps, world.bot_id, T0 + 60) is TickOutcome.SLOT_TAKEN
    assert world.deps.lock.try_acquire(world.bot_id)
    try:
        assert run_tick(world.deps, world.bot_id, T0 + 120) is TickOutcome.BUSY
    finally:
        world.deps.lock.release(world.bot_id)


def _days(count: int) -> list[date]:
    return [(START + timedelta(days=i)).date() for i in range(count + 1)]


def test_a_futures_bot_tops_up_its_wallet_from_spot_caps_leverage_and_goes_short(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:
    world = World(
        engine, tick_uow, manage_uow, position_type="futures", leverage=75,
        auto_transfer_funds=True, position_size_fixed="50",
    )  # fmt: skip
    world.run_until(
        lambda: any(
            t.purpose is OrderPurpose.ENTRY and t.side.value == "SELL" for t in world.trades()
        )
    )
    exchange = world.venue.account(1)
    spot = exchange.spot_balance("USDT")
    assert spot.free < Decimal(10_000)  # funds moved to the futures wallet
    entry = next(t for t in world.trades() if t.purpose is OrderPurpose.ENTRY)
    # 50 USDT of margin at the capped leverage of 50x: about 2,500 USDT of notional.
    assert Decimal(2_400) < entry.quote_quantity <= Decimal(2_500)

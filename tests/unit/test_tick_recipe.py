"""The tick's recipe on fakes: claim + load → read the market → settle → decide → apply.

Every port is a fake in memory (tests/fakes): the store keeps what a database would,
with units of work that drop what they do not commit; the exchange fills MARKET orders
at its price and rests exits until the price reaches them. Each test asserts on what the
store holds afterwards — orders, trades, state, today's counters, outbox events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal

import pytest

from tests.fakes import (
    FakeBotLock,
    FakeClock,
    FakeExchange,
    FakeExchanges,
    FakeMarketData,
    FakeStore,
)
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bot_config import BotConfig
from tradewind.domain.bots import BotState, BotStatus
from tradewind.domain.candles import to_decimal
from tradewind.domain.errors import (
    AuthenticationFailed,
    OutcomeUnknown,
    TemporaryExchangeError,
)
from tradewind.domain.limits import DayTally, PauseReason, utc_day
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import floor_to_step
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.types import PositionSide, PositionType, Side, Signal
from tradewind.ports import AccountAccess
from tradewind.services.tick import TickDeps, TickOutcome, run_tick, run_ticks

D = Decimal
SPOT = PositionType.SPOT
START = datetime(2024, 1, 1, tzinfo=UTC)
T0 = int(START.timestamp())
CANDLES = generate_market(600, 60, seed=11, start_price=42_000, start_time=START)
BTCUSDT = MarketRules(
    "BTCUSDT", SPOT, "BTC", "USDT", tick_size=D("0.01"), step=D("0.00001"),
    min_qty=D("0.00001"), min_notional=D(5),
)  # fmt: skip
FEE = D("0.001")


class World:
    """One spot bot on a paper account, its market, and the fakes behind its ports."""

    def __init__(self, state: BotState | None = None, **config: object) -> None:
        self.store = FakeStore()
        self.clock = FakeClock(T0)
        # The exchange and the market data are the network: no transaction may be open
        # while either is asked (ARCHITECTURE.md §2), in any test here.
        network = self.store.assert_no_transaction
        self.exchange = FakeExchange(
            self.clock, [BTCUSDT], {(SPOT, "USDT"): D(10_000)}, D(42_000), FEE, network
        )
        self.market = FakeMarketData({"BTCUSDT": CANDLES}, network)
        account = self.store.add_account(AccountAccess(1, "paper", "", ""))
        fields = {"name": "spot-btc", "symbol": "BTCUSDT", "timeframe": "1m",
                  "position_type": "spot", "position_size_fixed": "100"} | config  # fmt: skip
        self.config = BotConfig.model_validate(fields)
        self.bot = self.store.add_bot(self.config, account, state=state)
        self.deps = TickDeps(
            uow=self.store.uow, exchanges=FakeExchanges({account: self.exchange}),
            market_data=self.market, lock=FakeBotLock(), clock=self.clock,
        )  # fmt: skip
        self.signals = self.config.strategy_choice().signals(CANDLES)

    def slot_with(self, signal: Signal, after: int = 0) -> int:
        """Return the first slot after `after` whose closed candle says `signal`."""
        for i, value in enumerate(self.signals):
            slot = int(CANDLES.open_time[i]) + 60
            if value == signal and slot > after and i >= 30:
                return slot
        raise AssertionError(f"no {signal.name} in the market")

    def tick(self, slot: int) -> TickOutcome:
        self.clock.at = slot
        return run_tick(self.deps, self.bot, slot)


def close_at(slot: int) -> Decimal:
    """Return the close of the candle that closed at `slot` (the price the bot sizes at)."""
    return to_decimal(float(CANDLES.close[list(CANDLES.open_time).index(slot - 60)]))


def test_a_flat_bot_with_an_entry_signal_places_one_market_order_and_records_its_fill() -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    w.exchange.price = fill = close_at(slot) + 3  # the market moved a little since the close

    assert w.tick(slot) is TickOutcome.DECIDED

    quantity = floor_to_step(D(100) / close_at(slot), BTCUSDT.step)  # sized at the close
    [order] = w.store.orders(w.bot)
    assert (order.purpose, order.side, order.status) == (
        OrderPurpose.ENTRY, Side.BUY, OrderStatus.FILLED,
    )  # fmt: skip
    assert order.client_order_id == f"tw{w.bot}-{slot}-e0"
    assert order.requested_qty == order.filled_qty == quantity
    assert order.avg_price == fill
    [trade] = w.store.trades(w.bot)
    assert (trade.client_order_id, trade.purpose, trade.order_type) == (
        order.client_order_id, OrderPurpose.ENTRY, "MARKET",
    )  # fmt: skip
    assert (trade.quantity, trade.price, trade.realized_pnl) == (quantity, fill, None)
    state = w.store.state(w.bot)
    assert state.position is not None
    assert (state.position.side, state.position.quantity) == (PositionSide.LONG, quantity)
    assert state.position.entry_price == fill
    assert state.status is BotStatus.IN_POSITION
    assert (state.last_signal, state.last_signal_at, state.last_slot) == (Signal.BUY, slot, slot)
    assert w.store.tally(w.bot, utc_day(slot)).entries == 1
    assert w.store.events(w.bot) == ["order_filled"]
    assert list(w.exchange.orders) == [order.client_order_id]


def test_a_new_position_gets_its_exit_orders_resting_in_the_same_tick() -> None:
    w = World(custom_stop_loss=1, custom_take_profit=2)
    slot = w.slot_with(Signal.BUY)
    w.exchange.price = close_at(slot)

    assert w.tick(slot) is TickOutcome.DECIDED

    orders = w.store.orders(w.bot)
    assert [(o.purpose, o.status) for o in orders] == [
        (OrderPurpose.ENTRY, OrderStatus.FILLED),
        (OrderPurpose.STOP_LOSS, OrderStatus.NEW),
        (OrderPurpose.TAKE_PROFIT, OrderStatus.NEW),
    ]
    position = w.store.state(w.bot).position
    assert position is not None
    assert position.protection == {o.purpose: o.client_order_id for o in orders[1:]}
    assert all(o.side is Side.SELL and o.requested_qty == position.quantity for o in orders[1:])


def test_a_slot_already_claimed_is_slot_taken_and_writes_nothing() -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    w.store.claim(w.bot, slot, slot)  # another worker took it
    before = w.store.state(w.bot)

    assert w.tick(slot) is TickOutcome.SLOT_TAKEN

    assert w.store.state(w.bot) == before
    assert w.store.orders(w.bot) == []
    assert w.store.trades(w.bot) == []
    assert w.exchange.orders == {}


def test_a_slot_is_decided_once_even_when_the_tick_comes_twice() -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    assert w.tick(slot) is TickOutcome.DECIDED
    assert w.tick(slot) is TickOutcome.SLOT_TAKEN
    assert len(w.store.orders(w.bot)) == len(w.store.trades(w.bot)) == 1


LIMITS = [
    pytest.param({"max_daily_trades": 1}, 1, D(0), PauseReason.MAX_DAILY_TRADES, id="trades"),
    pytest.param({"max_daily_loss": "50"}, 1, D(-50), PauseReason.MAX_DAILY_LOSS, id="loss"),
    pytest.param(
        {"daily_profit_target": "50"}, 1, D("50.5"), PauseReason.DAILY_PROFIT_TARGET, id="target"
    ),
]


@pytest.mark.parametrize(("limit", "entries", "pnl", "reason"), LIMITS)
@pytest.mark.parametrize("paused", [True, False], ids=["paused", "waiting"])
def test_a_bot_at_its_daily_limit_does_not_enter_and_says_which_limit(
    limit: dict[str, object], entries: int, pnl: Decimal, reason: PauseReason, paused: bool
) -> None:
    state = BotState(status=BotStatus.WAITING)
    if paused:
        state = BotState(status=BotStatus.PAUSED, pause_reason=reason, reason="paused earlier")
    w = World(state=state, **limit)
    slot = w.slot_with(Signal.BUY)
    w.store.set_tally(w.bot, DayTally(utc_day(slot), entries, pnl))

    assert w.tick(slot) is TickOutcome.DECIDED

    assert w.store.orders(w.bot) == []
    assert w.exchange.orders == {}
    after = w.store.state(w.bot)
    assert (after.status, after.pause_reason, after.position) == (BotStatus.PAUSED, reason, None)
    assert f"{reason.value} reached today" in (after.reason or "")
    # Told once, when the pause begins; a paused bot does not repeat it.
    assert w.store.events(w.bot) == ([] if paused else ["bot_paused"])
    assert w.store.tally(w.bot, utc_day(slot)) == DayTally(utc_day(slot), entries, pnl)


def test_a_held_position_whose_stop_loss_is_reached_is_closed_with_its_loss_recorded() -> None:
    w = World(custom_stop_loss=1, custom_take_profit=2)
    entry_slot = w.slot_with(Signal.BUY)
    w.exchange.price = entry = close_at(entry_slot)
    assert w.tick(entry_slot) is TickOutcome.DECIDED
    # entry·0.99 on the market's tick (0.01), rounded toward the entry (docs/strategy.md).
    stop = (entry * D("0.99") / D("0.01")).to_integral_value(ROUND_CEILING) * D("0.01")
    w.exchange.move_price(stop - 5)  # through the stop: it fills at its level

    slot = w.slot_with(Signal.NONE, after=entry_slot)
    assert w.tick(slot) is TickOutcome.DECIDED

    entry_order, stop_order, take_profit = w.store.orders(w.bot)
    assert (stop_order.purpose, stop_order.status) == (OrderPurpose.STOP_LOSS, OrderStatus.FILLED)
    assert stop_order.avg_price == stop
    assert (take_profit.purpose, take_profit.status) == (
        OrderPurpose.TAKE_PROFIT, OrderStatus.CANCELED,
    )  # fmt: skip
    opened, closed = w.store.trades(w.bot)
    qty = entry_order.filled_qty
    assert (closed.purpose, closed.side, closed.quantity) == (
        OrderPurpose.STOP_LOSS,
        Side.SELL,
        qty,
    )
    expected = (stop - entry) * qty - (entry * qty + stop * qty) * FEE
    assert closed.realized_pnl == expected < 0
    state = w.store.state(w.bot)
    assert (state.position, state.status) == (None, BotStatus.WAITING)
    assert (state.reason or "").startswith("closed by stop_loss")
    assert w.store.tally(w.bot, utc_day(slot)) == DayTally(utc_day(slot), 1, expected)
    assert w.store.events(w.bot)[-2:] == ["stop_loss_hit", "position_closed"]
    assert opened.purpose is OrderPurpose.ENTRY


def _nothing_written_but_why(w: World, slot: int) -> str:
    """Assert the tick left no order, trade, position or count; return the state's reason."""
    assert w.store.orders(w.bot) == []
    assert w.store.trades(w.bot) == []
    assert w.store.tally(w.bot, utc_day(slot)) == DayTally(utc_day(slot))
    state = w.store.state(w.bot)
    assert state.position is None
    assert state.last_slot == slot
    return state.reason or ""


@pytest.mark.parametrize("down", ["market_rules", "free_balance", "candles"])
def test_an_exchange_that_is_down_defers_the_entry_and_writes_only_why(down: str) -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    outage = TemporaryExchangeError("503 Service Unavailable")
    if down == "candles":
        w.market.fail(outage)
    else:
        w.exchange.fail(down, outage)

    assert w.tick(slot) is TickOutcome.DEFERRED

    reason = _nothing_written_but_why(w, slot)
    assert reason == "exchange unavailable (503 Service Unavailable); trying again next slot"
    assert w.store.state(w.bot).status is BotStatus.WAITING
    assert w.store.events(w.bot) == []
    assert w.exchange.orders == {}


def test_credentials_the_exchange_refuses_put_the_bot_in_error_and_tell_its_owner() -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    w.exchange.fail("market_rules", AuthenticationFailed("API key rejected"))

    assert w.tick(slot) is TickOutcome.ERROR

    assert _nothing_written_but_why(w, slot) == "API key rejected"
    assert w.store.state(w.bot).status is BotStatus.ERROR
    assert w.store.events(w.bot) == ["bot_error"]


def test_an_order_the_exchange_refuses_is_closed_as_rejected_not_left_submitting() -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    w.exchange.fail("place_market_order", TemporaryExchangeError("429 Too Many Requests"))

    assert w.tick(slot) is TickOutcome.DECIDED

    [order] = w.store.orders(w.bot)
    assert order.status is OrderStatus.REJECTED
    assert order.reason == "order not placed: 429 Too Many Requests"
    assert w.store.trades(w.bot) == []
    state = w.store.state(w.bot)
    assert (state.position, state.status, state.reason) == (None, BotStatus.WAITING, order.reason)
    assert w.store.tally(w.bot, utc_day(slot)).entries == 0


def test_an_order_whose_answer_was_lost_is_settled_by_the_next_tick_not_sent_again() -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    w.exchange.fail("place_market_order", OutcomeUnknown("read timed out"), after=True)

    assert w.tick(slot) is TickOutcome.DECIDED
    [order] = w.store.orders(w.bot)
    assert order.status is OrderStatus.UNKNOWN
    assert w.store.trades(w.bot) == []
    assert w.store.state(w.bot).position is None

    assert w.tick(slot + 60) is TickOutcome.DECIDED
    [order] = w.store.orders(w.bot)
    assert order.status is OrderStatus.FILLED
    [trade] = w.store.trades(w.bot)
    assert trade.client_order_id == order.client_order_id
    assert w.store.state(w.bot).position is not None
    assert w.store.tally(w.bot, utc_day(slot)).entries == 1
    assert list(w.exchange.orders) == [order.client_order_id]


def test_an_unknown_outcome_settled_into_a_position_the_wallet_lacks_stops_the_bot() -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    w.exchange.fail("place_market_order", OutcomeUnknown("read timed out"), after=True)
    assert w.tick(slot) is TickOutcome.DECIDED
    # Meanwhile the BTC left the wallet (its owner sold it by hand): the fill is real,
    # the position is not there any more.
    w.exchange.balances[(SPOT, "BTC")] = D(0)

    assert w.tick(slot + 60) is TickOutcome.ERROR
    [order] = w.store.orders(w.bot)  # settled and recorded; nothing else sent
    assert order.status is OrderStatus.FILLED
    assert len(w.store.trades(w.bot)) == 1
    state = w.store.state(w.bot)
    assert state.status is BotStatus.ERROR
    assert state.reason is not None
    assert "but the spot wallet holds 0 BTC" in state.reason
    assert w.store.events(w.bot) == ["order_filled", "bot_error"]
    assert w.tick(slot + 120) is TickOutcome.ERROR
    assert list(w.exchange.orders) == [order.client_order_id]


def test_a_fill_whose_recording_fails_is_written_not_at_all_then_settled_next_tick() -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    w.store.fail_commit(ConnectionError("database went away"), when=lambda t: bool(t.trades))

    with pytest.raises(ConnectionError):
        w.tick(slot)
    # The intent row was committed before sending; of the fill, nothing was written.
    [order] = w.store.orders(w.bot)
    assert order.status is OrderStatus.SUBMITTING
    assert w.store.trades(w.bot) == []
    assert w.store.state(w.bot).position is None
    assert w.store.tally(w.bot, utc_day(slot)).entries == 0
    assert w.store.events(w.bot) == []

    assert w.tick(slot + 60) is TickOutcome.DECIDED
    [order] = w.store.orders(w.bot)
    assert order.status is OrderStatus.FILLED
    assert len(w.store.trades(w.bot)) == 1
    assert w.store.state(w.bot).position is not None
    assert w.store.tally(w.bot, utc_day(slot)).entries == 1


def test_a_fill_is_written_with_the_position_it_opens_whatever_fails_after_it() -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    # Every commit after the one that recorded the fill fails.
    w.store.fail_commit(ConnectionError("disk full"), when=lambda t: bool(w.store.tables.trades))

    with pytest.raises(ConnectionError):
        w.tick(slot)

    [order] = w.store.orders(w.bot)
    [trade] = w.store.trades(w.bot)
    position = w.store.state(w.bot).position
    assert order.status is OrderStatus.FILLED
    assert position is not None
    assert (position.quantity, position.entry_price) == (trade.quantity, trade.price)
    assert w.store.tally(w.bot, utc_day(slot)).entries == 1
    assert w.store.events(w.bot) == ["order_filled"]


def test_a_batch_decides_each_bot_as_run_tick_does() -> None:
    w = World()
    slot = w.slot_with(Signal.BUY)
    taken = w.store.add_bot(w.config, 1)
    w.store.claim(taken, slot, slot)
    w.clock.at = slot

    results = run_ticks(w.deps, [w.bot, taken], slot)

    assert {b: r.outcome for b, r in results.items()} == {
        w.bot: TickOutcome.DECIDED, taken: TickOutcome.SLOT_TAKEN,
    }  # fmt: skip
    assert [o.status for o in w.store.orders(w.bot)] == [OrderStatus.FILLED]
    assert w.store.orders(taken) == []
    assert w.store.state(w.bot).status is BotStatus.IN_POSITION

"""The domain's one decision, `decide`, and its sizing step, `size_order`, on their own.

Both are pure: these tests give them values and read the values they return. The rule
book is docs/strategy.md: exits before signals, one position at a time, daily limits
stop entries only, spot never goes short; an order meets every market rule and never
commits more than the wallet holds, or there is none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.candles import Candles
from tradewind.domain.decide import (
    MARKET_DATA_BEHIND,
    NOTHING,
    SPOT_SELL_WHILE_FLAT,
    Close,
    Decision,
    Enter,
    Pause,
    Protect,
    Reading,
    TradingRules,
    Wait,
    decide,
    opens,
    read_closed,
)
from tradewind.domain.indicators import ema
from tradewind.domain.limits import DayTally, PauseReason, entry_pause_reason
from tradewind.domain.params import DailyLimits, ExitRules, SizingRule
from tradewind.domain.strategies import StrategyChoice
from tradewind.domain.strategies.ema_rsi import EMA_RSI, EmaRsiParams
from tradewind.domain.types import ExitReason, PositionSide, PositionType, Signal

D = Decimal
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
LONG, SHORT = PositionSide.LONG, PositionSide.SHORT
DAY = date(2024, 1, 1)
CALM = DayTally(DAY)
EMA_RSI_DEFAULTS: StrategyChoice[Any] = StrategyChoice(EMA_RSI, EmaRsiParams())


def rules(position_type: PositionType = SPOT, **changes: Any) -> TradingRules:
    return replace(
        TradingRules(EMA_RSI_DEFAULTS, ExitRules(), SizingRule(), DailyLimits(), position_type),
        **changes,
    )


HALF, ENTRY = D("0.5"), D(40_000)


@dataclass(frozen=True)
class Position:
    side: PositionSide
    quantity: Decimal = HALF
    entry_price: Decimal = ENTRY


def buy(price: str = "40000") -> Reading:
    return Reading(Signal.BUY, D(price))


def sell(price: str = "40000") -> Reading:
    return Reading(Signal.SELL, D(price))


# --- decide: flat ----------------------------------------------------------------------------


def test_a_flat_bot_enters_long_on_a_buy_at_the_close_it_read() -> None:
    assert decide(rules(), None, CALM, buy("41234.5")) == Enter(LONG, Signal.BUY, D("41234.5"))


def test_a_flat_futures_bot_enters_short_on_a_sell() -> None:
    assert decide(rules(FUTURES), None, CALM, sell()) == Enter(SHORT, Signal.SELL, D(40_000))


def test_a_flat_spot_bot_waits_on_a_sell_and_says_it_has_nothing_to_sell() -> None:
    assert decide(rules(SPOT), None, CALM, sell()) == Wait(SPOT_SELL_WHILE_FLAT)


def test_no_signal_waits_silently_and_market_data_behind_waits_saying_so() -> None:
    assert decide(rules(), None, CALM, NOTHING) == Wait()
    behind = Reading(missing=MARKET_DATA_BEHIND)
    assert decide(rules(), None, CALM, behind) == Wait(MARKET_DATA_BEHIND)


@pytest.mark.parametrize(
    ("limits", "tally", "limit"),
    [
        (DailyLimits(max_trades=2), DayTally(DAY, 2), PauseReason.MAX_DAILY_TRADES),
        (DailyLimits(max_loss=D(30)), DayTally(DAY, 1, D(-30)), PauseReason.MAX_DAILY_LOSS),
        (
            DailyLimits(profit_target=D(30)),
            DayTally(DAY, 1, D(30)),
            PauseReason.DAILY_PROFIT_TARGET,
        ),
    ],
)
def test_a_daily_limit_reached_pauses_an_entry_and_names_the_limit(
    limits: DailyLimits, tally: DayTally, limit: PauseReason
) -> None:
    assert decide(rules(limits=limits), None, tally, buy()) == Pause(limit)


def test_below_every_limit_the_entry_goes_ahead() -> None:
    limits = DailyLimits(max_trades=2, max_loss=D(30), profit_target=D(30))
    tally = DayTally(DAY, 1, D("-29.99"))
    assert isinstance(decide(rules(limits=limits), None, tally, buy()), Enter)


# --- decide: in a position -------------------------------------------------------------------


def test_the_opposite_signal_closes_the_whole_position() -> None:
    assert decide(rules(), Position(LONG), CALM, sell()) == Close(LONG.exit_side, ExitReason.SIGNAL)
    short = decide(rules(FUTURES), Position(SHORT), CALM, buy())
    assert short == Close(SHORT.exit_side, ExitReason.SIGNAL)


def test_the_same_signal_or_none_keeps_the_position() -> None:
    assert decide(rules(), Position(LONG), CALM, buy()) == Wait()
    assert decide(rules(FUTURES), Position(SHORT), CALM, sell()) == Wait()
    assert decide(rules(), Position(LONG), CALM, NOTHING) == Wait()


def test_a_position_at_a_daily_limit_still_closes_on_its_signal() -> None:
    limits = DailyLimits(max_trades=1)
    tally = DayTally(DAY, 1)
    assert isinstance(decide(rules(limits=limits), Position(LONG), tally, sell()), Close)


def test_a_position_without_resting_exits_is_protected_first_at_levels_from_its_entry() -> None:
    exits = ExitRules(stop_loss=D("0.02"), take_profit=D("0.03"), trailing_stop=D("0.01"))
    decision = decide(rules(exits=exits), Position(LONG), CALM, sell(), resting=False)
    assert decision == Protect(
        side=LONG, quantity=D("0.5"), entry_price=D(40_000), stop_loss=D(39_200),
        take_profit=D(41_200), trailing_rate=D("0.01"),
    )  # fmt: skip
    assert decision.purposes == ("stop_loss", "take_profit", "trailing_stop")
    short = decide(rules(FUTURES, exits=exits), Position(SHORT), CALM, NOTHING, resting=False)
    assert isinstance(short, Protect)
    assert (short.stop_loss, short.take_profit) == (D(40_800), D(38_800))


def test_a_caller_that_does_not_say_otherwise_has_its_exits_resting() -> None:
    # The tick says `resting=False` only when it found an exit missing; every other slot
    # must not ask for the exit orders again (each ask places real orders).
    exits = ExitRules(stop_loss=D("0.02"), take_profit=D("0.03"))
    assert decide(rules(exits=exits), Position(LONG), CALM, NOTHING) == Wait()


def test_a_position_with_no_exit_set_needs_no_protection() -> None:
    assert decide(rules(), Position(LONG), CALM, sell(), resting=False) == Close(
        LONG.exit_side, ExitReason.SIGNAL
    )


def test_a_protect_names_only_the_exits_that_are_set() -> None:
    exits = ExitRules(take_profit=D("0.05"))
    decision = decide(rules(exits=exits), Position(LONG), CALM, NOTHING, resting=False)
    assert isinstance(decision, Protect)
    assert decision.purposes == ("take_profit",)
    assert (decision.stop_loss, decision.trailing_rate) == (None, None)


@pytest.mark.parametrize(
    ("signal", "position_type", "side"),
    [
        (Signal.BUY, SPOT, LONG),
        (Signal.BUY, FUTURES, LONG),
        (Signal.SELL, SPOT, None),
        (Signal.SELL, FUTURES, SHORT),
        (Signal.NONE, SPOT, None),
        (Signal.NONE, FUTURES, None),
    ],
)
def test_a_buy_opens_a_long_a_sell_a_short_on_futures_only_and_no_signal_opens_nothing(
    signal: Signal, position_type: PositionType, side: PositionSide | None
) -> None:
    assert opens(signal, position_type) is side


# --- decide: properties ----------------------------------------------------------------------

money = st.decimals("-500", "500", places=2)
limit_sets = st.builds(
    DailyLimits,
    max_trades=st.none() | st.integers(1, 5),
    max_loss=st.none() | st.decimals("1", "300", places=2),
    profit_target=st.none() | st.decimals("1", "300", places=2),
)
exit_sets = st.builds(
    ExitRules,
    stop_loss=st.none() | st.decimals("0.001", "0.5", places=3),
    take_profit=st.none() | st.decimals("0.001", "0.5", places=3),
    trailing_stop=st.none() | st.decimals("0.001", "0.5", places=3),
)
readings = st.one_of(
    st.just(NOTHING),
    st.just(Reading(missing=MARKET_DATA_BEHIND)),
    st.builds(Reading, st.sampled_from(Signal), st.decimals("0.01", "100000", places=2)),
)


@given(
    position_type=st.sampled_from(PositionType),
    limits=limit_sets,
    exits=exit_sets,
    side=st.none() | st.sampled_from(PositionSide),
    tally=st.builds(DayTally, st.just(DAY), st.integers(0, 6), money),
    reading=readings,
    resting=st.booleans(),
)
def test_a_decision_never_opens_over_a_position_never_goes_short_on_spot_and_obeys_limits(
    position_type: PositionType,
    limits: DailyLimits,
    exits: ExitRules,
    side: PositionSide | None,
    tally: DayTally,
    reading: Reading,
    resting: bool,
) -> None:
    if position_type is SPOT and side is SHORT:
        side = LONG  # a spot bot never holds a short
    held = None if side is None else Position(side)
    bot = rules(position_type, limits=limits, exits=exits)
    decision: Decision = decide(bot, held, tally, reading, resting=resting)
    if held is not None:
        assert isinstance(decision, Protect | Close | Wait)
        if isinstance(decision, Protect):
            assert not resting
            assert decision.side is held.side
            assert decision.purposes
        if isinstance(decision, Close):
            assert decision.side is held.side.exit_side
            assert reading.signal is not Signal.NONE
        return
    assert isinstance(decision, Enter | Pause | Wait)
    if isinstance(decision, Enter):
        assert entry_pause_reason(limits, tally) is None
        assert decision.side is opens(reading.signal, position_type)
        assert decision.price == reading.price
        assert not (position_type is SPOT and decision.side is SHORT)
    if isinstance(decision, Pause):
        assert decision.limit is entry_pause_reason(limits, tally)
        assert opens(reading.signal, position_type) is not None or position_type is SPOT


# --- read_closed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Says:
    """A strategy that says one signal at every candle."""

    signal: Signal
    name: str = "says"
    summary: str = "says one signal"
    params_type: type[Any] = EmaRsiParams

    def warmup(self, params: object) -> int:
        return 2

    def history(self, params: object) -> int:
        return 2

    def signals(self, candles: Candles, params: object) -> Any:
        return np.full(len(candles), int(self.signal), dtype=np.int8)

    def last_signal(self, candles: Candles, params: object) -> Signal:
        return self.signal


def candles(opens_at: list[int], closes: list[float]) -> Candles:
    t = np.array(opens_at, dtype=np.int64)
    c = np.array(closes, dtype=np.float64)
    return Candles(t, c, c, c, c, np.ones_like(c))


def test_the_candle_that_closed_at_the_slot_gives_its_signal_and_its_close_exactly() -> None:
    says_buy = StrategyChoice(_Says(Signal.BUY), EmaRsiParams())
    reading = read_closed(says_buy, "1m", 180, candles([60, 120], [1.0, 64012.37]))
    assert reading == Reading(Signal.BUY, D("64012.37"))


def test_a_slot_whose_candle_is_not_in_yet_reads_as_market_data_behind() -> None:
    says_buy = StrategyChoice(_Says(Signal.BUY), EmaRsiParams())
    behind = Reading(missing=MARKET_DATA_BEHIND)
    assert read_closed(says_buy, "1m", 240, candles([60, 120], [1.0, 2.0])) == behind
    assert read_closed(says_buy, "1m", 180, candles([], [])) == behind


def test_a_strategy_still_warming_up_says_so_and_never_blames_the_market_data() -> None:
    slow = StrategyChoice(EMA_RSI, EmaRsiParams(ema_fast=100, ema_slow=400))
    on_time = candles([60 * i for i in range(300)], [1.0] * 300)  # the newest closes at 18000
    reading = read_closed(slow, "1m", 18_000, on_time)
    assert reading == Reading(
        missing="warming up: ema_rsi needs 401 closed candles before its first signal; "
        "the market has fewer yet"
    )
    says_buy = StrategyChoice(_Says(Signal.BUY), EmaRsiParams())
    assert read_closed(says_buy, "1m", 180, candles([120], [2.0])).missing == (
        "warming up: says needs 2 closed candles before its first signal; the market has fewer yet"
    )


def test_the_history_read_makes_the_indicators_equal_their_whole_history_values() -> None:
    params = EmaRsiParams(ema_fast=100, ema_slow=400)
    choice = StrategyChoice(EMA_RSI, params)
    assert choice.history == 20 * 400
    rng = np.random.default_rng(5)
    closes = 20_000 + np.cumsum(rng.normal(0, 15, 12_000))
    whole = ema(closes, 400)
    tail = ema(closes[-choice.history :], 400)
    assert abs(tail[-1] - whole[-1]) < 1e-9 * whole[-1]
    cut = ema(closes[-1_000:], 400)  # the fixed 1,000 candles the tick read before
    assert abs(cut[-1] - whole[-1]) > 1e-6 * whole[-1]

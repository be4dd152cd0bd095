"""Signals, daily limits and PnL follow docs/strategy.md."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.candles import Candles
from tradewind.domain.limits import DayTally, PauseReason, entry_pause_reason, utc_day
from tradewind.domain.params import DailyLimits
from tradewind.domain.pnl import realized_pnl
from tradewind.domain.strategies.ema_rsi import EMA_RSI, EmaRsiParams, signal_array, signal_at
from tradewind.domain.types import PositionSide, Signal

P = EmaRsiParams()
D = Decimal


def test_a_cross_up_below_overbought_is_a_buy_and_above_it_is_nothing() -> None:
    assert signal_at(1.0, 2.0, 50.0, 3.0, 2.5, 64.9, P) is Signal.BUY
    assert signal_at(1.0, 2.0, 50.0, 3.0, 2.5, 65.0, P) is Signal.NONE


def test_a_cross_down_above_oversold_is_a_sell() -> None:
    assert signal_at(3.0, 2.0, 50.0, 1.0, 2.5, 35.1, P) is Signal.SELL
    assert signal_at(3.0, 2.0, 50.0, 1.0, 2.5, 35.0, P) is Signal.NONE


def test_touching_without_crossing_is_no_signal_but_leaving_a_tie_is() -> None:
    assert signal_at(2.0, 2.0, 50.0, 2.0, 2.0, 50.0, P) is Signal.NONE
    assert signal_at(2.0, 2.0, 50.0, 2.1, 2.0, 50.0, P) is Signal.BUY


def test_no_signal_until_every_indicator_is_defined_at_both_candles() -> None:
    assert signal_at(1.0, 2.0, None, 3.0, 2.5, 50.0, P) is Signal.NONE
    fast = np.array([1.0, 3.0])
    slow = np.array([2.0, 2.5])
    assert signal_array(fast, slow, np.array([np.nan, 50.0]), P).tolist() == [0, 0]
    assert signal_array(fast, slow, np.array([40.0, 50.0]), P).tolist() == [0, 1]


def test_touching_without_crossing_down_is_no_signal_but_leaving_a_tie_downwards_is() -> None:
    assert signal_at(2.0, 2.0, 50.0, 2.0, 2.0, 50.0, P) is Signal.NONE
    assert signal_at(2.0, 2.0, 50.0, 1.9, 2.0, 50.0, P) is Signal.SELL


# (fast, slow, rsi) at i - 1 and at i -> the signal at i, by the page's words (defaults:
# overbought 65, oversold 35). Both forms of the rule are asked the same.
CROSSES = {
    "a cross up below overbought is a buy": ((1, 2, 50), (3, 2.5, 64.9), Signal.BUY),
    "a cross up at overbought is nothing": ((1, 2, 50), (3, 2.5, 65), Signal.NONE),
    "leaving a tie upwards is a buy": ((2, 2, 50), (2.1, 2, 50), Signal.BUY),
    "rising to a tie is no cross": ((1, 2, 50), (2, 2, 50), Signal.NONE),
    "a cross down above oversold is a sell": ((3, 2, 50), (1, 2.5, 35.1), Signal.SELL),
    "a cross down at oversold is nothing": ((3, 2, 50), (1, 2.5, 35), Signal.NONE),
    "leaving a tie downwards is a sell": ((2, 2, 50), (1.9, 2, 50), Signal.SELL),
    "falling to a tie is no cross": ((3, 2, 50), (2, 2, 50), Signal.NONE),
    "staying above is nothing": ((3, 2, 50), (3, 2, 50), Signal.NONE),
}


@pytest.mark.parametrize("case", list(CROSSES))
def test_both_forms_of_the_signal_follow_the_page_at_each_boundary(case: str) -> None:
    before, now, expected = CROSSES[case]
    assert signal_at(*before, *now, P) is expected
    fast, slow, strength = (np.array([before[k], now[k]], dtype=float) for k in range(3))
    assert signal_array(fast, slow, strength, P).tolist() == [0, expected.value]


def test_the_signals_are_a_numpy_int8_array() -> None:
    got = signal_array(np.array([1.0, 3.0]), np.array([2.0, 2.5]), np.array([50.0, 50.0]), P)
    assert got.dtype == np.int8


def by_the_page(
    before: tuple[float | None, float | None, float | None],
    now: tuple[float | None, float | None, float | None],
) -> int:
    """The signal at candle i from docs/strategy.md, "Signals at closed candle i"."""
    (f0, s0, r0), (f1, s1, r1) = before, now
    if f0 is None or s0 is None or r0 is None or f1 is None or s1 is None or r1 is None:
        return 0  # only when every indicator is defined at both i - 1 and i
    if f0 <= s0 and f1 > s1 and r1 < 65:  # the fast EMA crosses above the slow one
        return 1
    if f0 >= s0 and f1 < s1 and r1 > 35:  # ... or below it
        return -1
    return 0


indicator = st.none() | st.sampled_from([0.0, 2.0, 35.0, 50.0, 65.0, 100.0]) | st.floats(0, 100)


@given(st.lists(st.tuples(indicator, indicator, indicator), min_size=2, max_size=30))
def test_both_forms_of_the_signal_give_what_the_page_says_at_every_candle(
    rows: list[tuple[float | None, float | None, float | None]],
) -> None:
    def arr(k: int) -> np.ndarray:  # type: ignore[type-arg]
        return np.array([np.nan if r[k] is None else r[k] for r in rows])

    got = signal_array(arr(0), arr(1), arr(2), P)
    assert got[0] == 0
    for i in range(1, len(rows)):
        expected = by_the_page(rows[i - 1], rows[i])
        assert got[i] == expected
        assert signal_at(*rows[i - 1], *rows[i], P) == expected


# Closes that fall by 1 for five candles, then jump by 4. With EMA 2 / EMA 3 / RSI 5:
# EMA2 = 9.5, 8.5, 7.5, 6.5, 5.5, 7.8333 (from index 1); EMA3 = 9, 8, 7, 6, 7.5 (from
# index 2); the RSI is first defined at index 5 (0: five losses), then 50 (gain 0.8 =
# loss 0.8). At index 6 the fast EMA crosses above the slow one with the RSI at 50: a buy,
# at the very first candle where every indicator is defined at it and the one before.
FIRST_BUY = [10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 9.0]
SHORT_PERIODS = EmaRsiParams(ema_fast=2, ema_slow=3, rsi_period=5)


def closes(values: list[float]) -> Candles:
    close = np.array(values)
    return Candles(
        open_time=np.arange(len(values), dtype=np.int64) * 60,
        open=close, high=close, low=close, close=close, volume=np.ones(len(values)),
    )  # fmt: skip


def test_the_first_possible_signal_is_given_by_both_forms() -> None:
    candles = closes(FIRST_BUY)
    assert EMA_RSI.warmup(SHORT_PERIODS) == len(FIRST_BUY)
    assert EMA_RSI.signals(candles, SHORT_PERIODS).tolist() == [0, 0, 0, 0, 0, 0, 1]
    assert EMA_RSI.last_signal(candles, SHORT_PERIODS) is Signal.BUY


def test_a_cross_where_the_rsi_is_first_defined_is_too_early_for_a_signal() -> None:
    # 10, 9, 8, 7, 6, then 12: at index 5 the fast EMA (6.5 -> 10.17) crosses above the
    # slow one (7 -> 9.5) and the RSI is first defined there (gains 6, losses 4 over five
    # changes: 60, below overbought), but it is not defined at index 4: no signal.
    candles = closes([10.0, 9.0, 8.0, 7.0, 6.0, 12.0])
    assert not EMA_RSI.signals(candles, SHORT_PERIODS).any()
    assert EMA_RSI.last_signal(candles, SHORT_PERIODS) is Signal.NONE


@pytest.mark.parametrize("count", [1, 2, 6])
def test_fewer_candles_than_the_warm_up_give_no_signal(count: int) -> None:
    candles = closes(FIRST_BUY[:count])
    assert EMA_RSI.last_signal(candles, SHORT_PERIODS) is Signal.NONE
    assert not EMA_RSI.signals(candles, SHORT_PERIODS).any()


def test_entries_pause_at_the_trade_cap_and_name_the_limit() -> None:
    limits = DailyLimits(max_trades=3, max_loss=D(50), profit_target=D(100))
    today = date(2024, 1, 1)
    assert entry_pause_reason(limits, DayTally(today, 2, D(0))) is None
    assert entry_pause_reason(limits, DayTally(today, 3, D(0))) is PauseReason.MAX_DAILY_TRADES
    assert entry_pause_reason(limits, DayTally(today, 0, D(-50))) is PauseReason.MAX_DAILY_LOSS
    assert entry_pause_reason(limits, DayTally(today, 0, D(-49.99))) is None
    assert entry_pause_reason(limits, DayTally(today, 0, D(100))) is PauseReason.DAILY_PROFIT_TARGET
    assert entry_pause_reason(limits, DayTally(today, 0, D("99.99"))) is None


def test_the_trading_day_is_the_utc_date() -> None:
    assert utc_day(1_704_153_599) == date(2024, 1, 1)
    assert utc_day(1_704_153_600) == date(2024, 1, 2)


@pytest.fixture
def local_time_fourteen_hours_ahead(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run the test as on a machine whose clock is set to UTC+14 (POSIX TZ, no tzdata)."""
    monkeypatch.setenv("TZ", "XST-14")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_fourteen_hours_ahead")
def test_the_trading_day_is_the_utc_date_whatever_the_machines_time_zone() -> None:
    last_second_of_new_years_day = 1_704_153_599  # 2024-01-01 23:59:59 UTC
    assert date.fromtimestamp(last_second_of_new_years_day) == date(2024, 1, 2)  # local
    assert utc_day(last_second_of_new_years_day) == date(2024, 1, 1)


money = st.decimals(min_value=D("0.01"), max_value=D(100_000), places=2)
qty = st.decimals(min_value=D("0.00001"), max_value=D(100), places=5)


@given(entry=money, exit_=money, quantity=qty)
def test_long_and_short_pnl_mirror_each_other_and_fees_always_cost(
    entry: Decimal, exit_: Decimal, quantity: Decimal
) -> None:
    # Fees of both fills at 0.1 % of their notional, written out rather than asked of the code.
    fees = entry * quantity * D("0.001") + exit_ * quantity * D("0.001")
    long = realized_pnl(PositionSide.LONG, entry, exit_, quantity, fees)
    short = realized_pnl(PositionSide.SHORT, entry, exit_, quantity, fees)
    assert long == (exit_ - entry) * quantity - fees
    assert short == (entry - exit_) * quantity - fees
    assert long + short == -2 * fees
    assert realized_pnl(PositionSide.LONG, entry, entry, quantity, fees) == -fees

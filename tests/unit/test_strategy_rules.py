"""Signals, daily limits and PnL follow docs/strategy.md."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.limits import DayTally, PauseReason, entry_pause_reason, utc_day
from tradewind.domain.params import DailyLimits
from tradewind.domain.pnl import realized_pnl, taker_fee
from tradewind.domain.strategies.ema_rsi import EmaRsiParams, signal_array, signal_at
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


indicator = st.none() | st.floats(0, 100, allow_nan=False)


@given(st.lists(st.tuples(indicator, indicator, indicator), min_size=2, max_size=30))
def test_the_array_signals_equal_the_one_candle_definition(
    rows: list[tuple[float | None, float | None, float | None]],
) -> None:
    def arr(k: int) -> np.ndarray:  # type: ignore[type-arg]
        return np.array([np.nan if r[k] is None else r[k] for r in rows])

    got = signal_array(arr(0), arr(1), arr(2), P)
    for i in range(1, len(rows)):
        expected = signal_at(*rows[i - 1][:2], rows[i - 1][2], *rows[i], P)
        assert got[i] == expected


def test_entries_pause_at_the_trade_cap_and_name_the_limit() -> None:
    limits = DailyLimits(max_trades=3, max_loss=D(50), profit_target=D(100))
    today = date(2024, 1, 1)
    assert entry_pause_reason(limits, DayTally(today, 2, D(0))) is None
    assert entry_pause_reason(limits, DayTally(today, 3, D(0))) is PauseReason.MAX_DAILY_TRADES
    assert entry_pause_reason(limits, DayTally(today, 0, D(-50))) is PauseReason.MAX_DAILY_LOSS
    assert entry_pause_reason(limits, DayTally(today, 0, D(-49.99))) is None
    assert entry_pause_reason(limits, DayTally(today, 0, D(100))) is PauseReason.DAILY_PROFIT_TARGET


def test_the_trading_day_is_the_utc_date() -> None:
    assert utc_day(1_704_153_599) == date(2024, 1, 1)
    assert utc_day(1_704_153_600) == date(2024, 1, 2)


money = st.decimals(min_value=D("0.01"), max_value=D(100_000), places=2)
qty = st.decimals(min_value=D("0.00001"), max_value=D(100), places=5)


@given(entry=money, exit_=money, quantity=qty)
def test_long_and_short_pnl_mirror_each_other_and_fees_always_cost(
    entry: Decimal, exit_: Decimal, quantity: Decimal
) -> None:
    fees = taker_fee(entry, quantity, D("0.001")) + taker_fee(exit_, quantity, D("0.001"))
    long = realized_pnl(PositionSide.LONG, entry, exit_, quantity, fees)
    short = realized_pnl(PositionSide.SHORT, entry, exit_, quantity, fees)
    assert long + short == -2 * fees
    assert long == (exit_ - entry) * quantity - fees
    assert realized_pnl(PositionSide.LONG, entry, entry, quantity, fees) == -fees

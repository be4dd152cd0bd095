"""The trader's figures of a backtest, on hand-made trades and equity curves."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest

from tradewind.domain.types import ExitReason, PositionSide
from tradewind.services.backtest.result import BacktestResult, RoundTrip
from tradewind.services.backtest.stats import (
    exposure,
    max_drawdown,
    monthly_returns,
    ratios,
    trade_stats,
)

D = Decimal
T0 = 1_704_067_200  # 2024-01-01 00:00 UTC


def _trip(entry: int, exit_: int | None, pnl: str | None, held: int = 0) -> RoundTrip:
    if exit_ is None:
        return RoundTrip(PositionSide.LONG, entry, T0 + entry * 60, D(100), D(1), D(0))
    return RoundTrip(
        PositionSide.LONG, entry, T0 + entry * 60, D(100), D(1), D(0),
        exit_, T0 + entry * 60 + held, D(101), D(0), ExitReason.SIGNAL, D(pnl),
    )  # fmt: skip


def _times(count: int, step: int = 60) -> np.ndarray:
    return T0 + step * np.arange(count, dtype=np.int64)


def test_profit_factor_expectancy_win_rate_and_holding_times() -> None:
    trips = [_trip(0, 2, "30", 120), _trip(3, 4, "-10", 300), _trip(5, 6, "20", 60),
             _trip(7, 8, "-5", 600)]  # fmt: skip
    result = BacktestResult(trips, None, D(1000), D(1035), np.full(10, 1000.0))
    stats = trade_stats(result, _times(10), 60)
    assert (stats.closed, stats.wins, stats.losses) == (4, 2, 2)
    assert stats.win_rate == 0.5
    assert stats.gross_profit == D(50)
    assert stats.gross_loss == D(15)
    assert stats.profit_factor == D(50) / D(15)
    assert stats.expectancy == D("8.75")
    assert stats.average_holding == 270
    assert stats.longest_holding == 600


def test_without_a_losing_trade_there_is_no_profit_factor() -> None:
    result = BacktestResult([_trip(0, 1, "5")], None, D(100), D(105), np.full(3, 100.0))
    assert trade_stats(result, _times(3), 60).profit_factor is None


def test_exposure_counts_the_candles_a_position_was_open_in_including_an_open_one() -> None:
    trips = [_trip(0, 2, "1"), _trip(5, 9, "1"), _trip(15, None, None)]
    assert exposure(trips, 20) == (3 + 5 + 5) / 20


def test_the_deepest_drawdown_lasts_from_its_peak_until_equity_is_back_there() -> None:
    equity = np.array([100, 110, 99, 104, 110, 121, 120], dtype=np.float64)
    dd = max_drawdown(equity, _times(7))
    assert dd.depth == pytest.approx(0.1)
    assert (dd.peak_time, dd.trough_time) == (T0 + 60, T0 + 120)
    assert dd.duration == 180
    assert dd.recovered


def test_a_drawdown_never_made_good_lasts_until_the_end() -> None:
    dd = max_drawdown(np.array([100, 120, 90, 100], dtype=np.float64), _times(4))
    assert dd.depth == pytest.approx(0.25)
    assert dd.duration == 120
    assert not dd.recovered


def test_monthly_returns_chain_month_end_equity_from_the_initial_balance() -> None:
    times = np.array(
        [int(datetime(*when, tzinfo=UTC).timestamp())
         for when in ((2024, 1, 31, 23, 59), (2024, 2, 1), (2024, 2, 29, 23, 59), (2024, 4, 1))],
        dtype=np.int64,
    )  # fmt: skip
    months = monthly_returns(np.array([110, 121, 99, 100], dtype=np.float64), times, 100.0)
    assert [(m.year, m.month) for m in months] == [(2024, 1), (2024, 2), (2024, 4)]
    assert [m.ret for m in months] == pytest.approx([0.10, -0.10, 100 / 99 - 1])


def test_sharpe_and_sortino_are_annualized_from_the_candle_spacing() -> None:
    steps = [0.01, -0.005] * 20  # 40 daily returns
    equity = np.cumprod([1000.0, *(1 + r for r in steps)])
    sharpe, sortino, note = ratios(equity, _times(41, 86_400), 86_400, closed_trades=10)
    mean = statistics.mean(steps)
    downside = math.sqrt(sum(min(r, 0) ** 2 for r in steps) / len(steps))
    assert note is None
    assert sharpe == pytest.approx(mean / statistics.stdev(steps) * math.sqrt(365))
    assert sortino == pytest.approx(mean / downside * math.sqrt(365))
    hourly = ratios(equity, _times(41, 3_600) * 24, 86_400, closed_trades=10)
    assert hourly[0] == pytest.approx(sharpe)  # the spacing, not the clock, sets the scale


@pytest.mark.parametrize(
    ("days", "trades", "why"),
    [(29, 50, "run shorter than 30 days"), (60, 9, "fewer than 10 closed trades")],
)
def test_ratios_are_na_on_short_runs_and_few_trades(days: int, trades: int, why: str) -> None:
    equity = np.linspace(1000, 1100, days)
    assert ratios(equity, _times(days, 86_400), 86_400, trades) == (None, None, why)

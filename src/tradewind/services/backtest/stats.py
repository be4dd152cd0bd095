"""The figures a trader reads after a backtest, beyond the headline summary.

Definitions (also in docs/strategy.md, "Backtest report"):
- profit factor: gross profit ÷ gross loss of closed positions; none without a loss;
- expectancy: total realized PnL ÷ closed positions (quote per trade);
- holding time: exit fill time − entry fill time of closed positions;
- exposure: candles with a position open at any moment of them ÷ all candles;
- max drawdown duration: from the equity peak before the deepest fall until equity is
  back at that peak (or the end of the data, then "not recovered");
- monthly returns: equity at the last close of each UTC month ÷ that of the month before
  (the initial balance before the first) − 1;
- Sharpe and Sortino: per-candle equity returns, annualized by √(candles per year) from
  the candle spacing (crypto trades 365 days a year). Sharpe = mean ÷ sample standard
  deviation; Sortino = mean ÷ downside deviation √(mean(min(r, 0)²)). Both are "n/a"
  (None, with the reason) for runs shorter than `MIN_RATIO_DAYS` days or with fewer than
  `MIN_RATIO_TRADES` closed positions: a handful of trades says nothing of a ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from tradewind.domain.candles import FloatArray, IntArray
from tradewind.services.backtest.result import BacktestResult, RoundTrip

SECONDS_PER_DAY = 86_400
DAYS_PER_YEAR = 365
MIN_RATIO_DAYS = 30
MIN_RATIO_TRADES = 10
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class MonthReturn:
    """The equity return of one UTC calendar month."""

    year: int
    month: int
    ret: float


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest fall of the equity curve and how long it lasted."""

    depth: float  # fraction of the peak
    peak_time: int  # open time of the candle whose close was the peak
    trough_time: int
    duration: int  # seconds from the peak to recovery (or to the last candle)
    recovered: bool


@dataclass(frozen=True, slots=True)
class TradeStats:
    """Trade and equity figures of one backtest."""

    closed: int
    wins: int
    losses: int
    gross_profit: Decimal
    gross_loss: Decimal  # a positive amount
    average_holding: float | None  # seconds
    longest_holding: int | None
    exposure: float
    drawdown: Drawdown
    monthly: list[MonthReturn]
    sharpe: float | None
    sortino: float | None
    ratios_note: str | None  # why Sharpe and Sortino are n/a, when they are

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.closed if self.closed else None

    @property
    def profit_factor(self) -> Decimal | None:
        return self.gross_profit / self.gross_loss if self.gross_loss else None

    @property
    def expectancy(self) -> Decimal | None:
        return (self.gross_profit - self.gross_loss) / self.closed if self.closed else None


def trade_stats(result: BacktestResult, open_time: IntArray, interval: int) -> TradeStats:
    """Compute the trader's figures of a backtest over candles `interval` seconds apart."""
    closed = [t for t in result.trades if t.pnl is not None]
    pnls = [t.pnl for t in closed if t.pnl is not None]
    holdings = [t.exit_time - t.entry_time for t in closed if t.exit_time is not None]
    n = int(open_time.shape[0])
    sharpe, sortino, note = ratios(result.equity, open_time, interval, len(closed))
    return TradeStats(
        closed=len(closed),
        wins=sum(1 for p in pnls if p > 0),
        losses=sum(1 for p in pnls if p < 0),
        gross_profit=sum((p for p in pnls if p > 0), ZERO),
        gross_loss=-sum((p for p in pnls if p < 0), ZERO),
        average_holding=sum(holdings) / len(holdings) if holdings else None,
        longest_holding=max(holdings) if holdings else None,
        exposure=exposure(result.trades, n),
        drawdown=max_drawdown(result.equity, open_time),
        monthly=monthly_returns(result.equity, open_time, float(result.initial_balance)),
        sharpe=sharpe,
        sortino=sortino,
        ratios_note=note,
    )


def exposure(trades: list[RoundTrip], candles: int) -> float:
    """Return the share of candles during which a position was open."""
    if candles == 0:
        return 0.0
    held = sum(
        (candles - 1 if t.exit_index is None else t.exit_index) - t.entry_index + 1 for t in trades
    )
    return held / candles


def max_drawdown(equity: FloatArray, open_time: IntArray) -> Drawdown:
    """Return the deepest peak-to-trough fall and the time until it was made good."""
    if equity.size == 0:
        return Drawdown(0.0, 0, 0, 0, True)
    peaks = np.maximum.accumulate(equity)
    falls = peaks - equity
    falls /= peaks  # in place: one million-element temporary fewer (each costs page faults)
    trough = int(np.argmax(falls))
    depth = float(falls[trough])
    if depth == 0:
        return Drawdown(0.0, int(open_time[0]), int(open_time[0]), 0, True)
    peak = int(np.flatnonzero(equity[: trough + 1] == peaks[trough])[-1])
    back = np.flatnonzero(equity[trough:] >= peaks[trough])
    recovered = back.size > 0
    end = trough + int(back[0]) if recovered else equity.size - 1
    return Drawdown(
        depth=depth,
        peak_time=int(open_time[peak]),
        trough_time=int(open_time[trough]),
        duration=int(open_time[end] - open_time[peak]),
        recovered=recovered,
    )


def monthly_returns(equity: FloatArray, open_time: IntArray, initial: float) -> list[MonthReturn]:
    """Return each UTC month's equity return, oldest first."""
    if equity.size == 0:
        return []
    first = datetime.fromtimestamp(int(open_time[0]), tz=UTC)
    last = datetime.fromtimestamp(int(open_time[-1]), tz=UTC)
    out: list[MonthReturn] = []
    year, month, base = first.year, first.month, initial
    while (year, month) <= (last.year, last.month):
        nxt = (year + month // 12, month % 12 + 1)
        begin = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
        boundary = int(datetime(nxt[0], nxt[1], 1, tzinfo=UTC).timestamp())
        end = int(np.searchsorted(open_time, boundary, side="left")) - 1
        if end >= 0 and open_time[end] >= begin:  # a month without candles is left out
            closing = float(equity[end])
            out.append(MonthReturn(year, month, closing / base - 1))
            base = closing
        year, month = nxt
    return out


def ratios(
    equity: FloatArray, open_time: IntArray, interval: int, closed_trades: int
) -> tuple[float | None, float | None, str | None]:
    """Return (Sharpe, Sortino, why not) of per-candle equity returns, annualized."""
    if equity.size < 2:
        return None, None, "fewer than two candles"
    days = (int(open_time[-1]) - int(open_time[0]) + interval) / SECONDS_PER_DAY
    if days < MIN_RATIO_DAYS:
        return None, None, f"run shorter than {MIN_RATIO_DAYS} days"
    if closed_trades < MIN_RATIO_TRADES:
        return None, None, f"fewer than {MIN_RATIO_TRADES} closed trades"
    returns = np.diff(equity)
    returns /= equity[:-1]  # in place, as below: the same values, fewer temporaries
    scale = math.sqrt(DAYS_PER_YEAR * SECONDS_PER_DAY / interval)
    mean = float(np.mean(returns))
    std = float(np.std(returns, ddof=1))
    losses = np.minimum(returns, 0.0, out=returns)  # `returns` is not read after this
    downside = math.sqrt(float(np.mean(np.square(losses, out=losses))))
    sharpe = mean / std * scale if std > 0 and math.isfinite(std) else None
    sortino = mean / downside * scale if downside > 0 and math.isfinite(downside) else None
    note = None if sharpe is not None else "equity did not vary"
    return sharpe, sortino, note

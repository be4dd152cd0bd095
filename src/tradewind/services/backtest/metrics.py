"""Summary figures of a backtest: trades, win rate, return, drawdown, fees (the trader's
further figures, Sharpe and Sortino among them, are in `stats`).

Definitions (also in docs/strategy.md, "Backtest report"):
- return: final balance / initial balance - 1 (closed trades only; an open position's
  unrealized PnL is shown apart);
- max drawdown: the largest fall of the equity curve (marked to market at every close)
  from its running peak, as a fraction of that peak.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from tradewind.domain.candles import Candles, FloatArray
from tradewind.domain.timeframes import EXIT_CHECK_SECONDS
from tradewind.services.backtest.result import BacktestResult


@dataclass(frozen=True, slots=True)
class ReasonTally:
    """Closed trades of one exit reason."""

    count: int
    pnl: Decimal


@dataclass(frozen=True, slots=True)
class Summary:
    """The headline figures of one backtest."""

    candles: int
    start_time: int
    end_time: int
    trades: int
    wins: int
    total_pnl: Decimal
    fees: Decimal
    initial_balance: Decimal
    final_balance: Decimal
    max_drawdown: float
    buy_and_hold: float
    by_reason: dict[str, ReasonTally]
    open_pnl: float
    skipped: dict[str, int]
    exit_seconds: int = EXIT_CHECK_SECONDS  # the candles exits were checked on (60: as live)

    @property
    def exits_approximated(self) -> bool:
        """True when exits were checked on candles coarser than paper's and live's 1m."""
        return self.exit_seconds != EXIT_CHECK_SECONDS

    @property
    def win_rate(self) -> float:
        return self.wins / self.trades if self.trades else 0.0

    @property
    def total_return(self) -> Decimal:
        return self.final_balance / self.initial_balance - 1


def summarize(result: BacktestResult, candles: Candles, drawdown: float | None = None) -> Summary:
    """Compute the summary figures of a backtest result; `drawdown`, when the caller has
    it already (`TradeStats.drawdown.depth`), is the equity curve's `max_drawdown`."""
    closed = result.closed
    counts: dict[str, int] = {}
    pnls: dict[str, Decimal] = {}
    fees = Decimal(0)
    for t in result.trades:
        fees += t.entry_fee + (t.exit_fee or 0)
        if t.exit_reason is not None and t.pnl is not None:
            # Tallied in plain dicts, each reason's tally made once: a frozen dataclass a
            # trade was most of this loop's time.
            reason = t.exit_reason.value
            counts[reason] = counts.get(reason, 0) + 1
            pnls[reason] = pnls.get(reason, Decimal(0)) + t.pnl
    by_reason = {reason: ReasonTally(count, pnls[reason]) for reason, count in counts.items()}
    n = len(candles)
    equity = result.equity
    open_pnl = float(equity[-1]) - float(result.final_balance) if n else 0.0
    return Summary(
        candles=n,
        start_time=int(candles.open_time[0]) if n else 0,
        end_time=int(candles.open_time[-1]) if n else 0,
        trades=len(closed),
        wins=sum(1 for t in closed if t.pnl is not None and t.pnl > 0),
        total_pnl=sum((t.pnl for t in closed if t.pnl is not None), Decimal(0)),
        fees=fees,
        initial_balance=result.initial_balance,
        final_balance=result.final_balance,
        max_drawdown=max_drawdown(equity) if drawdown is None else drawdown,
        buy_and_hold=float(candles.close[-1] / candles.open[0] - 1) if n else 0.0,
        by_reason=by_reason,
        open_pnl=open_pnl,
        skipped=dict(result.skipped),
        exit_seconds=result.exit_seconds,
    )


def max_drawdown(equity: FloatArray) -> float:
    """Return the largest peak-to-trough fall of the curve as a fraction of the peak."""
    if equity.size == 0:
        return 0.0
    peaks = np.maximum.accumulate(equity)
    return float(np.max((peaks - equity) / peaks))

"""What a search ranks by: one number per backtest, larger is better.

- `return`: final balance / initial balance − 1;
- `sharpe`, `sortino`: per-candle equity returns annualized from the candle spacing (as in
  the report, without its minimum length: folds are short by design);
- `profit_factor`: gross profit / gross loss (no loss: gross profit, so more is better);
- `expectancy`: realized PnL per closed trade, in quote;
- `calmar`: return / max drawdown.
None when undefined (no trades, no variation): such a set ranks below every number.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tradewind.services.backtest.metrics import max_drawdown
from tradewind.services.backtest.result import BacktestResult
from tradewind.services.backtest.stats import DAYS_PER_YEAR, SECONDS_PER_DAY

Objective = Callable[[BacktestResult, int], float | None]


def _return(result: BacktestResult, interval: int) -> float | None:
    return float(result.final_balance / result.initial_balance - 1)


def _ratio(downside_only: bool) -> Objective:
    def ratio(result: BacktestResult, interval: int) -> float | None:
        equity = result.equity
        if equity.size < 3:
            return None
        returns = np.diff(equity) / equity[:-1]
        if downside_only:
            spread = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
        else:
            spread = float(np.std(returns, ddof=1))
        if not spread > 0 or not math.isfinite(spread):
            return None
        return (
            float(np.mean(returns)) / spread * math.sqrt(DAYS_PER_YEAR * SECONDS_PER_DAY / interval)
        )

    return ratio


def _profit_factor(result: BacktestResult, interval: int) -> float | None:
    pnls = [t.pnl for t in result.trades if t.pnl is not None]
    if not pnls:
        return None
    profit = float(sum(p for p in pnls if p > 0))
    loss = -float(sum(p for p in pnls if p < 0))
    return profit / loss if loss else profit


def _expectancy(result: BacktestResult, interval: int) -> float | None:
    pnls = [t.pnl for t in result.trades if t.pnl is not None]
    return float(sum(pnls)) / len(pnls) if pnls else None


def _calmar(result: BacktestResult, interval: int) -> float | None:
    depth = max_drawdown(result.equity)
    gain = _return(result, interval)
    return None if not depth or gain is None else gain / depth


# The objectives that read the equity curve; the others' backtests skip building it.
READS_EQUITY = frozenset({"sharpe", "sortino", "calmar"})

OBJECTIVES: dict[str, Objective] = {
    "return": _return,
    "sharpe": _ratio(downside_only=False),
    "sortino": _ratio(downside_only=True),
    "profit_factor": _profit_factor,
    "expectancy": _expectancy,
    "calmar": _calmar,
}

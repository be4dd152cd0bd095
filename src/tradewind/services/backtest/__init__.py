"""Backtest the strategy on candle arrays with the domain's own rules."""

from tradewind.services.backtest.engine import BacktestSpec, run_backtest
from tradewind.services.backtest.result import BacktestResult, RoundTrip

__all__ = ["BacktestResult", "BacktestSpec", "RoundTrip", "run_backtest"]

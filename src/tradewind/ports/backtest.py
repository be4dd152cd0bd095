"""What the backtest use case reads: candles (a file, the candle store, or a generated
market) and the symbol's rules. Bootstrap wires the files, the store, the generator and
the rules tables."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from tradewind.domain.candles import Candles
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType


class BacktestSources(Protocol):
    def read_candles(self, path: Path) -> Candles:
        """Return the candles of a CSV file; ConfigurationError names the file and line."""
        ...

    def stored_candles(self, symbol: str, timeframe: str, market: PositionType) -> Candles | None:
        """Return the series from the candle store (`tradewind data download`), or None."""
        ...

    def generate_candles(
        self, count: int, interval_seconds: int, seed: int, symbol: str
    ) -> Candles:
        """Return `count` candles of a seeded generated market of `symbol`, `interval_seconds`
        apart: each symbol at its own price level, on its own path."""
        ...

    def rules(
        self, symbol: str, position_type: PositionType, exchange_info: Path | None
    ) -> MarketRules:
        """Return the symbol's rules: from a Binance exchangeInfo file if given, else those
        the candle store saved at download, else built in."""
        ...

"""The backtest's sources: candle CSV files, the generated market, the symbol rules (built
in, or from a Binance exchangeInfo file). No database, no network: cheap to import, as
`tradewind backtest` runs in well under a second."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.candles import Candles
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType

if TYPE_CHECKING:
    # A type only: importing the ports package would cost the backtest's start-up.
    from tradewind.ports.backtest import BacktestSources


class FileSources:
    """Candles from files or the generator; rules from the built-in table or a file."""

    def read_candles(self, path: Path) -> Candles:
        return read_candles_csv(path)

    def generate_candles(self, count: int, interval_seconds: int, seed: int) -> Candles:
        return generate_market(count, interval_seconds, seed=seed)

    def rules(
        self, symbol: str, position_type: PositionType, exchange_info: Path | None
    ) -> MarketRules:
        return rules_for(symbol, position_type, exchange_info)


def backtest_sources() -> BacktestSources:
    """Return where `tradewind backtest` reads candles and rules."""
    return FileSources()

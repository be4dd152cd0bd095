"""The backtest's sources: candle CSV files, the candle store, the generated market, the
symbol rules (from a Binance exchangeInfo file, the store, or built in). No database, no
network: cheap to import, as `tradewind backtest` runs in well under a second."""

from __future__ import annotations

import zlib
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from tradewind.adapters.exchange.builtin_rules import BUILTIN_RULES, rules_for
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.candles import Candles
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports.research import CandleStore, SeriesKey

if TYPE_CHECKING:
    # A type only: importing the ports package would cost the backtest's start-up.
    from tradewind.ports.backtest import BacktestSources


class FileSources:
    """Candles from files, the store or the generator; rules from a file, the store or the
    built-in table. The store (and the settings naming it) is opened on first use only."""

    def __init__(self, store: CandleStore | None = None) -> None:
        self._store = store

    def _candle_store(self) -> CandleStore:
        if self._store is None:
            from tradewind.bootstrap.data import candle_store

            self._store = candle_store()
        return self._store

    def read_candles(self, path: Path) -> Candles:
        return read_candles_csv(path)

    def stored_candles(self, symbol: str, timeframe: str, market: PositionType) -> Candles | None:
        return self._candle_store().read(SeriesKey(market, Symbol(symbol), timeframe))

    def generate_candles(
        self, count: int, interval_seconds: int, seed: int, symbol: str
    ) -> Candles:
        from tradewind.bootstrap.markets import start_price  # clocks, replays: not for a CSV

        known = BUILTIN_RULES.get((symbol, PositionType.SPOT))
        return generate_market(
            count,
            interval_seconds,
            # Its own path: the symbol's name moves the seed, the same way every run.
            seed=seed + zlib.crc32(symbol.encode()) % 1_000_000,
            start_price=start_price(symbol),
            tick=known.tick_size if known is not None else Decimal("0.0001"),
        )

    def rules(
        self, symbol: str, position_type: PositionType, exchange_info: Path | None
    ) -> MarketRules:
        if exchange_info is None:
            stored = self._candle_store().rules(symbol, position_type)
            if stored is not None:
                return stored
        return rules_for(symbol, position_type, exchange_info)


def backtest_sources(store: CandleStore | None = None) -> BacktestSources:
    """Return where `tradewind backtest` reads candles and rules."""
    return FileSources(store)

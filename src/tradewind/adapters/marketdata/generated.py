"""A generated 1-minute market for any symbol, the same in every process that asks.

Workers on several machines trade one paper market, so each must see the same candles:
each symbol's series is generated from the market's start time and seed and the symbol
itself (never from which other symbols happen to trade), on first use, and kept.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType, Symbol

MINUTE = 60


class GeneratedMarket:
    """Seeded 1m candles of any symbol from `start` for `minutes` (MarketData, PriceFeed)."""

    def __init__(
        self,
        start: int,
        minutes: int,
        seed: int,
        start_price: Callable[[str], Decimal],
        tick: Callable[[str], Decimal],
    ) -> None:
        self.start = start - start % MINUTE
        self.minutes = minutes
        self.seed = seed
        self._start_price = start_price
        self._tick = tick
        self._markets: dict[str, ReplayMarketData] = {}
        self._guard = threading.Lock()

    def _market(self, symbol: str) -> ReplayMarketData:
        with self._guard:
            market = self._markets.get(symbol)
            if market is None:
                candles = generate_market(
                    self.minutes,
                    MINUTE,
                    seed=self.seed + zlib.crc32(symbol.encode()) % 100_000,
                    start_price=self._start_price(symbol),
                    start_time=datetime.fromtimestamp(self.start, tz=UTC),
                    tick=self._tick(symbol),
                )
                market = self._markets[symbol] = ReplayMarketData({symbol: candles})
        return market

    def closed_candles(
        self, symbol: Symbol, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        """Return up to `limit` candles that closed at or before `until`, oldest first."""
        return self._market(symbol).closed_candles(symbol, timeframe, position_type, until, limit)

    def minute_candles(
        self, symbol: str, position_type: PositionType, start: int, end: int
    ) -> Candles:
        """Return the 1-minute candles with open time in [start, end)."""
        return self._market(symbol).minute_candles(symbol, position_type, start, end)

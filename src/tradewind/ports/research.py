"""What the research tools read and write: a venue's candle history and symbol rules, and
the local candle store the backtester, the demo and the optimizer read by series.

A series is one (market, symbol, timeframe). The store keeps one contiguous span per
series (a download that extends it fetches what lies between), plus the symbol's rules
as the venue stated them at the last download.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tradewind.domain.candles import Candles
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType, Symbol


@dataclass(frozen=True, slots=True, order=True)
class SeriesKey:
    """One candle series: a symbol's candles of one timeframe on one market."""

    market: PositionType
    symbol: Symbol
    timeframe: str

    def __str__(self) -> str:
        return f"{self.symbol} {self.market.value} {self.timeframe}"


@dataclass(frozen=True, slots=True)
class StoredSeries:
    """What the store holds of one series."""

    key: SeriesKey
    candles: int
    first_open: int  # Unix seconds of the first candle's open
    last_open: int
    missing: int  # candles absent inside the span (the venue had none: an outage)
    location: str  # where it lives, for the user (a file path)
    has_rules: bool


class CandleStore(Protocol):
    """Candle series and symbol rules kept on local disk."""

    def read(self, key: SeriesKey) -> Candles | None:
        """Return the stored candles of `key`, oldest first, or None when none are stored."""
        ...

    def write(self, key: SeriesKey, candles: Candles) -> None:
        """Replace the stored series with `candles` (ascending, unique), atomically."""
        ...

    def series(self) -> list[StoredSeries]:
        """Return every stored series, sorted."""
        ...

    def save_rules(self, rules: MarketRules) -> None:
        """Keep the symbol's rules beside its candles."""
        ...

    def rules(self, symbol: str, market: PositionType) -> MarketRules | None:
        """Return the rules saved for the symbol, or None."""
        ...


class CandleHistory(Protocol):
    """A venue's public candle history (no API key)."""

    def server_time(self) -> int:
        """Return the venue's clock (Unix seconds): candles opening later are not closed."""
        ...

    def rules(self, symbol: str, market: PositionType) -> MarketRules:
        """Return the symbol's rules as the venue lists them; ConfigurationError if unlisted."""
        ...

    def candles(self, key: SeriesKey, start: int, end: int) -> Candles:
        """Return up to one page of candles opening in [start, end), oldest first; the
        newest candle a venue has may be the one still forming on its clock."""
        ...

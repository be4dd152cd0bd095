"""Market data served from candles held in memory: CSV files or a generated market.

The replay clock walks through them; `closed_candles` never shows a candle that has not
closed at the asked time, so a replayed bot sees exactly what a live one would. Higher
timeframes are built from the 1-minute candles (open of the first, highest high, lowest
low, close of the last, summed volume) once per timeframe and kept.
"""

from __future__ import annotations

import threading

import numpy as np

from tradewind.domain.candles import Candles, aggregate
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import PositionType, Symbol

MINUTE = 60
__all__ = ["ReplayMarketData", "aggregate"]


class ReplayMarketData:
    """Closed candles of each symbol from 1-minute series given up front."""

    def __init__(self, minute_series: dict[str, Candles], default: Candles | None = None) -> None:
        self._series = dict(minute_series)
        self._default = default
        self._built: dict[tuple[str, int], Candles] = {}
        self._lock = threading.Lock()

    def symbols(self) -> list[str]:
        return sorted(self._series)

    def _minutes(self, symbol: str) -> Candles:
        series = self._series.get(symbol, self._default)
        if series is None:
            raise ConfigurationError(
                f"symbol {symbol}: no candles to replay (have {', '.join(self.symbols())})"
            )
        return series

    def _candles(self, symbol: str, seconds: int) -> Candles:
        key = (symbol, seconds)
        with self._lock:
            built = self._built.get(key)
            if built is None:
                built = self._built[key] = aggregate(self._minutes(symbol), seconds)
        return built

    def closed_candles(
        self, symbol: Symbol, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        """Return up to `limit` candles that closed at or before `until`, oldest first."""
        seconds = timeframe_seconds(timeframe)
        candles = self._candles(symbol, seconds)
        stop = int(np.searchsorted(candles.open_time, until - seconds, side="right"))
        return _window(candles, max(0, stop - limit), stop)

    def minute_candles(
        self, symbol: str, position_type: PositionType, start: int, end: int
    ) -> Candles:
        """Return the 1-minute candles with open time in [start, end)."""
        candles = self._candles(symbol, MINUTE)
        lo = int(np.searchsorted(candles.open_time, start, side="left"))
        hi = int(np.searchsorted(candles.open_time, end, side="left"))
        return _window(candles, lo, hi)

    def span(self) -> tuple[int, int]:
        """Return the first open time and the last close time over all series."""
        series = [s for s in [*self._series.values(), self._default] if s is not None and len(s)]
        first = min(int(s.open_time[0]) for s in series)
        last = max(int(s.open_time[-1]) + MINUTE for s in series)
        return first, last


def _window(c: Candles, lo: int, hi: int) -> Candles:
    return Candles(
        c.open_time[lo:hi], c.open[lo:hi], c.high[lo:hi], c.low[lo:hi], c.close[lo:hi],
        c.volume[lo:hi],
    )  # fmt: skip

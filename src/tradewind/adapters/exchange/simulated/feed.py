"""Where the simulated venue's market comes from: 1-minute candles per symbol and market.

The venue moves on 1m candles. A MARKET order at time t fills at the open of the 1m candle
that contains t (an order decided at the close of candle i, i.e. the open of i+1, fills at
that open, as STRATEGY.md "Fills" says); when no candle covers t, at the last close before t.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import numpy as np

from tradewind.domain.candles import Candles, to_decimal
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType

MINUTE = 60
# How far back to look for the last close when no candle covers a moment: an hour, a day,
# then a month (a feed with a longer gap has no price).
_LOOKBACKS = (3_600, 86_400, 30 * 86_400)


class PriceFeed(Protocol):
    """Serves the 1m candles the simulated venue's market moves on."""

    def minute_candles(
        self, symbol: str, position_type: PositionType, start: int, end: int
    ) -> Candles:
        """Return the 1m candles of `symbol` with open_time in [start, end), oldest first."""
        ...


def empty_candles() -> Candles:
    """Return a Candles value with no rows."""
    nothing = np.empty(0)
    return Candles(np.empty(0, dtype=np.int64), nothing, nothing, nothing, nothing, nothing)


class CandlesPriceFeed:
    """A PriceFeed over 1m candles held in memory, for tests and replays."""

    def __init__(self, candles: Mapping[tuple[str, PositionType], Candles]) -> None:
        for (symbol, kind), series in candles.items():
            # Coarser candles would let the venue see a close before it happened.
            if len(series) > 1 and series.interval_seconds != MINUTE:
                raise ConfigurationError(
                    f"{symbol} {kind.value}: the simulated exchange moves on 1m candles, "
                    f"got {series.interval_seconds}s candles"
                )
        self._candles = dict(candles)

    @classmethod
    def both_markets(cls, candles: Mapping[str, Candles]) -> CandlesPriceFeed:
        """Return a feed where each symbol's spot and futures markets move on one series."""
        return cls(
            {(symbol, kind): series for symbol, series in candles.items() for kind in PositionType}
        )

    def minute_candles(
        self, symbol: str, position_type: PositionType, start: int, end: int
    ) -> Candles:
        """Return the candles of `symbol` with open_time in [start, end)."""
        candles = self._candles.get((symbol, position_type))
        if candles is None or start >= end:
            return empty_candles()
        lo, hi = np.searchsorted(candles.open_time, [start, end], side="left")
        window = slice(int(lo), int(hi))
        return Candles(
            candles.open_time[window],
            candles.open[window],
            candles.high[window],
            candles.low[window],
            candles.close[window],
            candles.volume[window],
        )


@dataclass(frozen=True, slots=True)
class Bar:
    """One 1m candle in exact decimals, as the venue applies it."""

    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


def bars(candles: Candles) -> list[Bar]:
    """Turn candles into exact-decimal bars."""
    return [
        Bar(
            int(t),
            to_decimal(float(o)),
            to_decimal(float(h)),
            to_decimal(float(lo)),
            to_decimal(float(c)),
        )
        for t, o, h, lo, c in zip(
            candles.open_time.tolist(),
            candles.open.tolist(),
            candles.high.tolist(),
            candles.low.tolist(),
            candles.close.tolist(),
            strict=True,
        )
    ]


def fill_price(
    feed: PriceFeed, symbol: str, position_type: PositionType, at: int
) -> Decimal | None:
    """Return the price a MARKET order placed at `at` fills at, or None when there is none."""
    minute = at - at % MINUTE
    current = feed.minute_candles(symbol, position_type, minute, minute + MINUTE)
    if len(current):
        return to_decimal(float(current.open[0]))
    for lookback in _LOOKBACKS:
        before = feed.minute_candles(symbol, position_type, minute - lookback, minute)
        if len(before):
            return to_decimal(float(before.close[-1]))
    return None

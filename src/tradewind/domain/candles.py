"""Closed candles of one symbol and timeframe as parallel numpy arrays.

Floats are fine here: candle prices feed indicators and are compared with levels. Any
price that sizes or prices an order is turned into a `Decimal` with `to_decimal`, which
recovers the exact decimal the venue sent (a float parsed from a decimal string with at
most 15 significant digits prints back to that same string).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Candles:
    """OHLCV arrays; `open_time` is Unix seconds (UTC), ascending, unique."""

    open_time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return int(self.close.shape[0])

    @property
    def interval_seconds(self) -> int:
        """The candle spacing (the smallest gap between open times)."""
        if len(self) < 2:
            return 60
        return int(np.min(np.diff(self.open_time)))


def to_decimal(value: float) -> Decimal:
    """Turn a float read from a price column back into the decimal it was written as."""
    return Decimal(repr(value))


def bucket_starts(open_time: IntArray, seconds: int) -> IntArray:
    """Return the index of the first candle of each `seconds` bucket, aligned to the Unix
    epoch (UTC) as Binance aligns its klines up to 1d."""
    bucket = open_time // seconds
    starts: IntArray = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    return starts


def aggregate(candles: Candles, seconds: int) -> Candles:
    """Combine candles into candles of `seconds`: open of the first, highest high, lowest
    low, close of the last, summed volume; open times aligned to the Unix epoch (UTC)."""
    if seconds == candles.interval_seconds or len(candles) == 0:
        return candles
    starts = bucket_starts(candles.open_time, seconds)
    ends = np.r_[starts[1:], len(candles)] - 1
    return Candles(
        open_time=candles.open_time[starts] // seconds * seconds,
        open=candles.open[starts],
        high=np.maximum.reduceat(candles.high, starts),
        low=np.minimum.reduceat(candles.low, starts),
        close=candles.close[ends],
        volume=np.add.reduceat(candles.volume, starts),
    )

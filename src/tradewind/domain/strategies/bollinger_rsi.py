"""Bollinger-band mean reversion with an RSI filter on closed candles (docs/strategy.md,
"Bollinger bands + RSI").

A close below the lower band with the RSI oversold is a stretch down that this strategy
expects to revert: BUY on the candle where that begins; SELL, mirrored, where a stretch up
begins. It complements ema_rsi, which follows trends.

`signal_at` is the definition for one candle; `signal_array` applies the very same
comparisons to whole arrays for the backtester. NaN (not yet defined) fails every
comparison, so no signal comes before the bands and the RSI exist at i-1.

`bands` works one window offset at a time (a loop over the period, never over candles),
on the closes' differences from each window's oldest close, and takes the deviations from
the window's own mean in a second pass (no cancellation). Every window is computed by the
same operations in the same order wherever it sits in the array, so the tick, which
computes only the last two windows, gets exactly the backtester's numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tradewind.domain.candles import Candles, FloatArray
from tradewind.domain.indicators import rsi
from tradewind.domain.strategies.base import (
    WILDER_MEMORY,
    Strategy,
    check_bounds,
    check_ordered,
    param,
)
from tradewind.domain.types import Signal


@dataclass(frozen=True, slots=True)
class BollingerRsiParams:
    """Bollinger bands + RSI settings. Periods stay short enough for the history the live
    bot reads (40 × the RSI period) to stay well inside what Binance serves."""

    bb_period: int = param(20, "Closes in the bands' moving average and deviation.", ge=2, le=500)
    bb_stddev: float = param(2.0, "Band distance from the average, in deviations.", gt=0, le=10)
    rsi_period: int = param(14, "RSI period (Wilder).", ge=2, le=100)
    rsi_oversold: float = param(30.0, "RSI level a BUY must be below.", gt=0, lt=100)
    rsi_overbought: float = param(70.0, "RSI level a SELL must be above.", gt=0, lt=100)

    def __post_init__(self) -> None:
        check_bounds(self)
        check_ordered("rsi_oversold", self.rsi_oversold, "rsi_overbought", self.rsi_overbought)

    @property
    def warmup(self) -> int:
        """Index of the first candle at which a signal can be decided (needs i-1 defined)."""
        return max(self.bb_period - 1, self.rsi_period) + 1


def bands(
    close: FloatArray, period: int, width: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return the lower band, the middle (SMA) and the upper band; NaN before period-1.

    Middle = mean of the last `period` closes; the bands lie `width` population standard
    deviations of those closes below and above it.
    """
    size = close.shape[0]
    lower, middle, upper = (np.full(size, np.nan) for _ in range(3))
    windows = size - period + 1
    if windows <= 0:
        return lower, middle, upper
    # Everything relative to each window's oldest close: nearby prices subtract exactly,
    # and a window of equal closes has exactly its close as mean and no deviation.
    oldest = close[:windows]
    total = np.zeros(windows)
    for offset in range(1, period):
        total += close[offset : offset + windows] - oldest
    above_oldest = total / period
    squares = above_oldest * above_oldest  # the oldest close's own deviation
    for offset in range(1, period):
        deviation = (close[offset : offset + windows] - oldest) - above_oldest
        squares += deviation * deviation
    mean = oldest + above_oldest
    spread = width * np.sqrt(squares / period)
    middle[period - 1 :] = mean
    lower[period - 1 :] = mean - spread
    upper[period - 1 :] = mean + spread
    return lower, middle, upper


def signal_at(
    previous: tuple[float, float, float, float],
    current: tuple[float, float, float, float],
    params: BollingerRsiParams,
) -> Signal:
    """Decide BUY, SELL or nothing from (close, lower, upper, rsi) at candles i-1 and i.

    NaN = not yet defined: no signal until all four are defined at both candles.
    """
    if any(math.isnan(value) for value in (*previous, *current)):
        return Signal.NONE
    if _stretched_down(*current, params) and not _stretched_down(*previous, params):
        return Signal.BUY
    if _stretched_up(*current, params) and not _stretched_up(*previous, params):
        return Signal.SELL
    return Signal.NONE


def _stretched_down(
    close: float, lower: float, _upper: float, strength: float, params: BollingerRsiParams
) -> bool:
    return close < lower and strength < params.rsi_oversold


def _stretched_up(
    close: float, _lower: float, upper: float, strength: float, params: BollingerRsiParams
) -> bool:
    return close > upper and strength > params.rsi_overbought


def signal_array(
    close: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    rsi_values: FloatArray,
    params: BollingerRsiParams,
) -> NDArray[np.int8]:
    """Return the signal (1 BUY, -1 SELL, 0) at every candle; index 0 never signals."""
    out = np.zeros(close.shape[0], dtype=np.int8)
    if close.shape[0] < 2:
        return out
    with np.errstate(invalid="ignore"):
        down = (close < lower) & (rsi_values < params.rsi_oversold)
        up = (close > upper) & (rsi_values > params.rsi_overbought)
    defined = ~np.isnan(lower) & ~np.isnan(rsi_values)
    both = defined[1:] & defined[:-1]
    out[1:][down[1:] & ~down[:-1] & both] = Signal.BUY
    out[1:][up[1:] & ~up[:-1] & both] = Signal.SELL
    return out


class BollingerRsi:
    """BUY where a close below the lower band with the RSI oversold begins; SELL where a
    close above the upper band with the RSI overbought begins."""

    name = "bollinger_rsi"
    summary = "Bollinger-band mean reversion with an RSI filter (SMA ± k·σ, Wilder RSI)"
    params_type = BollingerRsiParams

    def warmup(self, params: BollingerRsiParams) -> int:
        return params.warmup + 1

    def history(self, params: BollingerRsiParams) -> int:
        # The bands are a window of bb_period closes: only the RSI remembers further back.
        return max(WILDER_MEMORY * params.rsi_period, self.warmup(params))

    def signals(self, candles: Candles, params: BollingerRsiParams) -> NDArray[np.int8]:
        close = candles.close
        lower, _, upper = bands(close, params.bb_period, params.bb_stddev)
        return signal_array(close, lower, upper, rsi(close, params.rsi_period), params)

    def indicators(self, candles: Candles, params: BollingerRsiParams) -> dict[str, FloatArray]:
        close = candles.close
        lower, middle, upper = bands(close, params.bb_period, params.bb_stddev)
        return {
            "band lower": lower,
            "band middle": middle,
            "band upper": upper,
            f"rsi {params.rsi_period}": rsi(close, params.rsi_period),
        }

    def last_signal(self, candles: Candles, params: BollingerRsiParams) -> Signal:
        close = candles.close
        if close.shape[0] < 2:
            return Signal.NONE
        # Only the last two windows are needed; each is computed exactly as in `signals`.
        lower, _, upper = bands(
            close[-(params.bb_period + 1) :], params.bb_period, params.bb_stddev
        )
        strength = rsi(close, params.rsi_period)
        return signal_at(
            (float(close[-2]), float(lower[-2]), float(upper[-2]), float(strength[-2])),
            (float(close[-1]), float(lower[-1]), float(upper[-1]), float(strength[-1])),
            params,
        )


BOLLINGER_RSI: Strategy[BollingerRsiParams] = BollingerRsi()

"""The EMA-crossover + RSI strategy on closed candles (docs/strategy.md, "Signals").

`signal_at` is the definition for one candle; `signal_array` applies the very same
comparisons to whole arrays for the backtester. A NaN (indicator not yet defined) makes
every comparison false, so no signal is given before all three indicators exist at i-1.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tradewind.domain.candles import FloatArray
from tradewind.domain.indicators import ema, rsi
from tradewind.domain.params import StrategyParams
from tradewind.domain.types import Signal


def signal_at(
    fast_prev: float | None,
    slow_prev: float | None,
    rsi_prev: float | None,
    fast: float | None,
    slow: float | None,
    rsi_now: float | None,
    params: StrategyParams,
) -> Signal:
    """Decide BUY, SELL or nothing from the indicators at candles i-1 and i.

    No signal until every indicator is defined at both candles (None = not yet defined).
    """
    if (
        fast_prev is None
        or slow_prev is None
        or rsi_prev is None
        or fast is None
        or slow is None
        or rsi_now is None
    ):
        return Signal.NONE
    if fast_prev <= slow_prev and fast > slow and rsi_now < params.rsi_overbought:
        return Signal.BUY
    if fast_prev >= slow_prev and fast < slow and rsi_now > params.rsi_oversold:
        return Signal.SELL
    return Signal.NONE


def signal_array(
    fast: FloatArray, slow: FloatArray, rsi_values: FloatArray, params: StrategyParams
) -> NDArray[np.int8]:
    """Return the signal (1 BUY, -1 SELL, 0) at every candle; index 0 never signals."""
    out = np.zeros(fast.shape[0], dtype=np.int8)
    if fast.shape[0] < 2:
        return out
    fp, sp, f, s, r = fast[:-1], slow[:-1], fast[1:], slow[1:], rsi_values[1:]
    # NaN (undefined) fails every comparison; the RSI must also be defined at i-1.
    rsi_prev_defined = ~np.isnan(rsi_values[:-1])
    with np.errstate(invalid="ignore"):
        buy = (fp <= sp) & (f > s) & (r < params.rsi_overbought) & rsi_prev_defined
        sell = (fp >= sp) & (f < s) & (r > params.rsi_oversold) & rsi_prev_defined
    out[1:][buy] = Signal.BUY
    out[1:][sell] = Signal.SELL
    return out


def signals(close: FloatArray, params: StrategyParams) -> NDArray[np.int8]:
    """Compute indicators on closes and return the signal at every candle."""
    return signal_array(
        ema(close, params.ema_fast),
        ema(close, params.ema_slow),
        rsi(close, params.rsi_period),
        params,
    )

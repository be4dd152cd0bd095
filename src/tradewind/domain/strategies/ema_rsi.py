"""The EMA-crossover + RSI strategy on closed candles (docs/strategy.md, "EMA crossover + RSI").

`signal_at` is the definition for one candle; `signal_array` applies the very same
comparisons to whole arrays for the backtester. A NaN (indicator not yet defined) makes
every comparison false, so no signal is given before all three indicators exist at i-1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tradewind.domain.candles import Candles, FloatArray
from tradewind.domain.indicators import ema, rsi
from tradewind.domain.strategies.base import (
    EMA_MEMORY,
    WILDER_MEMORY,
    Strategy,
    check_bounds,
    check_ordered,
    param,
)
from tradewind.domain.types import Signal


@dataclass(frozen=True, slots=True)
class EmaRsiParams:
    """EMA-crossover + RSI settings. RSI thresholds are indicator values, not money."""

    ema_fast: int = param(8, "Fast EMA period.", ge=2, alias="custom_ema_fast")
    ema_slow: int = param(21, "Slow EMA period.", ge=2, alias="custom_ema_slow")
    rsi_period: int = param(7, "RSI period (Wilder).", ge=2, alias="custom_rsi_period")
    rsi_oversold: float = param(
        35.0, "RSI level a SELL must be above.", gt=0, lt=100, alias="custom_rsi_oversold"
    )
    rsi_overbought: float = param(
        65.0, "RSI level a BUY must be below.", gt=0, lt=100, alias="custom_rsi_overbought"
    )

    def __post_init__(self) -> None:
        check_bounds(self)
        check_ordered("ema_fast", self.ema_fast, "ema_slow", self.ema_slow)
        check_ordered("rsi_oversold", self.rsi_oversold, "rsi_overbought", self.rsi_overbought)

    @property
    def warmup(self) -> int:
        """Index of the first candle at which a signal can be decided (needs i-1 defined)."""
        return max(self.ema_slow - 1, self.rsi_period) + 1


def signal_at(
    fast_prev: float | None,
    slow_prev: float | None,
    rsi_prev: float | None,
    fast: float | None,
    slow: float | None,
    rsi_now: float | None,
    params: EmaRsiParams,
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
    fast: FloatArray, slow: FloatArray, rsi_values: FloatArray, params: EmaRsiParams
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


def signals(close: FloatArray, params: EmaRsiParams) -> NDArray[np.int8]:
    """Compute indicators on closes and return the signal at every candle."""
    return signal_array(
        ema(close, params.ema_fast),
        ema(close, params.ema_slow),
        rsi(close, params.rsi_period),
        params,
    )


class EmaRsi:
    """BUY on an EMA cross up with the RSI below overbought; SELL on a cross down above
    oversold."""

    name = "ema_rsi"
    summary = "EMA crossover confirmed by the RSI (fast/slow EMA, Wilder RSI)"
    params_type = EmaRsiParams

    def warmup(self, params: EmaRsiParams) -> int:
        return params.warmup + 1

    def history(self, params: EmaRsiParams) -> int:
        memory = max(EMA_MEMORY * params.ema_slow, WILDER_MEMORY * params.rsi_period)
        return max(memory, self.warmup(params))

    def signals(self, candles: Candles, params: EmaRsiParams) -> NDArray[np.int8]:
        return signals(candles.close, params)

    def indicators(self, candles: Candles, params: EmaRsiParams) -> dict[str, FloatArray]:
        close = candles.close
        return {
            f"ema {params.ema_fast}": ema(close, params.ema_fast),
            f"ema {params.ema_slow}": ema(close, params.ema_slow),
            f"rsi {params.rsi_period}": rsi(close, params.rsi_period),
        }

    def last_signal(self, candles: Candles, params: EmaRsiParams) -> Signal:
        close = candles.close
        fast, slow, strength = (
            ema(close, params.ema_fast),
            ema(close, params.ema_slow),
            rsi(close, params.rsi_period),
        )

        def at(values: FloatArray, i: int) -> float | None:
            if values.shape[0] < -i:
                return None
            value = float(values[i])
            return None if math.isnan(value) else value

        return signal_at(
            at(fast, -2), at(slow, -2), at(strength, -2),
            at(fast, -1), at(slow, -1), at(strength, -1),
            params,
        )  # fmt: skip


EMA_RSI: Strategy[EmaRsiParams] = EmaRsi()

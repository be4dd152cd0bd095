"""EMA and Wilder RSI on closes of closed candles (STRATEGY.md, "Indicators").

Two forms of each indicator that give the same numbers (within 1e-9 relative, and within
1e-9 of TA-Lib's EMA and RSI):

- `ema` / `rsi` take a whole array, for the backtester. NaN marks "not defined yet".
  Leading NaNs are skipped the way TA-Lib skips them (so an indicator of an indicator
  works); a NaN after the first value makes every later value NaN.
- `EmaState` / `RsiState` take one closed candle at a time, for the live bot. `None`
  marks "not defined yet"; a non-finite close is refused.

Deliberate differences from TA-Lib, both about unchanged closes:
- while no close has moved yet (average gain and loss both exactly 0) the RSI is 50, as
  the strategy defines it; TA-Lib says 0.
- an unchanged close scales both averages by the same factor, so the RSI keeps its value.
  Both forms hold it explicitly, so a flat run long enough to underflow the averages
  (about 1,000 candles at period 2, 5,000 at period 7) cannot flip the RSI to 0, 50 or 100
  as it does in TA-Lib, and the backtest and the live bot still agree there.
The RSI is computed as 100·g/(g+l), TA-Lib's form of 100 - 100/(1 + g/l): the same
number, without the cancellation of the latter near 0.

Both indicators are first-order linear recurrences, `y[i] = decay·y[i-1] + scale·x[i]`.
A Python loop over a million candles is far too slow, so the arrays are cut into blocks of
length B and each block is solved with one cumulative sum:

    y[t0+k] = decay^k · (decay·y[t0-1] + Σ_{j<=k} scale·x[t0+j]·decay^(-j))

B is chosen per period so that decay^(-B) stays below 1e60 (far from overflow). The
block-end values are then chained with a log-depth prefix scan of the same recurrence
(coefficient decay^B), and every block gets its carry-in in one broadcast. The inputs
(prices; the RSI's gains and absolute moves) are non-negative, so the sums have no
cancellation and the relative error stays below about 1e-14 whatever the series length.
The output array doubles as the work area: touching fresh memory costs more than the
arithmetic here, so each call allocates one large array (two for the RSI).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradewind.domain.candles import FloatArray
from tradewind.domain.errors import DomainError
from tradewind.domain.indicator_memo import remembered

__all__ = ["EmaState", "RsiState", "ema", "rsi"]

# decay^(-B) may grow to this inside a block; prices up to ~1e240 cannot overflow.
_MAX_GROWTH_LOG = math.log(1e60)
# Longer blocks only add rounding steps to each cumulative sum without saving any work.
_MAX_BLOCK = 4096
_NEUTRAL_RSI = 50.0
# Summed moves this small come only from unchanged closes (flat from the start, or a flat
# run long enough to decay the averages towards underflow), never from a price change.
_NEGLIGIBLE_MOVE = 1e-250


def _check_period(period: int) -> None:
    if isinstance(period, bool) or not isinstance(period, int | np.integer) or period < 2:
        raise DomainError(f"indicator period must be an integer >= 2, got {period!r}")


def _closes(close: ArrayLike) -> tuple[FloatArray, int]:
    """Return the closes as a float64 array and the index of the first non-NaN one."""
    values = np.asarray(close, dtype=np.float64)
    if values.ndim != 1:
        raise DomainError(f"closes must be a 1-D array, got shape {values.shape}")
    if values.shape[0] == 0 or not math.isnan(values[0]):
        return values, 0
    valid = np.flatnonzero(~np.isnan(values))
    return values, int(valid[0]) if valid.shape[0] else values.shape[0]


def _block_length(decay: float, length: int) -> int:
    return max(1, min(_MAX_BLOCK, int(_MAX_GROWTH_LOG / -math.log(decay)), length))


def _block_factors(decay: float, block: int) -> tuple[FloatArray, FloatArray]:
    """Return decay^(-k) and decay^k for k = 0..block-1."""
    steps = np.arange(block, dtype=np.float64)
    return decay**-steps, decay**steps


def _scan_blocks(work: FloatArray, decay: float, seed: float, shrink: FloatArray) -> None:
    """Solve y[i] = decay·y[i-1] + x[i] with y[-1] = seed, blockwise and in place.

    `work` (blocks × B, zero-padded) holds x[m·B + k]·decay^(-k) on entry; on return
    `work[m, k]·decay^k` is y[m·B + k]. That last factor (`shrink`) is left to the caller,
    so one that needs only the ratio of two such recurrences can skip it.
    """
    blocks, block = work.shape
    np.cumsum(work, axis=1, out=work)

    # Each block's last value as if it had started from 0; then chain them:
    # end[m] = decay^B · end[m-1] + own[m], computed with log2(blocks) shifted adds.
    ends = work[:, -1] * shrink[-1]
    carry_factor = decay**block
    ends[0] += carry_factor * seed
    shift, factor = 1, carry_factor
    while shift < blocks and factor > 0.0:
        ends[shift:] += factor * ends[:-shift]
        shift *= 2
        factor *= factor

    carry_in = np.empty(blocks, dtype=np.float64)
    carry_in[0] = seed
    carry_in[1:] = ends[:-1]
    work += (decay * carry_in)[:, np.newaxis]


def _rsi_value(avg_gain: float, avg_loss: float) -> float:
    # 100·g/(g+l) is 100 - 100/(1 + g/l) without the cancellation near 0 (TA-Lib's form).
    total = avg_gain + avg_loss
    return _NEUTRAL_RSI if total == 0.0 else 100.0 * (avg_gain / total)


def _hold_through_flats(values: FloatArray, stale: NDArray[np.bool_]) -> None:
    """Give each stale `values[1:]` entry the last good value before it (`values[0]` is good).

    An unchanged close scales both averages by the same factor, so the RSI stays exactly
    where it was; holding it avoids reading a ratio of two underflowed averages.
    """
    position = np.arange(values.shape[0])
    position[1:][stale] = 0
    np.maximum.accumulate(position, out=position)
    values[:] = values[position]


@remembered("ema")
def ema(close: FloatArray, period: int) -> FloatArray:
    """Return the EMA of `close`: NaN before index period-1, there the SMA, then smoothed."""
    _check_period(period)
    values, first = _closes(close)
    size = values.shape[0]
    seed_at = first + period - 1
    if seed_at >= size:
        return np.full(size, np.nan)

    alpha = 2.0 / (period + 1)
    decay = 1.0 - alpha
    rest = size - seed_at - 1
    block = _block_length(decay, rest)
    blocks = -(-rest // block)
    # Fresh memory is slow to touch (page faults), so the output array is the only large
    # one: the blocks are worked on in place in it, and the padding past `size` is cut off.
    buffer = np.empty(seed_at + 1 + blocks * block, dtype=np.float64)
    buffer[:seed_at] = np.nan
    seed = math.fsum(values[first : seed_at + 1].tolist()) / period
    buffer[seed_at] = seed
    if blocks:
        body = buffer[seed_at + 1 :].reshape(blocks, block)
        growth, shrink = _block_factors(decay, block)
        weights = alpha * growth
        tail = values[seed_at + 1 :]
        full = rest // block
        np.multiply(tail[: full * block].reshape(full, block), weights, out=body[:full])
        if full < blocks:
            left = rest - full * block
            np.multiply(tail[full * block :], weights[:left], out=body[full, :left])
            body[full, left:] = 0.0
        _scan_blocks(body, decay, seed, shrink)
        body *= shrink
    return buffer[:size]


@remembered("rsi")
def rsi(close: FloatArray, period: int) -> FloatArray:
    """Return Wilder's RSI of `close` (0..100): NaN before index `period`, 50 when flat."""
    _check_period(period)
    values, first = _closes(close)
    size = values.shape[0]
    seed_at = first + period
    if seed_at >= size:
        return np.full(size, np.nan)

    # Averages are kept as sums (·period) of gains and of moves (|change| = gain + loss):
    # RSI = 100·gain/move is the same ratio, and the exact-zero cases stay exact.
    first_changes = np.diff(values[first : seed_at + 1])
    gain_seed = math.fsum(np.maximum(first_changes, 0.0).tolist())
    move_seed = math.fsum(np.abs(first_changes).tolist())

    decay = (period - 1) / period
    rest = size - seed_at - 1
    block = _block_length(decay, rest)
    blocks = -(-rest // block)
    # As in `ema`, the output doubles as the gains' work area; the moves need one more.
    buffer = np.empty(seed_at + 1 + blocks * block, dtype=np.float64)
    buffer[:seed_at] = np.nan
    buffer[seed_at] = _NEUTRAL_RSI if move_seed == 0.0 else 100.0 * (gain_seed / move_seed)
    if blocks:
        flat_gains = buffer[seed_at + 1 :]
        np.subtract(values[seed_at + 1 :], values[seed_at:-1], out=flat_gains[:rest])
        flat_gains[rest:] = 0.0
        moves = np.abs(flat_gains).reshape(blocks, block)
        np.maximum(flat_gains, 0.0, out=flat_gains)
        gains = flat_gains.reshape(blocks, block)
        growth, shrink = _block_factors(decay, block)
        gains *= growth
        moves *= growth
        # Both recurrences share decay^k per column, so the ratio needs neither factor.
        _scan_blocks(gains, decay, gain_seed, shrink)
        _scan_blocks(moves, decay, move_seed, shrink)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(gains, moves, out=gains)
        gains *= 100.0
        valid_moves = moves.reshape(-1)[:rest]  # not the padding after the end
        if np.fmin.reduce(valid_moves) < _NEGLIGIBLE_MOVE:  # fmin: NaN does not hide a 0
            _hold_through_flats(buffer[seed_at:size], valid_moves < _NEGLIGIBLE_MOVE)
    return buffer[:size]


def _finite_close(close: float) -> float:
    value = float(close)
    if not math.isfinite(value):
        raise DomainError(f"a closed candle needs a finite close, got {close!r}")
    return value


class EmaState:
    """The EMA updated one closed candle at a time; equals `ema` on the same closes."""

    __slots__ = ("_alpha", "_decay", "_period", "_value", "_warmup")

    def __init__(self, period: int) -> None:
        _check_period(period)
        self._period = int(period)
        self._alpha = 2.0 / (period + 1)
        self._decay = 1.0 - self._alpha
        self._warmup: list[float] = []
        self._value: float | None = None

    @property
    def value(self) -> float | None:
        """The EMA after the last close, or None before `period` closes were seen."""
        return self._value

    def update(self, close: float) -> float | None:
        """Take the next closed candle's close; return the EMA, or None until defined."""
        price = _finite_close(close)
        if self._value is not None:
            self._value = self._alpha * price + self._decay * self._value
        else:
            self._warmup.append(price)
            if len(self._warmup) == self._period:
                self._value = math.fsum(self._warmup) / self._period
                self._warmup = []
        return self._value


class RsiState:
    """Wilder's RSI updated one closed candle at a time; equals `rsi` on the same closes."""

    __slots__ = ("_avg_gain", "_avg_loss", "_gains", "_losses", "_period", "_previous", "_value")

    def __init__(self, period: int) -> None:
        _check_period(period)
        self._period = int(period)
        self._previous: float | None = None
        self._gains: list[float] = []
        self._losses: list[float] = []
        self._avg_gain = 0.0
        self._avg_loss = 0.0
        self._value: float | None = None

    @property
    def value(self) -> float | None:
        """The RSI after the last close, or None before `period` changes were seen."""
        return self._value

    def update(self, close: float) -> float | None:
        """Take the next closed candle's close; return the RSI, or None until defined."""
        price = _finite_close(close)
        previous, self._previous = self._previous, price
        if previous is None:
            return None
        change = price - previous
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        if self._value is not None:
            keep = self._period - 1
            self._avg_gain = (self._avg_gain * keep + gain) / self._period
            self._avg_loss = (self._avg_loss * keep + loss) / self._period
            if change == 0.0:
                # Both averages shrank by the same factor: the ratio, the RSI, is unchanged.
                # Recomputing it would read two underflowed averages after a long flat run.
                return self._value
        else:
            self._gains.append(gain)
            self._losses.append(loss)
            if len(self._gains) < self._period:
                return None
            self._avg_gain = math.fsum(self._gains) / self._period
            self._avg_loss = math.fsum(self._losses) / self._period
            self._gains, self._losses = [], []
        self._value = _rsi_value(self._avg_gain, self._avg_loss)
        return self._value

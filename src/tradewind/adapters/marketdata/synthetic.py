"""A seeded synthetic crypto market, so the demo and tests need no data file.

The market is built in log-price space, one step per candle. With `dt` the interval in
seconds and `τ = dt / year`, every parameter is stated in calendar time and scaled by
`dt`, so 1m, 5m, 1h and 1d series share one character: about 55 % annual volatility,
fat tails, volatility that clusters, quiet nights and weekends, and trends both ways.

* **Returns.** `r_t = μ_t·τ + σ_t·z_t + J_t`, with `z_t` standard normal, `μ_t` the
  drift of the current regime and `J_t` a jump (usually 0).
* **Volatility clustering (EGARCH(1,1)-like).** `log σ_t = log(σ_base·√τ·s_t) + h_t`,
  σ_base = 55 %/year, `s_t` the seasonality below. `h` is the sum of a fast component
  (half-life 2 hours, stationary sd 0.30) and a slow one (half-life 4 days, sd 0.45),
  each `h_t = β·h_{t-1} + k·u_{t-1}` with `β = 0.5^(dt/half-life)` and the EGARCH shock
  `u = (|z| − E|z|) − 0.5·z` (scaled to unit variance): big moves raise the following
  volatility, falls more than rises (the leverage effect). As `u` depends only on the
  iid draws `z`, the recursion is a linear filter that numpy solves in blocks (`_ar1`)
  instead of a Python loop over a million steps. A component faster than the candle
  mostly averages out within it, so its sd shrinks as `√(2·T/dt)` (T its time constant)
  once `dt > 2T`. `h` is then shifted so the series' mean variance is `σ_base²·τ`.
* **Jumps.** About 4 per 30 days (at most one candle in two), Laplace-sized (mean size
  0.8 %, 55 % of them down). Each kicks `h` up (fast +0.8, slow +0.3, less when the
  candle outlasts the component) so that turmoil follows a jump.
* **Seasonality.** `s_t` makes volatility highest around 15:00 UTC and lowest around
  03:00 UTC (`exp(0.25·cos)`, the amplitude fading as candles span more of a day) and
  20 % lower on Saturdays and Sundays; it averages about 1.
* **Drift regimes.** Trends last 6 days on average (geometric lengths, at least 50
  candles). Each draws an annual drift from N(0, 3.0), scaled by `√(6 days / mean
  regime length)` when the 50-candle floor makes regimes longer, so a trend moves the
  price by about 0.7 of the noise over its life at any interval; and each adds
  `−x / 0.5 year`, with `x` the log distance from the start price at the regime's start.
  So there are trends up and down for an EMA crossover to follow, while `x` keeps a
  standard deviation near 0.4 however long the series (a century of hourly candles
  stays within about ×/÷ 10 of the start price).
* **Candles.** `open` is the previous `close`, the first open is `start_price`. `high`
  and `low` are the exact extremes of a Brownian bridge from open to close with the
  candle's variance, drawn by inverting `P(max ≥ m) = exp(−2m(m − r)/σ²)`:
  `m = (r + √(r² + 2σ²·E))/2` with `E` a standard exponential draw (and the mirror image
  for the low). Prices are rounded to whole ticks and written as exact decimals
  (`to_decimal` returns the tick multiple); then `high ≥ max(open, close)`,
  `low ≤ min(open, close)` and `low ≥ one tick` are enforced.
* **Volume.** About 20,000 quote units a second, in base units at the candle's close,
  times `exp(0.8·(log σ_t − mean) + 0.3·(|z_t| − E|z|) + 0.35·ε)`: busy markets and big
  candles trade more. Rounded to 1e-6.

Same arguments and seed, same candles (NumPy's PCG64 generator); arrays are read-only.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from tradewind.domain.candles import Candles, FloatArray, IntArray
from tradewind.domain.errors import ConfigurationError

_DAY = 86_400
_YEAR = 365 * _DAY

_BASE_VOL_PER_YEAR = 0.55
_FAST_HALF_LIFE = 2 * 3_600
_FAST_SD = 0.30
_SLOW_HALF_LIFE = 4 * _DAY
_SLOW_SD = 0.45
_LEVERAGE = 0.5
_ABS_Z_MEAN = math.sqrt(2 / math.pi)
# Variance of (|z| - E|z|) - 0.5·z for standard normal z: Var|z| + 0.25 (they are uncorrelated).
_SHOCK_SD = math.sqrt(1 - 2 / math.pi + _LEVERAGE**2)

_JUMPS_PER_30_DAYS = 4.0
_JUMP_SCALE = 0.008
_JUMP_DOWN_SHARE = 0.55
_JUMP_KICK_FAST = 0.8
_JUMP_KICK_SLOW = 0.3

_DAILY_AMPLITUDE = 0.25
_PEAK_HOUR_UTC = 15.0
_WEEKEND_FACTOR = 0.8

_REGIME_DAYS = 6.0
_REGIME_MIN_CANDLES = 50
_DRIFT_SD_PER_YEAR = 3.0
_REVERSION_YEARS = 0.5

_QUOTE_TURNOVER_PER_SECOND = 20_000.0
_VOLUME_VOL_ELASTICITY = 0.8
_VOLUME_MOVE_WEIGHT = 0.3
_VOLUME_NOISE_SD = 0.35
_VOLUME_STEP = 1_000_000.0  # volumes are multiples of 1e-6

_DEFAULT_START = datetime(2024, 1, 1, tzinfo=UTC)
# Start prices of the generated markets, so each symbol looks like itself.
START_PRICES = {"BTCUSDT": Decimal(42_000), "ETHUSDT": Decimal(2_300), "BNBUSDT": Decimal(310),
                "SOLUSDT": Decimal(95), "XRPUSDT": Decimal("0.62")}  # fmt: skip


def start_price(symbol: str) -> Decimal:
    """Return where a generated market of `symbol` starts."""
    return START_PRICES.get(symbol, Decimal(100))


def generate_market(
    candles: int,
    interval_seconds: int = 60,
    seed: int = 7,
    start_price: Decimal | float = 25_000,
    start_time: datetime = _DEFAULT_START,
    tick: Decimal = Decimal("0.01"),
) -> Candles:
    """Generate `candles` seeded, realistic candles (the model is in the module docstring)."""
    tick_units, tick_scale = _tick_fraction(tick)
    price0 = float(start_price)
    _check_arguments(candles, interval_seconds, price0, float(tick), start_time)
    n, dt = candles, interval_seconds
    tau = dt / _YEAR
    rng = np.random.default_rng(seed)

    open_time: IntArray = int(start_time.timestamp()) + dt * np.arange(n, dtype=np.int64)
    z = rng.standard_normal(n)
    jumps, jump_at = _jumps(rng, n, dt)
    log_vol = _log_volatility(z, jump_at, dt)
    log_vol += np.log(_BASE_VOL_PER_YEAR * math.sqrt(tau) * _seasonality(open_time, dt))
    sigma = np.exp(log_vol)
    noise = sigma * z
    noise += jumps
    del jumps, jump_at  # the temporaries are freed as soon as they are used: 1M candles
    step = _drift(rng, noise, n, tau)
    step += noise
    del noise

    close = np.cumsum(step)
    close += math.log(price0)
    np.exp(close, out=close)
    open_ = np.empty(n)
    open_[0] = price0
    open_[1:] = close[:-1]
    high, low = _bridge_extremes(rng, open_, step, sigma)
    del step, sigma
    volume = _volume(rng, z, log_vol, close, dt)
    del z, log_vol

    # From here on the price arrays hold whole numbers of ticks, then the prices.
    ticks_per_price = tick_scale / tick_units
    _to_ticks(close, ticks_per_price)
    np.maximum(close, 1.0, out=close)
    open_[0] = max(round(price0 * ticks_per_price), 1)
    open_[1:] = close[:-1]
    _to_ticks(high, ticks_per_price)
    np.maximum(high, open_, out=high)
    np.maximum(high, close, out=high)
    _to_ticks(low, ticks_per_price)
    np.minimum(low, open_, out=low)
    np.minimum(low, close, out=low)
    np.maximum(low, 1.0, out=low)
    open_time.flags.writeable = False
    return Candles(
        open_time,
        open=_to_price(open_, tick_units, tick_scale),
        high=_to_price(high, tick_units, tick_scale),
        low=_to_price(low, tick_units, tick_scale),
        close=_to_price(close, tick_units, tick_scale),
        volume=volume,
    )


def _check_arguments(
    candles: int, interval_seconds: int, price0: float, tick: float, start_time: datetime
) -> None:
    if candles < 1:
        raise ConfigurationError(f"candles must be at least 1, got {candles}")
    if interval_seconds < 1:
        raise ConfigurationError(f"interval_seconds must be at least 1, got {interval_seconds}")
    if not math.isfinite(price0) or price0 < tick:
        raise ConfigurationError(f"start_price must be at least one tick ({tick}), got {price0}")
    if start_time.tzinfo is None:
        raise ConfigurationError("start_time must be timezone-aware (UTC)")


def _tick_fraction(tick: Decimal) -> tuple[int, float]:
    """Write `tick` as units / scale with an integer scale 10^d, so prices divide exactly."""
    tick = Decimal(tick)
    if not tick.is_finite() or tick <= 0:
        raise ConfigurationError(f"tick must be a positive number, got {tick}")
    _sign, digits, exponent = tick.normalize().as_tuple()
    units = int("".join(map(str, digits)))
    if not isinstance(exponent, int):  # only NaN and infinities have a letter exponent
        raise ConfigurationError(f"tick must be a positive number, got {tick}")
    if exponent >= 0:
        return units * 10**exponent, 1.0
    return units, float(10**-exponent)


def _to_ticks(prices: FloatArray, ticks_per_price: float) -> None:
    prices *= ticks_per_price
    np.rint(prices, out=prices)


def _to_price(ticks: FloatArray, tick_units: int, tick_scale: float) -> FloatArray:
    """Turn tick counts into prices in place and freeze them."""
    # (k·units) and 10^d are exact doubles, so one correctly rounded division gives the
    # double nearest the decimal k·tick: the same double a CSV reader parses from it.
    ticks *= tick_units
    ticks /= tick_scale
    ticks.flags.writeable = False
    return ticks


def _ar1(shocks: FloatArray, phi: float) -> FloatArray:
    """Solve x_t = phi·x_{t-1} + shocks_t (x_{-1} = 0) with block-wise cumulative sums."""
    n = shocks.shape[0]
    if n == 0 or phi < 1e-15:
        return shocks.copy()
    # Within a block x = phi^j · cumsum(shock / phi^j); the block keeps phi^-j below e^300.
    block = min(n, 2048, max(2, int(300.0 / -math.log(phi)) if phi < 1.0 else 2048))
    blocks = -(-n // block)
    padded = np.zeros(blocks * block)
    padded[:n] = shocks
    grid = padded.reshape(blocks, block)
    powers = phi ** np.arange(block, dtype=np.float64)
    x = np.cumsum(grid / powers, axis=1)
    x *= powers
    if blocks > 1:
        # Each block's final state carries into the next block: itself an AR(1) in phi^block.
        ends = _ar1(np.ascontiguousarray(x[:, -1]), phi**block)
        x[1:] += np.outer(ends[:-1], phi * powers)
    return x.reshape(-1)[:n]


def _log_volatility(z: FloatArray, jump_at: FloatArray, dt: int) -> FloatArray:
    """EGARCH-like log-volatility state h_t, driven by the previous candles' shocks."""
    shock = np.empty_like(z)
    shock[0] = 0.0
    shock[1:] = (np.abs(z[:-1]) - _ABS_Z_MEAN - _LEVERAGE * z[:-1]) / _SHOCK_SD
    kicks = np.zeros_like(z)
    kicks[1:] = jump_at[:-1]
    h = np.zeros_like(z)
    for half_life, sd, kick in (
        (_FAST_HALF_LIFE, _FAST_SD, _JUMP_KICK_FAST),
        (_SLOW_HALF_LIFE, _SLOW_SD, _JUMP_KICK_SLOW),
    ):
        beta = 0.5 ** (dt / half_life)
        # A component faster than the candle averages out within it: shrink it, so one big
        # daily move does not multiply the next day's volatility by a hundred.
        persistence = min(1.0, half_life / math.log(2) / dt)
        scaled_sd = sd * math.sqrt(min(1.0, 2.0 * persistence))
        h += _ar1(
            scaled_sd * math.sqrt(1.0 - beta * beta) * shock + kick * persistence * kicks, beta
        )
    # Centre so the average variance over the series is exactly the base one.
    h -= 0.5 * math.log(float(np.mean(np.exp(2.0 * h))))
    return h


def _seasonality(open_time: IntArray, dt: int) -> FloatArray:
    """Intraday and weekend volatility factor, about 1 on average."""
    week = 7 * _DAY
    period = week // math.gcd(dt, week)  # candles until the weekly pattern repeats
    if period < open_time.shape[0]:
        return np.resize(_seasonality(open_time[:period], dt), open_time.shape[0])
    amplitude = _DAILY_AMPLITUDE * max(0.0, 1.0 - dt / _DAY)
    mid = open_time + dt // 2
    hour = (mid % _DAY) * (1.0 / 3_600)
    factor: FloatArray = np.exp(amplitude * np.cos((hour - _PEAK_HOUR_UTC) * (2 * math.pi / 24)))
    if dt < week:
        # 1970-01-01 was a Thursday, so day-number + 3 mod 7 counts from Monday = 0.
        weekend = ((mid // _DAY + 3) % 7) >= 5
        factor[weekend] *= _WEEKEND_FACTOR
    mean_factor = float(np.i0(amplitude)) * (5 + 2 * _WEEKEND_FACTOR) / 7
    factor *= 1.0 / mean_factor
    return factor


def _jumps(rng: np.random.Generator, n: int, dt: int) -> tuple[FloatArray, FloatArray]:
    """Jump log-returns per candle, and 1.0 where a jump happened."""
    rate = min(0.5, _JUMPS_PER_30_DAYS * dt / (30 * _DAY))
    where = np.flatnonzero(rng.random(n) < rate)
    sizes = rng.exponential(_JUMP_SCALE, where.shape[0])
    sizes[rng.random(where.shape[0]) < _JUMP_DOWN_SHARE] *= -1.0
    jumps = np.zeros(n)
    jumps[where] = sizes
    jump_at = np.zeros(n)
    jump_at[where] = 1.0
    return jumps, jump_at


def _drift(rng: np.random.Generator, noise: FloatArray, n: int, tau: float) -> FloatArray:
    """Per-candle drift from trend regimes that lean back towards the start price."""
    mean_length = max(_REGIME_MIN_CANDLES, round(_REGIME_DAYS * _DAY / (tau * _YEAR)))
    lengths = rng.geometric(1.0 / mean_length, size=2 * (n // mean_length) + 8)
    lengths = np.maximum(lengths, _REGIME_MIN_CANDLES)
    lengths[-1] += max(0, n - int(lengths.sum()))  # the regimes must cover all n candles
    ends = np.cumsum(lengths)
    count = int(np.searchsorted(ends, n)) + 1
    lengths = lengths[:count]
    lengths[-1] -= int(ends[count - 1]) - n
    starts = np.concatenate(([0], ends[: count - 1]))
    walked = np.cumsum(noise)
    noise_before = np.where(starts > 0, walked[np.maximum(starts - 1, 0)], 0.0).tolist()
    # Longer regimes (coarse candles) get gentler drifts: a trend moves the price by about
    # 0.7 of the noise over its life, whatever the interval.
    drift_sd = _DRIFT_SD_PER_YEAR * math.sqrt(_REGIME_DAYS * _DAY / (mean_length * tau * _YEAR))
    draws = (rng.standard_normal(count) * drift_sd).tolist()
    per_candle = [0.0] * count
    drifted = 0.0
    # Few regimes (n / 50 at most), each needing the price where it starts: a loop is fine.
    for k, (length, before, draw) in enumerate(
        zip(lengths.tolist(), noise_before, draws, strict=True)
    ):
        distance = drifted + before
        step = (draw - distance / _REVERSION_YEARS) * tau
        per_candle[k] = step
        drifted += step * length
    return np.repeat(np.asarray(per_candle), lengths)


def _bridge_extremes(
    rng: np.random.Generator, open_raw: FloatArray, step: FloatArray, sigma: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """High and low of a Brownian bridge from open to close with the candle's variance."""
    n = step.shape[0]
    # -ln(U) for uniform U is a standard exponential draw: the inverse CDF without the log.
    variance2 = 2.0 * sigma * sigma
    spread_up = variance2 * rng.standard_exponential(n)
    spread_down = variance2 * rng.standard_exponential(n)
    squared = step * step
    up = 0.5 * (step + np.sqrt(squared + spread_up))
    down = 0.5 * (step - np.sqrt(squared + spread_down))
    return open_raw * np.exp(up), open_raw * np.exp(down)


def _volume(
    rng: np.random.Generator, z: FloatArray, log_vol: FloatArray, price: FloatArray, dt: int
) -> FloatArray:
    """Base-asset volume that rises with volatility and with the candle's own move."""
    activity = _VOLUME_VOL_ELASTICITY * (log_vol - float(np.mean(log_vol)))
    activity += _VOLUME_MOVE_WEIGHT * (np.abs(z) - _ABS_Z_MEAN)
    activity += _VOLUME_NOISE_SD * rng.standard_normal(z.shape[0])
    base = _QUOTE_TURNOVER_PER_SECOND * dt * np.exp(activity) / price
    volume: FloatArray = np.rint(base * _VOLUME_STEP) / _VOLUME_STEP
    volume.flags.writeable = False
    return volume

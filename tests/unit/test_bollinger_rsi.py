"""Bollinger bands + RSI follow docs/strategy.md ("Bollinger bands + RSI"): the bands agree
with TA-Lib's BBANDS to 1e-9 relative and with an exact computation, and the signal rules
hold candle by candle."""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

import numpy as np
import pytest
import talib

from tests.conftest import SHARED_DATA, unavailable
from tradewind.domain.candles import FloatArray
from tradewind.domain.indicators import rsi
from tradewind.domain.strategies.base import ParamError
from tradewind.domain.strategies.bollinger_rsi import (
    BOLLINGER_RSI,
    BollingerRsiParams,
    bands,
    signal_array,
    signal_at,
)
from tradewind.domain.types import Signal

CSV_FILES = sorted(SHARED_DATA.glob("*.csv")) if SHARED_DATA.is_dir() else []
RTOL = 1e-9
# (period, width): the default, then the extremes of the ranges and some between.
SHAPES = [(20, 2.0), (2, 1.0), (5, 0.5), (50, 2.5), (200, 3.0), (500, 10.0)]
# TA-Lib takes a window's variance below this for 0 (TA_IS_ZERO_OR_NEG); it is no
# reference for such windows, which the exact comparison below covers.
TALIB_ZERO_VARIANCE = 1e-8
P = BollingerRsiParams()
NAN = math.nan


@cache
def real_closes(name: str) -> FloatArray:
    return np.loadtxt(SHARED_DATA / name, delimiter=",", skiprows=1, usecols=4, dtype=np.float64)


def random_walk(size: int, seed: int, start: float = 100.0) -> FloatArray:
    """Closes on a tick of 1e-4 of the start, so unchanged closes happen as in real data."""
    steps = np.random.default_rng(seed).normal(0.0, 1e-3, size)
    tick = start * 1e-4
    return np.round(start * np.exp(np.cumsum(steps)) / tick) * tick


def assert_matches_talib(close: FloatArray, period: int, width: float) -> None:
    lower, middle, upper = bands(close, period, width)
    t_upper, t_middle, t_lower = talib.BBANDS(
        close, timeperiod=period, nbdevup=width, nbdevdn=width, matype=0
    )
    for ours, theirs in ((lower, t_lower), (middle, t_middle), (upper, t_upper)):
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    defined = ~np.isnan(middle)
    np.testing.assert_allclose(middle[defined], t_middle[defined], rtol=RTOL, atol=0)
    variance = ((upper - middle) / width) ** 2
    spread = defined & (variance >= TALIB_ZERO_VARIANCE)
    assert spread.sum() > 0.5 * defined.sum()
    # Relative to the price (the middle band): a wide lower band may come near 0, where
    # TA-Lib's own rounding (running sums of squares) is far above 1e-9 of the band.
    scale = np.abs(middle[spread])
    for ours, theirs in ((upper, t_upper), (lower, t_lower)):
        assert np.all(np.abs(ours[spread] - theirs[spread]) <= RTOL * scale)


@pytest.mark.parametrize(("period", "width"), SHAPES)
@pytest.mark.parametrize("name", [p.name for p in CSV_FILES] or ["(no data folder)"])
def test_the_bands_agree_with_talib_on_real_candles(name: str, period: int, width: float) -> None:
    if not CSV_FILES:
        unavailable(f"{SHARED_DATA} has no candles: the real market data (../shared/data)")
    assert_matches_talib(real_closes(name), period, width)


@pytest.mark.parametrize(("period", "width"), SHAPES)
@pytest.mark.parametrize(("seed", "start"), [(1, 100.0), (2, 0.5), (3, 60_000.0)])
def test_the_bands_agree_with_talib_on_random_walks(
    seed: int, start: float, period: int, width: float
) -> None:
    assert_matches_talib(random_walk(20_000, seed, start), period, width)


def exact_band(window: FloatArray, width: float) -> tuple[float, float, float]:
    """Return (lower, middle, upper) of one window in exact rational arithmetic."""
    values = [Fraction(float(v)) for v in window]
    mean = sum(values, Fraction(0)) / len(values)
    variance = sum(((v - mean) ** 2 for v in values), Fraction(0)) / len(values)
    deviation = math.sqrt(variance)
    return float(mean) - width * deviation, float(mean), float(mean) + width * deviation


@pytest.mark.parametrize(("period", "width"), [(20, 2.0), (2, 1.0), (50, 2.5)])
def test_every_window_is_the_exact_mean_and_population_deviation(period: int, width: float) -> None:
    close = random_walk(600, seed=9, start=25_000.0)
    close[100:160] = close[100]  # a flat stretch: no deviation at all
    lower, middle, upper = bands(close, period, width)
    for i in range(period - 1, close.shape[0]):
        expected = exact_band(close[i - period + 1 : i + 1], width)
        np.testing.assert_allclose((lower[i], middle[i], upper[i]), expected, rtol=1e-12)
    flat = slice(100 + period - 1, 160)
    assert (lower[flat] == close[100]).all()
    assert (upper[flat] == close[100]).all()


@pytest.mark.parametrize("period", [2, 20, 500])
def test_the_last_two_windows_alone_are_exactly_those_of_the_whole_array(period: int) -> None:
    close = random_walk(3_000, seed=4)
    whole = bands(close, period, 2.0)
    tail = bands(close[-(period + 1) :], period, 2.0)
    for full, short in zip(whole, tail, strict=True):
        assert full[-2:].tolist() == short[-2:].tolist()


def test_exactly_a_period_of_closes_gives_one_band() -> None:
    # Closes 1, 2, 3: mean 2, population variance (1 + 0 + 1) / 3 = 2/3.
    lower, middle, upper = bands(np.array([1.0, 2.0, 3.0]), 3, 1.0)
    assert np.isnan(middle[:2]).all()
    assert middle[2] == 2.0
    assert lower[2] == pytest.approx(2 - math.sqrt(2 / 3), rel=1e-15)
    assert upper[2] == pytest.approx(2 + math.sqrt(2 / 3), rel=1e-15)


def test_too_few_closes_give_no_band() -> None:
    lower, middle, upper = bands(np.array([1.0, 2.0]), 3, 2.0)
    assert np.isnan(lower).all()
    assert np.isnan(middle).all()
    assert np.isnan(upper).all()


# --- signals ---------------------------------------------------------------------------------
# A reading is (close, lower band, upper band, rsi) at one candle.
INSIDE = (100.0, 95.0, 105.0, 50.0)


def test_the_first_close_below_the_lower_band_with_the_rsi_oversold_is_a_buy() -> None:
    assert signal_at(INSIDE, (94.0, 95.0, 105.0, 29.9), P) is Signal.BUY
    assert signal_at((96.0, 95.0, 105.0, 25.0), (94.0, 95.0, 105.0, 29.9), P) is Signal.BUY


def test_a_stretch_down_that_goes_on_is_no_new_signal() -> None:
    assert signal_at((94.5, 95.0, 105.0, 29.0), (94.0, 95.0, 105.0, 28.0), P) is Signal.NONE


def test_the_stretch_begins_when_the_rsi_gets_oversold_below_the_band() -> None:
    below_not_oversold = (94.0, 95.0, 105.0, 31.0)
    assert signal_at(below_not_oversold, (93.0, 95.0, 105.0, 29.0), P) is Signal.BUY


def test_below_the_band_without_an_oversold_rsi_or_on_the_band_is_nothing() -> None:
    assert signal_at(INSIDE, (94.0, 95.0, 105.0, 30.0), P) is Signal.NONE
    assert signal_at(INSIDE, (95.0, 95.0, 105.0, 10.0), P) is Signal.NONE


def test_the_first_close_above_the_upper_band_with_the_rsi_overbought_is_a_sell() -> None:
    assert signal_at(INSIDE, (106.0, 95.0, 105.0, 70.1), P) is Signal.SELL
    assert signal_at(INSIDE, (106.0, 95.0, 105.0, 70.0), P) is Signal.NONE
    assert signal_at(INSIDE, (105.0, 95.0, 105.0, 90.0), P) is Signal.NONE
    assert signal_at((106.0, 95.0, 105.0, 75.0), (107.0, 95.0, 105.0, 80.0), P) is Signal.NONE


# (close, lower, upper, rsi) at i - 1 and at i -> the signal at i, by the page's words
# (defaults: oversold 30, overbought 70; strictly below / above the band and the level).
BOUNDARIES = {
    "below the band and oversold is a buy": (INSIDE, (94.9, 95, 105, 29.9), Signal.BUY),
    "on the lower band is nothing": (INSIDE, (95, 95, 105, 10), Signal.NONE),
    "at oversold exactly is nothing": (INSIDE, (94, 95, 105, 30), Signal.NONE),
    "above the band and overbought is a sell": (INSIDE, (105.1, 95, 105, 70.1), Signal.SELL),
    "on the upper band is nothing": (INSIDE, (105, 95, 105, 90), Signal.NONE),
    "at overbought exactly is nothing": (INSIDE, (106, 95, 105, 70), Signal.NONE),
    "a buy after being on the band": ((95, 95, 105, 10), (94, 95, 105, 10), Signal.BUY),
    "a buy after oversold exactly": ((94, 95, 105, 30), (94, 95, 105, 29), Signal.BUY),
    "a sell after being on the band": ((105, 95, 105, 90), (106, 95, 105, 90), Signal.SELL),
    "a sell after overbought exactly": ((106, 95, 105, 70), (106, 95, 105, 71), Signal.SELL),
}


@pytest.mark.parametrize("case", list(BOUNDARIES))
def test_both_forms_of_the_signal_follow_the_page_at_each_boundary(case: str) -> None:
    before, now, expected = BOUNDARIES[case]
    assert signal_at(before, now, P) is expected  # type: ignore[arg-type]
    close, lower, upper, strength = (np.array([before[k], now[k]], dtype=float) for k in range(4))
    got = signal_array(close, lower, upper, strength, P)
    assert got.dtype == np.int8
    assert got.tolist() == [0, expected.value]


def test_one_candle_gives_no_signal_in_either_form() -> None:
    one = np.array([94.0])
    assert signal_array(one, one + 1, one + 10, np.array([10.0]), P).tolist() == [0]


@pytest.mark.parametrize("undefined", range(8))
def test_no_signal_until_every_reading_is_defined_at_both_candles(undefined: int) -> None:
    readings = [*INSIDE, 94.0, 95.0, 105.0, 20.0]
    readings[undefined] = NAN
    previous, current = tuple(readings[:4]), tuple(readings[4:])
    assert signal_at(previous, current, P) is Signal.NONE  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "params",
    [
        P,
        BollingerRsiParams(
            bb_period=5, bb_stddev=1.0, rsi_period=3, rsi_oversold=40, rsi_overbought=60
        ),
    ],
    ids=["defaults", "fast"],
)
def test_the_array_form_is_the_one_candle_rule_at_every_candle(params: BollingerRsiParams) -> None:
    close = random_walk(5_000, seed=12)
    lower, _, upper = bands(close, params.bb_period, params.bb_stddev)
    strength = rsi(close, params.rsi_period)
    every = signal_array(close, lower, upper, strength, params)
    assert np.count_nonzero(every == Signal.BUY) > 10
    assert np.count_nonzero(every == Signal.SELL) > 10
    assert every[0] == Signal.NONE
    for i in range(1, close.shape[0]):
        previous = (close[i - 1], lower[i - 1], upper[i - 1], strength[i - 1])
        current = (close[i], lower[i], upper[i], strength[i])
        assert signal_at(previous, current, params) == every[i], i


def test_the_first_possible_signal_comes_once_bands_and_rsi_are_defined_at_two_candles() -> None:
    params = BollingerRsiParams(bb_period=5, rsi_period=9)
    assert params.warmup == max(5 - 1, 9) + 1
    close = random_walk(400, seed=2)
    lower = bands(close, params.bb_period, params.bb_stddev)[0]
    strength = rsi(close, params.rsi_period)
    defined = ~np.isnan(lower) & ~np.isnan(strength)
    assert int(np.argmax(defined[:-1] & defined[1:])) + 1 == params.warmup


def test_the_strategy_asks_for_one_candle_more_than_the_index_of_its_first_signal() -> None:
    # The bands are defined from index 4, the RSI from index 9: the first signal can come
    # at index 10, which takes 11 candles; with the defaults (20, 14), index 20: 21 candles.
    assert BOLLINGER_RSI.warmup(BollingerRsiParams(bb_period=5, rsi_period=9)) == 11
    assert BOLLINGER_RSI.warmup(P) == 21


# --- parameters ------------------------------------------------------------------------------


def test_oversold_must_be_below_overbought() -> None:
    with pytest.raises(ParamError, match=r"must be less than rsi_overbought \(got 70 ≥ 70\)") as e:
        BollingerRsiParams(rsi_oversold=70)
    assert e.value.field == "rsi_oversold"


@pytest.mark.parametrize(
    ("field", "value"),
    [("bb_period", 1), ("bb_period", 501), ("bb_stddev", 0.0), ("bb_stddev", 10.5),
     ("rsi_period", 1), ("rsi_period", 101), ("rsi_oversold", 0.0), ("rsi_overbought", 100.0)],
)  # fmt: skip
def test_each_parameter_is_refused_outside_its_range(field: str, value: float) -> None:
    with pytest.raises(ParamError) as e:
        BollingerRsiParams(**{field: value})  # type: ignore[arg-type]
    assert e.value.field == field

"""EMA and RSI follow STRATEGY.md ("Indicators") and agree with TA-Lib to 1e-9 relative."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED_DATA, shared_file
from tradewind.domain.candles import FloatArray
from tradewind.domain.errors import DomainError
from tradewind.domain.indicators import EmaState, RsiState, ema, rsi

BTC_1M = "BTCUSDT-1m-binanceus-2023-03.csv"
# Every real file there is; without the folder, the one the tests cannot do without.
CSV_FILES = sorted(p.name for p in SHARED_DATA.glob("*.csv")) or [BTC_1M]
PERIODS = [8, 21, 7, 2, 50, 200]  # the defaults, then the extremes
RTOL = 1e-9


@cache
def real_closes(name: str) -> FloatArray:
    return np.loadtxt(shared_file(name), delimiter=",", skiprows=1, usecols=4, dtype=np.float64)


def talib_rsi(close: FloatArray, period: int) -> FloatArray:
    """TA-Lib's RSI with the strategy's one difference: 50 (not 0) before any close moved."""
    expected: FloatArray = talib.RSI(close, period)
    nothing_moved_yet = np.cumsum(np.abs(np.diff(close, prepend=close[:1]))) == 0
    expected[nothing_moved_yet & ~np.isnan(expected)] = 50.0
    return expected


def run_states(state: EmaState | RsiState, close: FloatArray) -> FloatArray:
    values = [state.update(float(price)) for price in close]
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def assert_same(got: FloatArray, expected: FloatArray) -> None:
    assert got.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


def random_walk(size: int, seed: int) -> FloatArray:
    """A price path around 100 on a 0.01 tick, so unchanged closes happen as in real data."""
    steps = np.random.default_rng(seed).normal(0.0, 2e-4, size)
    return np.round(100.0 * np.exp(np.cumsum(steps)), 2)


@pytest.fixture(params=CSV_FILES)
def real_file(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


# --- agreement with TA-Lib ---------------------------------------------------------------


@pytest.mark.parametrize("period", PERIODS)
def test_ema_equals_talib_on_every_real_candle_file(real_file: str, period: int) -> None:
    close = real_closes(real_file)
    assert_same(ema(close, period), talib.EMA(close, period))


@pytest.mark.parametrize("period", PERIODS)
def test_rsi_equals_talib_on_every_real_candle_file(real_file: str, period: int) -> None:
    close = real_closes(real_file)
    assert_same(rsi(close, period), talib_rsi(close, period))


@pytest.mark.parametrize("period", [8, 21, 2, 200])
def test_the_incremental_ema_equals_talib_on_btc_minutes(period: int) -> None:
    close = real_closes(BTC_1M)
    assert_same(run_states(EmaState(period), close), talib.EMA(close, period))


@pytest.mark.parametrize("period", [7, 2, 50])
def test_the_incremental_rsi_equals_talib_on_btc_minutes(period: int) -> None:
    close = real_closes(BTC_1M)
    assert_same(run_states(RsiState(period), close), talib_rsi(close, period))


# Period 5,000 makes the carry from one block to the next ones matter for many blocks.
@pytest.mark.parametrize("period", [2, 7, 8, 21, 200, 5_000])
def test_a_million_value_walk_matches_talib_across_all_blocks(period: int) -> None:
    close = random_walk(1_000_000, seed=period)
    assert_same(ema(close, period), talib.EMA(close, period))
    assert_same(rsi(close, period), talib_rsi(close, period))


prices = st.lists(
    st.floats(min_value=1e-8, max_value=1e9) | st.sampled_from([1.0, 100.0]),  # repeats: flats
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(prices, st.integers(min_value=2, max_value=30))
def test_array_and_incremental_forms_agree_with_each_other_and_talib(
    values: list[float], period: int
) -> None:
    close = np.array(values, dtype=np.float64)
    ema_values, rsi_values = ema(close, period), rsi(close, period)
    assert_same(ema_values, run_states(EmaState(period), close))
    assert_same(rsi_values, run_states(RsiState(period), close))
    if close.size:  # TA-Lib rejects empty input
        assert_same(ema_values, talib.EMA(close, period))
        assert_same(rsi_values, talib_rsi(close, period))


# --- the definition's edge cases ---------------------------------------------------------


@pytest.mark.parametrize("period", [2, 8, 21])
def test_the_first_ema_value_is_the_simple_mean_and_nothing_comes_before_it(period: int) -> None:
    close = random_walk(50, seed=1)
    values = ema(close, period)
    assert np.isnan(values[: period - 1]).all()
    assert values[period - 1] == pytest.approx(np.mean(close[:period]), rel=1e-15)
    assert EmaState(period).update(1.0) is None
    state = EmaState(period)
    for price in close[:period]:
        state.update(float(price))
    assert state.value == values[period - 1]


def test_the_ema_follows_the_smoothing_rule_after_the_first_value() -> None:
    close = np.array([1.0, 2.0, 3.0, 10.0, 4.0])
    alpha = 2 / 4
    expected = [np.nan, np.nan, 2.0]
    for price in close[3:]:
        expected.append(alpha * price + (1 - alpha) * expected[-1])
    assert_same(ema(close, 3), np.array(expected))


@pytest.mark.parametrize("period", [2, 7, 14])
def test_constant_prices_give_an_rsi_of_exactly_50(period: int) -> None:
    close = np.full(10_000, 42.5)
    values = rsi(close, period)
    assert np.isnan(values[:period]).all()
    assert (values[period:] == 50.0).all()
    assert set(run_states(RsiState(period), close)[period:]) == {50.0}


@pytest.mark.parametrize("period", [2, 7, 14])
def test_prices_that_never_fall_give_an_rsi_of_exactly_100(period: int) -> None:
    # Unchanged closes in between: the average loss must stay exactly 0 over many blocks.
    close = np.repeat(np.arange(1.0, 5_001.0), 2)
    assert (rsi(close, period)[period:] == 100.0).all()
    assert set(run_states(RsiState(period), close)[period:]) == {100.0}


@pytest.mark.parametrize("period", [2, 7])
def test_prices_that_never_rise_give_an_rsi_of_exactly_0(period: int) -> None:
    close = np.repeat(np.arange(10_000.0, 0.0, -1.0), 2)
    assert (rsi(close, period)[period:] == 0.0).all()
    assert set(run_states(RsiState(period), close)[period:]) == {0.0}


def test_the_first_rsi_value_uses_the_simple_mean_of_the_first_changes() -> None:
    close = np.array([10.0, 11.0, 10.5, 12.0, 11.0])  # changes +1, -0.5, +1.5, -1
    gain, loss = (1.0 + 1.5) / 3, 0.5 / 3
    first = 100 - 100 / (1 + gain / loss)
    gain, loss = (gain * 2 + 0) / 3, (loss * 2 + 1.0) / 3
    assert_same(rsi(close, 3), np.array([np.nan] * 3 + [first, 100 - 100 / (1 + gain / loss)]))


@pytest.mark.parametrize("period", [2, 7, 14])
def test_a_long_flat_run_keeps_the_rsi_where_it_was_in_both_forms(period: int) -> None:
    # 12,000 unchanged closes underflow the averages (TA-Lib then drifts to 0, 50 or 100);
    # exactly, both averages shrink alike and the RSI stays put.
    before = random_walk(40, seed=5)
    last = before[-1]
    close = np.concatenate([before, np.full(12_000, last), [last + 0.2, last + 0.1]])
    held = rsi(before, period)[-1]
    gain, loss = 0.2 * (period - 1) / period, 0.1  # both x period, after the last two moves
    for values in (rsi(close, period), run_states(RsiState(period), close)):
        assert values[-3] == pytest.approx(held, rel=RTOL)
        assert values[-2] == 100.0  # the old averages are negligible next to the new move
        assert values[-1] == pytest.approx(100 * gain / (gain + loss), rel=1e-6)


@pytest.mark.parametrize("period", [1, 0, -5])
def test_periods_below_two_are_refused_by_every_form(period: int) -> None:
    for build in (
        lambda: ema(np.ones(5), period),
        lambda: rsi(np.ones(5), period),
        lambda: EmaState(period),
        lambda: RsiState(period),
    ):
        with pytest.raises(DomainError):
            build()


@pytest.mark.parametrize("size", [0, 1, 7])
def test_too_short_input_gives_all_nan_of_the_same_length(size: int) -> None:
    close = np.arange(1.0, size + 1.0)
    assert ema(close, size + 2).shape == (size,)
    assert np.isnan(ema(close, size + 2)).all()
    assert np.isnan(rsi(close, max(size, 2))).all()  # the RSI needs period + 1 closes
    assert rsi(close, max(size, 2)).shape == (size,)


def test_the_incremental_forms_stay_undefined_until_enough_closes() -> None:
    ema_state, rsi_state = EmaState(3), RsiState(3)
    assert [ema_state.update(p) for p in (1.0, 2.0, 3.0)] == [None, None, 2.0]
    assert [rsi_state.update(p) for p in (1.0, 2.0, 3.0)] == [None, None, None]
    assert rsi_state.value is None
    assert rsi_state.update(4.0) == rsi_state.value == 100.0


@pytest.mark.parametrize("bad_close", [float("nan"), float("inf")])
def test_the_incremental_forms_refuse_a_non_finite_close(bad_close: float) -> None:
    for state in (EmaState(3), RsiState(3)):
        with pytest.raises(DomainError):
            state.update(bad_close)


def test_leading_nans_are_skipped_like_talib_so_an_indicator_of_an_indicator_works() -> None:
    close = random_walk(300, seed=3)
    smoothed = ema(close, 21)  # NaN up to index 19
    assert_same(ema(smoothed, 8), talib.EMA(smoothed, 8))
    assert_same(rsi(smoothed, 7), talib.RSI(smoothed, 7))


def test_a_nan_after_the_start_makes_every_later_value_nan() -> None:
    close = np.concatenate([np.full(30, 100.0), random_walk(200, seed=4)])
    close[150] = np.nan
    for values in (ema(close, 8), rsi(close, 7)):
        assert not np.isnan(values[20:150]).any()
        assert np.isnan(values[150:]).all()
    assert (rsi(close, 7)[7:30] == 50.0).all()  # the flat start is still "no move yet"


def test_input_that_is_not_one_dimensional_is_refused() -> None:
    with pytest.raises(DomainError):
        ema(np.ones((3, 3)), 2)

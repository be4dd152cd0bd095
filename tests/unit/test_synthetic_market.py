"""The generated market: seeded, valid candles on the tick that look like a real market."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.adapters.marketdata.csv_candles import read_candles_csv, write_candles_csv
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.candles import Candles, to_decimal
from tradewind.domain.errors import ConfigurationError

FIELDS = ("open_time", "open", "high", "low", "close", "volume")
YEAR = 365 * 86_400


def assert_same(a: Candles, b: Candles) -> None:
    for name in FIELDS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def log_returns(candles: Candles) -> np.ndarray:
    return np.diff(np.log(candles.close))


def autocorrelation(values: np.ndarray, lag: int) -> float:
    centred = values - values.mean()
    return float(np.mean(centred[:-lag] * centred[lag:]) / centred.var())


def test_the_same_seed_gives_the_same_market() -> None:
    assert_same(generate_market(5_000, seed=11), generate_market(5_000, seed=11))


def test_another_seed_gives_another_market() -> None:
    assert not np.array_equal(
        generate_market(500, seed=1).close, generate_market(500, seed=2).close
    )


@pytest.mark.parametrize("interval", [60, 300, 3_600, 86_400])
def test_candles_are_consistent_and_chained(interval: int) -> None:
    candles = generate_market(20_000, interval_seconds=interval)
    o, h, lo, c = candles.open, candles.high, candles.low, candles.close
    assert np.all(h >= np.maximum(o, c))
    assert np.all(lo <= np.minimum(o, c))
    assert np.all(lo > 0)
    assert np.all(candles.volume >= 0)
    assert np.array_equal(o[1:], c[:-1])  # each candle opens at the previous close
    assert o[0] == 25_000.0


def test_open_times_start_at_start_time_and_step_by_the_interval() -> None:
    start = datetime(2023, 6, 1, 12, tzinfo=UTC)
    candles = generate_market(100, interval_seconds=300, start_time=start)
    assert candles.open_time[0] == int(start.timestamp())
    assert set(np.diff(candles.open_time).tolist()) == {300}
    assert candles.interval_seconds == 300


@pytest.mark.parametrize(
    ("start_price", "tick"),
    [(25_000, Decimal("0.01")), (0.5, Decimal("0.0001")), (3_000, Decimal("0.05")), (60_000, 10)],
)
def test_every_price_is_an_exact_multiple_of_the_tick(start_price: float, tick: Decimal) -> None:
    candles = generate_market(2_000, start_price=start_price, tick=Decimal(tick))
    for prices in (candles.open, candles.high, candles.low, candles.close):
        assert all(to_decimal(price) % Decimal(tick) == 0 for price in prices.tolist())


@pytest.mark.parametrize("interval", [60, 300, 3_600])
def test_a_write_read_round_trip_passes_validation_and_keeps_every_bit(
    tmp_path: Path, interval: int
) -> None:
    candles = generate_market(100_000, interval_seconds=interval, seed=interval)
    path = tmp_path / "market.csv"
    write_candles_csv(candles, path)
    assert_same(read_candles_csv(path), candles)


@settings(max_examples=25, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=400),
    interval=st.sampled_from([1, 60, 900, 3_600, 14_400, 86_400, 604_800]),
    seed=st.integers(min_value=0, max_value=2**32),
    start_price=st.sampled_from([0.0001, 0.35, 1.0, 250.0, 25_000.0, 1e6]),
)
def test_any_small_market_passes_csv_validation(
    tmp_path_factory: pytest.TempPathFactory,
    count: int,
    interval: int,
    seed: int,
    start_price: float,
) -> None:
    candles = generate_market(
        count, interval, seed, start_price=start_price, tick=Decimal("0.0001")
    )
    path = tmp_path_factory.mktemp("market") / "market.csv"
    write_candles_csv(candles, path)
    assert_same(read_candles_csv(path), candles)


@pytest.mark.parametrize("interval", [60, 300, 3_600])
def test_volatility_looks_like_crypto_at_every_interval(interval: int) -> None:
    returns = log_returns(generate_market(100_000, interval_seconds=interval))
    annual = returns.std() * np.sqrt(YEAR / interval)
    assert 0.35 < annual < 0.9
    kurtosis = np.mean((returns - returns.mean()) ** 4) / returns.var() ** 2
    assert kurtosis > 5  # fat tails, as in real candles


@pytest.mark.parametrize("interval", [60, 3_600])
def test_volatility_clusters_while_returns_stay_unpredictable(interval: int) -> None:
    returns = log_returns(generate_market(100_000, interval_seconds=interval))
    assert abs(autocorrelation(returns, 1)) < 0.05
    assert autocorrelation(np.abs(returns), 1) > 0.15
    assert autocorrelation(np.abs(returns), 10) > 0.1


def test_volume_rises_with_the_size_of_the_move() -> None:
    candles = generate_market(50_000)
    move = np.abs(log_returns(candles))
    assert np.corrcoef(move, candles.volume[1:])[0, 1] > 0.3


def test_volatility_peaks_in_the_us_afternoon_and_rests_at_night() -> None:
    candles = generate_market(200_000)
    move = np.abs(log_returns(candles))
    hour = (candles.open_time[1:] % 86_400) // 3_600
    assert move[hour == 15].mean() > 1.2 * move[hour == 3].mean()


def test_trends_go_both_ways_so_an_ema_crossover_trades() -> None:
    candles = generate_market(20_000, interval_seconds=3_600)
    weekly = np.log(candles.close[168:] / candles.close[:-168])
    assert weekly.max() > 0.08
    assert weekly.min() < -0.08
    fast, slow = ema(candles.close, 12), ema(candles.close, 26)
    crossings = np.count_nonzero(np.diff(np.sign(fast - slow)[26:]) != 0)
    assert 50 < crossings < 5_000


def test_the_price_stays_plausible_over_a_century_of_hourly_candles() -> None:
    close = generate_market(1_000_000, interval_seconds=3_600).close
    assert close.min() > 25_000 / 20
    assert close.max() < 25_000 * 20


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"candles": 0}, "candles"),
        ({"candles": 10, "interval_seconds": 0}, "interval_seconds"),
        ({"candles": 10, "start_price": -1}, "start_price"),
        ({"candles": 10, "tick": Decimal(0)}, "tick"),
        ({"candles": 10, "tick": Decimal("NaN")}, "tick"),
        ({"candles": 10, "start_time": datetime(2024, 1, 1)}, "start_time"),
    ],
)
def test_impossible_arguments_are_refused_by_name(arguments: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        generate_market(**arguments)  # type: ignore[arg-type]


def ema(close: np.ndarray, period: int) -> np.ndarray:
    alpha = 2 / (period + 1)
    out = np.empty_like(close)
    level = float(close[0])
    for i, price in enumerate(close.tolist()):
        level += alpha * (price - level)
        out[i] = level
    return out

"""Every registered strategy: its array form and its newest-candle form agree, candle by
candle, and its parameters describe themselves."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from tradewind.domain.candles import Candles, FloatArray
from tradewind.domain.strategies import (
    STRATEGIES,
    Strategy,
    StrategyChoice,
    UnknownStrategyError,
    params_of,
    strategy_named,
)
from tradewind.domain.strategies.bollinger_rsi import BOLLINGER_RSI, BollingerRsiParams
from tradewind.domain.strategies.ema_rsi import EMA_RSI, EmaRsiParams


def walk(n: int, seed: int) -> Candles:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    open_ = np.concatenate([[close[0]], close[:-1]])
    spread = np.abs(rng.normal(0, 0.002, n)) * close
    return Candles(
        open_time=np.arange(n, dtype=np.int64) * 60,
        open=open_,
        high=np.maximum(open_, close) + spread,
        low=np.minimum(open_, close) - spread,
        close=close,
        volume=np.ones(n),
    )


def head(c: Candles, n: int) -> Candles:
    return Candles(c.open_time[:n], c.open[:n], c.high[:n], c.low[:n], c.close[:n], c.volume[:n])


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_the_last_signal_equals_the_array_signal_at_every_candle(name: str) -> None:
    strategy: Strategy[Any] = STRATEGIES[name]
    params = strategy.params_type()
    candles = walk(600, seed=3)
    every = strategy.signals(candles, params)
    assert np.count_nonzero(every) > 0, "the walk should give this strategy signals"
    for n in range(2, len(candles) + 1):
        assert strategy.last_signal(head(candles, n), params) == every[n - 1], n


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_no_signal_comes_before_the_warm_up(name: str) -> None:
    strategy: Strategy[Any] = STRATEGIES[name]
    params = strategy.params_type()
    every = strategy.signals(walk(600, seed=5), params)
    assert not every[: strategy.warmup(params) - 1].any()


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_parameter_has_a_description_and_a_valid_default(name: str) -> None:
    strategy = STRATEGIES[name]
    infos = params_of(strategy.params_type)
    assert infos
    for info in infos:
        assert info.spec.description
        info.spec.check(info.name, info.default)


def test_an_unknown_strategy_is_refused_with_the_valid_names() -> None:
    with pytest.raises(UnknownStrategyError, match="ema_rsi"):
        strategy_named("nope")


def closes(values: list[float]) -> Candles:
    close = np.array(values)
    return Candles(
        open_time=np.arange(len(values), dtype=np.int64) * 60,
        open=close, high=close, low=close, close=close, volume=np.ones(len(values)),
    )  # fmt: skip


NAN = np.nan


def assert_series(got: dict[str, FloatArray], expected: dict[str, list[float]]) -> None:
    assert list(got) == list(expected)
    for name, values in expected.items():
        np.testing.assert_allclose(got[name], values, rtol=1e-12, atol=0, err_msg=name)


def test_the_ema_rsi_charts_its_two_emas_and_its_rsi_as_worked_out_by_hand() -> None:
    # Closes 10, 9, 8, 7, 6, 5, 9 with EMA 2 / EMA 3 / RSI 5. An EMA starts at the mean of
    # its first n closes, then moves 2/(n+1) of the way to each close: EMA 2 = 9.5, 8.5,
    # 7.5, 6.5, 5.5, 5.5 + (9 - 5.5)·2/3; EMA 3 = 9, 8, 7, 6, 6 + (9 - 6)/2. The RSI (Wilder)
    # first at index 5: five losses of 1, no gain, 0; then gain (0·4 + 4)/5 = 0.8 against
    # loss (1·4 + 0)/5 = 0.8, 50.
    choice = StrategyChoice(EMA_RSI, EmaRsiParams(ema_fast=2, ema_slow=3, rsi_period=5))
    got = choice.indicators(closes([10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 9.0]))
    assert_series(
        got,
        {
            "ema 2": [NAN, 9.5, 8.5, 7.5, 6.5, 5.5, 5.5 + 3.5 * 2 / 3],
            "ema 3": [NAN, NAN, 9.0, 8.0, 7.0, 6.0, 7.5],
            "rsi 5": [NAN, NAN, NAN, NAN, NAN, 0.0, 50.0],
        },
    )


def test_the_bollinger_rsi_charts_its_bands_and_its_rsi_as_worked_out_by_hand() -> None:
    # Closes 1, 2, 3, 2 with bands of 3 closes, 1 deviation wide, and RSI 2. Window 1, 2, 3:
    # mean 2, population variance (1 + 0 + 1)/3 = 2/3; window 2, 3, 2: mean 7/3, variance
    # (1/9 + 4/9 + 1/9)/3 = 2/9. RSI 2: two gains of 1, 100; then gain 1/2 against loss
    # 1/2, 50.
    params = BollingerRsiParams(bb_period=3, bb_stddev=1.0, rsi_period=2)
    got = StrategyChoice(BOLLINGER_RSI, params).indicators(closes([1.0, 2.0, 3.0, 2.0]))
    first, second = math.sqrt(2 / 3), math.sqrt(2 / 9)
    assert_series(
        got,
        {
            "band lower": [NAN, NAN, 2 - first, 7 / 3 - second],
            "band middle": [NAN, NAN, 2.0, 7 / 3],
            "band upper": [NAN, NAN, 2 + first, 7 / 3 + second],
            "rsi 2": [NAN, NAN, 100.0, 50.0],
        },
    )


@pytest.mark.parametrize(
    ("strategy", "params", "candles"),
    [
        # 20 x the slow EMA's period (an EMA forgets its start as (1 - 2/(n+1))^k) ...
        (EMA_RSI, EmaRsiParams(), 20 * 21),
        # ... or 40 x the RSI's (Wilder's average forgets as (1 - 1/n)^k), the longer one.
        (EMA_RSI, EmaRsiParams(ema_fast=2, ema_slow=3, rsi_period=30), 40 * 30),
        (BOLLINGER_RSI, BollingerRsiParams(), 40 * 14),
        # The bands remember only their window: defined from index 499, and a signal needs
        # them at the candle before too, so the first can come at index 500: 501 candles,
        # more than 40 x 2.
        (BOLLINGER_RSI, BollingerRsiParams(bb_period=500, rsi_period=2), 501),
    ],
)
def test_the_tick_reads_as_many_candles_as_the_longest_memory_of_the_indicators(
    strategy: Strategy[Any], params: object, candles: int
) -> None:
    assert strategy.history(params) == candles
    assert StrategyChoice(strategy, params).history == candles

"""Every registered strategy: its array form and its newest-candle form agree, candle by
candle, and its parameters describe themselves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tradewind.domain.candles import Candles
from tradewind.domain.strategies import (
    STRATEGIES,
    Strategy,
    UnknownStrategyError,
    params_of,
    strategy_named,
)


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

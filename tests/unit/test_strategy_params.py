"""A strategy's parameters check their own rules and describe themselves (docs/strategy.md).

The expected defaults, bounds and messages are written out from the page, not read back
from the code.
"""

from __future__ import annotations

from dataclasses import make_dataclass

import numpy as np
import pytest

from tradewind.domain.candles import Candles
from tradewind.domain.errors import DomainError
from tradewind.domain.strategies import (
    STRATEGIES,
    ParamError,
    UnknownStrategyError,
    params_of,
    strategy_named,
)
from tradewind.domain.strategies.base import ParamSpec, StrategyChoice, param
from tradewind.domain.strategies.bollinger_rsi import BollingerRsiParams
from tradewind.domain.strategies.ema_rsi import EMA_RSI, EmaRsiParams
from tradewind.domain.types import Signal


def test_the_ema_rsi_parameters_are_the_pages_with_its_defaults_and_former_names() -> None:
    described = [
        (i.name, i.type, i.default, i.spec.alias, i.spec.ge, i.spec.gt, i.spec.lt)
        for i in params_of(EmaRsiParams)
    ]
    assert described == [
        ("ema_fast", int, 8, "custom_ema_fast", 2, None, None),
        ("ema_slow", int, 21, "custom_ema_slow", 2, None, None),
        ("rsi_period", int, 7, "custom_rsi_period", 2, None, None),
        ("rsi_oversold", float, 35.0, "custom_rsi_oversold", None, 0, 100),
        ("rsi_overbought", float, 65.0, "custom_rsi_overbought", None, 0, 100),
    ]
    assert [i.spec.description for i in params_of(EmaRsiParams)][:2] == [
        "Fast EMA period.",
        "Slow EMA period.",
    ]


def test_a_parameters_type_lists_only_its_declared_parameters_with_their_real_types() -> None:
    # Built at run time, so the field types are classes rather than annotation strings.
    mixed = make_dataclass(
        "Mixed",
        [("note", str, None), ("period", int, param(3, "A period.", ge=2)), ("level", float, 1.5)],
        frozen=True,
    )
    [info] = params_of(mixed)
    assert (info.name, info.type, info.default, info.spec) == (
        "period",
        int,
        3,
        ParamSpec("A period.", ge=2),
    )
    assert mixed().period == 3  # the declared default is the field's default


@pytest.mark.parametrize(
    ("spec", "value", "rule"),
    [
        (ParamSpec("d", ge=2), 1, "must be ≥ 2 (got 1)"),
        (ParamSpec("d", gt=0), 0, "must be > 0 (got 0)"),
        (ParamSpec("d", le=50), 51, "must be ≤ 50 (got 51)"),
        (ParamSpec("d", lt=100), 100, "must be < 100 (got 100)"),
        (ParamSpec("d", ge=5, lt=3), 4, "must be ≥ 5 (got 4)"),  # the first rule broken
    ],
)
def test_a_value_outside_a_bound_is_refused_naming_the_parameter_and_the_rule(
    spec: ParamSpec, value: float, rule: str
) -> None:
    with pytest.raises(ParamError) as caught:
        spec.check("period", value)
    assert (caught.value.field, caught.value.rule) == ("period", rule)
    assert str(caught.value) == f"period: {rule}"


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        (ParamSpec("d", ge=2), 2),
        (ParamSpec("d", gt=0), 0.001),
        (ParamSpec("d", le=50), 50),
        (ParamSpec("d", lt=100), 99.9),
        (ParamSpec("d"), -7),
    ],
)
def test_a_value_on_an_inclusive_bound_or_inside_a_strict_one_is_accepted(
    spec: ParamSpec, value: float
) -> None:
    spec.check("period", value)


def test_a_period_below_two_is_refused_by_its_name() -> None:
    with pytest.raises(ParamError) as caught:
        EmaRsiParams(rsi_period=1)
    assert caught.value.field == "rsi_period"


@pytest.mark.parametrize(("fast", "slow"), [(21, 21), (22, 21)])
def test_the_fast_ema_must_be_shorter_than_the_slow_one(fast: int, slow: int) -> None:
    with pytest.raises(ParamError) as caught:
        EmaRsiParams(ema_fast=fast, ema_slow=slow)
    assert caught.value.field == "ema_fast"
    assert caught.value.rule == f"must be less than ema_slow (got {fast} ≥ {slow})"


@pytest.mark.parametrize(("oversold", "overbought"), [(50.0, 50.0), (60.0, 40.0)])
def test_oversold_must_be_below_overbought(oversold: float, overbought: float) -> None:
    with pytest.raises(ParamError) as caught:
        EmaRsiParams(rsi_oversold=oversold, rsi_overbought=overbought)
    assert caught.value.field == "rsi_oversold"
    assert caught.value.rule == (
        f"must be less than rsi_overbought (got {oversold:g} ≥ {overbought:g})"
    )


def test_the_warm_up_is_one_candle_past_the_first_where_every_indicator_is_defined() -> None:
    # The slow EMA's first value sits at index ema_slow - 1, the RSI's at rsi_period; a
    # signal at candle i needs both at i - 1 too, so it needs i + 1 candles.
    assert EMA_RSI.warmup(EmaRsiParams()) == 22  # slow EMA 21: defined from index 20
    assert EMA_RSI.warmup(EmaRsiParams(ema_fast=2, ema_slow=3, rsi_period=30)) == 32


def test_an_unknown_strategy_is_refused_with_every_valid_name_listed() -> None:
    with pytest.raises(UnknownStrategyError) as caught:
        strategy_named("nope")
    message = str(caught.value)
    listed = message.split("choose one of: ", 1)[1]
    assert message.startswith("unknown strategy 'nope'; ")
    assert listed.split(", ") == sorted(STRATEGIES)


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (ParamSpec("d", ge=2), "≥ 2"),
        (ParamSpec("d", gt=0, lt=100), "> 0, < 100"),
        (ParamSpec("d", ge=2, le=500), "≥ 2, ≤ 500"),
        (ParamSpec("d", gt=0.5, le=10), "> 0.5, ≤ 10"),
        (ParamSpec("d"), ""),
    ],
)
def test_a_parameters_range_reads_as_its_bounds_in_order(spec: ParamSpec, text: str) -> None:
    assert spec.bounds() == text


def test_a_strategy_choice_refuses_parameters_of_another_strategy() -> None:
    with pytest.raises(DomainError) as refused:
        StrategyChoice(EMA_RSI, BollingerRsiParams())  # type: ignore[arg-type]
    assert str(refused.value) == "strategy ema_rsi takes EmaRsiParams, got BollingerRsiParams"


def test_a_strategy_choice_asks_its_strategy_with_its_own_parameters() -> None:
    # Closes that fall for five candles, then jump: with EMA 2 / 3 and RSI 5, the fast EMA
    # crosses above the slow one at the last candle with the RSI at 50 (a buy), the first
    # candle where a signal can come (tests/unit/test_strategy_rules.py works it out).
    close = np.array([10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 9.0])
    candles = Candles(
        open_time=np.arange(7, dtype=np.int64) * 60,
        open=close, high=close, low=close, close=close, volume=np.ones(7),
    )  # fmt: skip
    choice = StrategyChoice(EMA_RSI, EmaRsiParams(ema_fast=2, ema_slow=3, rsi_period=5))
    assert choice.name == "ema_rsi"
    assert choice.warmup == 7
    assert choice.signals(candles).tolist() == [0, 0, 0, 0, 0, 0, 1]
    assert choice.last_signal(candles) is Signal.BUY

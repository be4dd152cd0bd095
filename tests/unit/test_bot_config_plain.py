"""The plain reading of a bot config (no pydantic) gives what `BotConfig` gives, or
leaves the fields to it: never a different config, never a refusal of its own."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, get_args

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tradewind.bot_config import BotConfig, Timeframe
from tradewind.bot_config.plain import FIELDS, TIMEFRAMES, PlainBotConfig, plain_bot_config

BASE = {"name": "backtest", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot"}
NUMBERS = ["custom_stop_loss", "custom_take_profit", "custom_trailing_stop",
           "position_size_fixed", "position_size_perc", "max_daily_trades", "max_daily_loss",
           "daily_profit_target", "transfer_amount", "leverage"]  # fmt: skip
# Texts near every rule's edge: signs, exponents, blanks, bounds, many decimals.
EDGES = ["0", "1", "2", "2.50", "99.99", "100", "100.0", "125", "126", "-1", "+2", "1e2", " 2",
         "2 ", "nan", "inf", "0.0000000000000001", "0.00000000000000001", "1000000000000",
         "1000000000001", "1_0", "01", "1000000", "1000001", "", "２"]  # fmt: skip
TEXTS = st.from_regex(r"[0-9]{1,14}(\.[0-9]{0,18})?", fullmatch=True)


def derived(config: Any) -> tuple[object, ...]:
    """Everything a backtest reads of a config, Decimals as text (2.50 is not 2.5)."""
    shown = {name: getattr(config, name) for name in sorted(FIELDS - {"strategy"})}
    return (
        {k: str(v) if isinstance(v, Decimal) else v for k, v in shown.items()},
        {k: type(v) for k, v in shown.items()},
        config.strategy.name, config.strategy.param_values(), config.strategy_choice(),
        str(config.exit_rules()), str(config.sizing_rule()), str(config.daily_limits()),
        config.warnings, config.effective_leverage,
    )  # fmt: skip


def check_same(fields: Mapping[str, object]) -> None:
    plain = plain_bot_config(fields)
    try:
        model = BotConfig.model_validate(fields)
    except ValidationError:
        assert plain is None, f"the model refuses {fields} that the plain reading took"
        return
    if plain is not None:
        assert derived(plain) == derived(model)


@pytest.mark.parametrize("position_type", ["spot", "futures"])
@pytest.mark.parametrize("field", NUMBERS)
def test_every_edge_of_every_number_is_read_as_the_model_reads_it(
    field: str, position_type: str
) -> None:
    for text in EDGES:
        check_same({**BASE, "position_type": position_type, field: text})


@settings(max_examples=200, deadline=None)
@given(
    chosen=st.dictionaries(st.sampled_from(NUMBERS), TEXTS, max_size=4),
    position_type=st.sampled_from(["spot", "futures", "Spot"]),
    symbol=st.sampled_from(["BTCUSDT", "ETHUSDT", "btcusdt", "B", "BTC-USDT", " BTCUSDT"]),
    timeframe=st.sampled_from([*TIMEFRAMES, "7m", "1M"]),
)
@example(chosen={"custom_stop_loss": "2.50"}, position_type="spot", symbol="BTCUSDT",
         timeframe="1m")  # fmt: skip
@example(chosen={"leverage": "20", "position_size_perc": "10"}, position_type="futures",
         symbol="BTCUSDT", timeframe="1h")  # fmt: skip
def test_the_plain_reading_agrees_with_the_model(
    chosen: dict[str, str], position_type: str, symbol: str, timeframe: str
) -> None:
    check_same(
        {**BASE, "position_type": position_type, "symbol": symbol, "timeframe": timeframe,
         **chosen}
    )  # fmt: skip


@pytest.mark.parametrize(
    "extra",
    [{"custom_stop_loss": "2", "custom_take_profit": "4", "position_size_fixed": "25"},
     {"name": "my bot", "max_daily_trades": "12", "max_daily_loss": "50"},
     {"position_type": "futures", "leverage": "80", "position_size_perc": "10",
      "position_size_fixed": "30", "transfer_amount": "5"}],
)  # fmt: skip
def test_plain_fields_are_read_plainly(extra: dict[str, str]) -> None:
    fields = {**BASE, **extra}
    assert isinstance(plain_bot_config(fields), PlainBotConfig)
    check_same(fields)


@pytest.mark.parametrize(
    "extra",
    [{"strategy": {"name": "ema_rsi"}}, {"custom_ema_fast": "5"}, {"auto_transfer_funds": True},
     {"custom_stop_loss": 2}, {"no_such_field": "1"}, {"name": " padded "}],
)  # fmt: skip
def test_what_is_not_plain_is_left_to_the_model(extra: dict[str, object]) -> None:
    assert plain_bot_config({**BASE, **extra}) is None


def test_the_plain_config_has_the_models_fields_and_timeframes() -> None:
    assert set(BotConfig.model_fields) == FIELDS
    assert get_args(Timeframe) == TIMEFRAMES
    assert [f.name for f in dataclasses.fields(PlainBotConfig)] == list(BotConfig.model_fields)

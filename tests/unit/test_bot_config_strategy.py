"""A bot config's strategy: any registered one by name with its parameters, validated by
the rules its parameters dataclass declares; ema_rsi's former flat names still work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tradewind.bot_config import (
    ALIASES,
    SETTINGS,
    BotConfig,
    format_validation_error,
    load_bot_config_toml,
    merge_config_fields,
)
from tradewind.domain.strategies import STRATEGIES, params_of

BASE: dict[str, object] = {
    "name": "b", "symbol": "BTCUSDT", "timeframe": "1h", "position_type": "spot",
}  # fmt: skip


def config(**fields: object) -> BotConfig:
    return BotConfig.model_validate({**BASE, **fields})


def problems(**fields: object) -> str:
    with pytest.raises(ValidationError) as e:
        config(**fields)
    return format_validation_error(e.value)


def test_a_name_a_table_and_the_flat_names_give_the_same_config() -> None:
    by_name = config(strategy="ema_rsi", custom_ema_fast=5, custom_rsi_oversold="30.5")
    by_table = config(strategy={"name": "ema_rsi", "ema_fast": 5, "rsi_oversold": 30.5})
    unnamed = config(strategy={"ema_fast": 5}, custom_rsi_oversold=30.5)
    assert by_name == by_table == unnamed
    params = by_table.strategy_params()
    assert (params.ema_fast, params.ema_slow, params.rsi_oversold) == (5, 21, 30.5)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_registered_strategy_is_a_choice_with_its_default_parameters(name: str) -> None:
    chosen = config(strategy=name)
    assert chosen.strategy.name == name
    assert chosen.strategy_choice().strategy is STRATEGIES[name]
    assert chosen.strategy_params() == STRATEGIES[name].params_type()
    assert BotConfig.model_validate(chosen.model_dump()) == chosen


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_each_settings_model_declares_the_parameters_of_its_dataclass(name: str) -> None:
    schema = SETTINGS[name].model_json_schema()["properties"]
    for info in params_of(STRATEGIES[name].params_type):
        assert schema[info.name]["description"] == info.spec.description
        assert schema[info.name]["default"] == info.default
        for bound in ("ge", "gt", "le", "lt"):
            keyword = {"ge": "minimum", "gt": "exclusiveMinimum",
                       "le": "maximum", "lt": "exclusiveMaximum"}[bound]  # fmt: skip
            assert schema[info.name].get(keyword) == getattr(info.spec, bound)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_parameter_out_of_its_range_is_refused_naming_it_and_the_rule(name: str) -> None:
    for info in params_of(STRATEGIES[name].params_type):
        low = info.spec.ge if info.spec.ge is not None else info.spec.gt
        if low is None:
            continue
        text = problems(strategy={"name": name, info.name: low - 1})
        assert text.startswith(f"strategy.{info.name}: must be greater than"), text


def test_a_rule_between_parameters_names_the_parameter_and_the_rule() -> None:
    assert problems(strategy={"name": "ema_rsi", "ema_fast": 30}) == (
        "strategy.ema_fast: must be less than ema_slow (got 30 ≥ 21)"
    )


def test_an_unknown_parameter_is_refused_with_a_suggestion_and_the_valid_ones() -> None:
    names = ", ".join(info.name for info in params_of(STRATEGIES["ema_rsi"].params_type))
    assert problems(strategy={"name": "ema_rsi", "ema_fats": 5}) == (
        "strategy.ema_fats: unknown parameter of ema_rsi; did you mean ema_fast? "
        f"(ema_rsi takes: {names})"
    )


@pytest.mark.parametrize("value", [True, "five", None, [5]])
def test_a_parameter_must_be_a_number(value: object) -> None:
    assert problems(strategy={"ema_fast": value}).startswith("strategy.ema_fast: must be")


@pytest.mark.parametrize("value", [5, None, ["ema_rsi"]])
def test_a_strategy_must_be_a_name_or_a_table(value: object) -> None:
    assert problems(strategy=value).startswith(
        "strategy: must be a strategy name or a table of its name and parameters"
    )


def test_a_flat_name_given_beside_the_same_parameter_in_the_table_is_refused() -> None:
    assert problems(strategy={"ema_fast": 5}, custom_ema_fast=6) == (
        "custom_ema_fast: is also given as strategy.ema_fast; give one of the two"
    )


@pytest.mark.parametrize("other", sorted(set(STRATEGIES) - {"ema_rsi"}))
def test_a_flat_name_of_another_strategy_is_refused_naming_both(other: str) -> None:
    assert problems(strategy=other, custom_ema_fast=5) == (
        f"custom_ema_fast: is a parameter of ema_rsi, not of {other}"
    )


def test_every_flat_name_is_a_parameter_of_its_strategy() -> None:
    assert set(ALIASES) == {
        "custom_ema_fast", "custom_ema_slow", "custom_rsi_period", "custom_rsi_oversold",
        "custom_rsi_overbought",
    }  # fmt: skip
    for alias, (strategy, parameter) in ALIASES.items():
        assert config(**{alias: getattr(STRATEGIES[strategy].params_type(), parameter)})


# --- layers: defaults < file < command line ---------------------------------------------


def test_a_later_layer_changes_only_the_parameters_it_gives() -> None:
    merged = merge_config_fields(
        {"strategy": "ema_rsi"},
        {"strategy": {"name": "ema_rsi", "ema_fast": 5, "ema_slow": 30}},
        {"strategy": {"ema_fast": 6}},
    )
    assert merged["strategy"] == {"name": "ema_rsi", "ema_fast": 6, "ema_slow": 30}


def test_a_flat_name_below_is_overridden_by_the_parameter_above() -> None:
    merged: dict[str, Any] = merge_config_fields(
        {"custom_ema_fast": 5, "custom_rsi_period": 9}, {"strategy": {"ema_fast": 6}}
    )
    assert merged == {"strategy": {"ema_fast": 6, "rsi_period": 9}}
    assert config(**merged).strategy_params().ema_fast == 6


def test_naming_another_strategy_above_drops_the_parameters_below() -> None:
    merged = merge_config_fields({"strategy": {"name": "ema_rsi", "ema_fast": 5}},
                                 {"strategy": "some_other"})  # fmt: skip
    assert merged["strategy"] == "some_other"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


IDENTITY = 'name = "b"\nsymbol = "BTCUSDT"\ntimeframe = "1h"\nposition_type = "spot"\n'


@pytest.mark.parametrize(
    "strategy",
    [
        'strategy = "ema_rsi"\ncustom_ema_fast = 5\ncustom_rsi_oversold = 30.5\n',
        'strategy = { name = "ema_rsi", ema_fast = 5, rsi_oversold = 30.5 }\n',
        '[bot.strategy]\nname = "ema_rsi"\nema_fast = 5\nrsi_oversold = 30.5\n',
        'custom_ema_fast = 5\n[bot.strategy]\nrsi_oversold = "30.5"\n',
    ],
    ids=["name and flat names", "inline table", "table", "flat name beside a table"],
)
def test_a_toml_file_gives_the_strategy_in_any_of_its_forms(tmp_path: Path, strategy: str) -> None:
    loaded = load_bot_config_toml(write(tmp_path, f"[bot]\n{IDENTITY}{strategy}"), {})
    assert loaded == config(strategy={"name": "ema_rsi", "ema_fast": 5, "rsi_oversold": 30.5})


def test_the_command_line_changes_one_parameter_of_the_files_strategy(tmp_path: Path) -> None:
    path = write(tmp_path, f"[bot]\n{IDENTITY}strategy = {{ name = 'ema_rsi', ema_fast = 5 }}\n")
    loaded = load_bot_config_toml(path, {"strategy": {"ema_slow": "40"}, "custom_rsi_period": 9})
    params = loaded.strategy_params()
    assert (params.ema_fast, params.ema_slow, params.rsi_period) == (5, 40, 9)

"""The bot config options are built once from BotConfig and the strategy registry, and
every command that takes a bot config has them."""

from __future__ import annotations

import pytest
import typer

from tradewind.bot_config import ALIASES, BotConfig
from tradewind.domain.errors import ConfigurationError
from tradewind.entrypoints.cli.backtest_cmd import backtest
from tradewind.entrypoints.cli.bot_create_cmd import create
from tradewind.entrypoints.cli.config_options import ConfigFlags

NOT_IN_BACKTESTS = {"auto_transfer_funds", "transfer_amount"}  # no wallets to move between


def options_of(command: object) -> set[str]:
    app = typer.Typer()
    app.command()(command)
    built = typer.main.get_command(app)
    return {
        decl for param in built.params if param.param_type_name == "option" for decl in param.opts
    }


def flag(field: str) -> str:
    return "--" + field.replace("_", "-")


@pytest.mark.parametrize(
    ("command", "left_out"),
    [(create, set()), (backtest, NOT_IN_BACKTESTS)],
    ids=["bot create", "backtest"],
)
def test_every_config_field_and_former_strategy_flag_is_an_option(
    command: object, left_out: set[str]
) -> None:
    options = options_of(command)
    for field in set(BotConfig.model_fields) - left_out:
        assert flag(field) in options, field
    for alias in ALIASES:
        assert flag(alias) in options
    assert {"--param", "--strategy"} <= options
    assert not {flag(field) for field in left_out} & options


def test_given_flags_become_config_fields_with_the_strategy_as_a_table() -> None:
    flags = ConfigFlags(
        {"name": "b", "leverage": None, "strategy": "ema_rsi", "param": ["ema_fast = 5",
         "rsi_oversold=30.5"], "custom_ema_slow": "30", "auto_transfer_funds": False}
    )  # fmt: skip
    assert flags.fields() == {
        "name": "b",
        "custom_ema_slow": "30",
        "auto_transfer_funds": False,
        "strategy": {"name": "ema_rsi", "ema_fast": "5", "rsi_oversold": "30.5"},
    }


def test_parameters_without_a_strategy_name_keep_the_one_configured_elsewhere() -> None:
    assert ConfigFlags({"strategy": None, "param": ["ema_fast=5"]}).fields() == {
        "strategy": {"ema_fast": "5"}
    }
    assert ConfigFlags({"strategy": None, "param": None}).fields() == {}


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        (["ema_fast"], "--param: expected KEY=VALUE, e.g. ema_fast=5 (got 'ema_fast')"),
        (["=5"], "--param: expected KEY=VALUE"),
        (["ema_fast=5", "ema_fast=6"], "--param: ema_fast is given twice"),
    ],
)
def test_a_malformed_param_is_refused_saying_how_to_write_it(
    items: list[str], problem: str
) -> None:
    with pytest.raises(ConfigurationError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        ConfigFlags({"param": items}).fields()

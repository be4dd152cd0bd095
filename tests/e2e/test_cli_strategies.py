"""Strategies on the command line, as a user runs it: `tradewind strategies` lists them,
`tradewind backtest` and `tradewind bot create` take any of them with `--strategy NAME
--param KEY=VALUE`, and a wrong name, parameter or value is refused naming the valid ones."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tradewind.domain.strategies import DEFAULT_STRATEGY, STRATEGIES, ParamInfo, params_of

CLI = [sys.executable, "-m", "tradewind.entrypoints.cli"]
BOT = ["--symbol", "BTCUSDT", "--timeframe", "1m", "--position-type", "spot"]


def tradewind(*args: str | Path, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1"}
    if home is not None:
        env |= {"HOME": str(home), "TRADEWIND_DATA_DIR": str(home / "data")}
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=120, check=False,
        env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def ok(*args: str | Path, home: Path | None = None) -> str:
    done = tradewind(*args, home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def refused(*args: str | Path, home: Path | None = None) -> str:
    done = tradewind(*args, home=home)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return " ".join((done.stdout + done.stderr).split())


def changed(info: ParamInfo) -> str:
    """Return a valid value of the parameter other than its default."""
    return str(info.default + 1)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir after `init`, with a user who has a paper account."""
    home = tmp_path_factory.mktemp("home")
    ok("init", home=home)
    ok("user", "add", "ann@example.com", home=home)
    ok("account", "add", "--user", "ann@example.com", "--name", "paper", "--kind", "paper",
       home=home)  # fmt: skip
    return home


def sections(shown: str) -> dict[str, list[str]]:
    """Split `tradewind strategies` into each strategy's lines, by their titles."""
    starts = {
        name: found.start()
        for name in STRATEGIES
        if (found := re.search(rf"^{name}( \(the default\))?: ", shown, re.MULTILINE))
    }
    assert set(starts) == set(STRATEGIES)
    ends = sorted([*starts.values(), len(shown)])
    return {
        name: shown[start : next(end for end in ends if end > start)].splitlines()
        for name, start in starts.items()
    }


def test_the_strategies_command_lists_each_one_with_its_parameters() -> None:
    shown = ok("strategies")
    assert shown.startswith(f"{DEFAULT_STRATEGY} (the default): ")
    for name, lines in sections(shown).items():
        strategy = STRATEGIES[name]
        assert strategy.summary in lines[0]
        for info in params_of(strategy.params_type):
            row = next(line for line in lines if line.split()[:1] == [info.name])
            assert info.type.__name__ in row
            assert f"{info.default:g}" in row
            assert (info.spec.bounds() or "any") in row
            assert info.spec.description in row


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_backtest_runs_any_strategy_with_its_parameters(name: str) -> None:
    first = params_of(STRATEGIES[name].params_type)[0]
    done = ok("backtest", "--candles", "5000", "--strategy", name,
              "--param", f"{first.name}={changed(first)}", "--quiet")  # fmt: skip
    summary = json.loads(done)
    assert summary["strategy"] == name
    assert summary["strategy_params"][first.name] == first.default + 1


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_bot_is_created_with_any_strategy_and_shows_it(home: Path, name: str) -> None:
    first = params_of(STRATEGIES[name].params_type)[0]
    ok("bot", "create", "--user", "ann@example.com", "--name", f"bot-{name}", *BOT,
       "--strategy", name, "--param", f"{first.name}={changed(first)}", home=home)  # fmt: skip
    shown = ok("bot", "show", f"bot-{name}", home=home)
    assert re.search(rf"strategy +{name}\b", shown)
    assert re.search(rf"strategy\.{first.name} +{changed(first)}\b", shown)


@pytest.mark.parametrize("command", [["backtest", "--candles", "500"], ["bot", "create", *BOT]])
def test_an_unknown_strategy_is_refused_naming_the_valid_ones(
    home: Path, command: list[str]
) -> None:
    user = ["--user", "ann@example.com", "--name", "x"] if command[0] == "bot" else []
    message = refused(*command, *user, "--strategy", "macd", home=home)
    assert "strategy: unknown strategy (got 'macd'); choose one of: " in message
    assert all(name in message for name in STRATEGIES)


def test_an_unknown_parameter_is_refused_naming_the_strategys_parameters() -> None:
    message = refused("backtest", "--candles", "500", "--param", "ema_fats=5")
    assert "strategy.ema_fats: unknown parameter of ema_rsi; did you mean ema_fast?" in message
    assert "ema_rsi takes: ema_fast, ema_slow, rsi_period, rsi_oversold, rsi_overbought" in message


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("ema_fast=1", "strategy.ema_fast: must be greater than or equal to 2 (got '1')"),
        ("ema_fast=five", "strategy.ema_fast: must be a valid integer"),
        ("ema_fast=30", "strategy.ema_fast: must be less than ema_slow (got 30 ≥ 21)"),
        ("ema_fast", "--param: expected KEY=VALUE"),
    ],
)
def test_a_bad_parameter_value_is_refused_naming_the_field_and_rule(
    home: Path, param: str, expected: str
) -> None:
    assert expected in refused("backtest", "--candles", "500", "--param", param)
    message = refused("bot", "create", "--user", "ann@example.com", "--name", "bad", *BOT,
                      "--param", param, home=home)  # fmt: skip
    assert expected in message


def test_the_former_flags_still_set_ema_rsi_and_param_overrides_a_config_file(
    home: Path, tmp_path: Path
) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        '[bot]\nname = "from-file"\nsymbol = "ETHUSDT"\ntimeframe = "5m"\n'
        'position_type = "spot"\nstrategy = { name = "ema_rsi", ema_fast = 5 }\n'
    )
    ok("bot", "create", "--user", "ann@example.com", "--config", config,
       "--param", "ema_slow=30", "--custom-rsi-period", "9", home=home)  # fmt: skip
    shown = ok("bot", "show", "from-file", home=home)
    for parameter, value in (("ema_fast", 5), ("ema_slow", 30), ("rsi_period", 9)):
        assert re.search(rf"strategy\.{parameter} +{value}\b", shown)

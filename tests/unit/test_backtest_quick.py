"""`tradewind backtest --quiet` without typer and rich: the same JSON and the same errors
as the typer command, and anything it does not read plainly is left to typer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradewind.entrypoints.cli.backtest_quick import parse, quick_backtest
from tradewind.entrypoints.cli.typer_app import build

SMALL = [
    "--generated", "--candles", "3000", "--seed", "3", "--custom-stop-loss", "1",
    "--custom-take-profit", "2", "--position-size-fixed", "30", "--fee-rate", "0.001",
]  # fmt: skip


def _typer_json(args: list[str]) -> dict[str, object]:
    done = CliRunner().invoke(build("backtest"), ["backtest", *args])
    assert done.exit_code == 0, done.output
    summary: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def test_the_quick_path_prints_what_the_typer_command_prints(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = [*SMALL, "--quiet", "--trades-out", str(tmp_path / "quick.csv")]
    assert quick_backtest(args) == 0
    quick = json.loads(capsys.readouterr().out)
    typed = _typer_json([*SMALL, "--quiet", "--trades-out", str(tmp_path / "typer.csv")])
    quick.pop("elapsed_s")
    typed.pop("elapsed_s")
    assert quick == typed
    assert quick["trades"]
    assert (tmp_path / "quick.csv").read_bytes() == (tmp_path / "typer.csv").read_bytes()


@pytest.mark.parametrize(
    ("flag", "value", "said"),
    [("--custom-stop-loss", "-5", "custom_stop_loss"), ("--fee-rate", "abc", "--fee-rate"),
     ("--timeframe", "7m", "timeframe"), ("--csv", "/nonexistent/c.csv", "/nonexistent/c.csv")],
)  # fmt: skip
def test_a_mistake_is_told_as_the_typer_command_tells_it(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, said: str
) -> None:
    args = ["--generated", "--candles", "500", "--quiet", flag, value]
    assert quick_backtest(args) == 2
    told = capsys.readouterr().err
    assert told.startswith("error: ")
    assert said in told
    typed = CliRunner().invoke(build("backtest"), ["backtest", *args])
    assert typed.exit_code == 2
    assert " ".join(told.split()) in " ".join(typed.output.split())


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["--candles", "3000"], ["--quiet", "--candles=3000"],
     ["--quiet", "--candles", "50"], ["--quiet", "--candles", "many"],
     ["--quiet", "--param", "ema_fast=5"], ["--quiet", "--no-such-flag", "1"],
     ["--quiet", "--csv"], ["--quiet", "--seed", "1", "--seed", "2"],
     ["--quiet", "--csv", "--seed"], ["--quiet", "--auto-transfer-funds", "1"]],
)  # fmt: skip
def test_what_the_quick_path_does_not_read_plainly_is_left_to_typer(args: list[str]) -> None:
    assert parse(args) is None


def test_the_quick_path_reads_the_config_flags_as_the_bot_config_fields() -> None:
    parsed = parse(["-q", "--symbol", "ETHUSDT", "--custom-ema-fast", "5", "--strategy",
                    "ema_rsi", "--csv", "c.csv", "--candles", "100"])  # fmt: skip
    assert parsed == (
        {"csv": Path("c.csv"), "candles": 100, "generated": False},
        {"symbol": "ETHUSDT", "custom_ema_fast": "5", "strategy": {"name": "ema_rsi"}},
    )


def test_a_quiet_backtest_imports_neither_typer_nor_rich() -> None:
    script = (
        "import sys\n"
        "sys.argv = ['tradewind', 'backtest', '--generated', '--candles', '500', '--quiet']\n"
        "from tradewind.entrypoints.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit as done:\n    assert done.code == 0, done.code\n"
        "print(sorted(m for m in ('typer', 'rich', 'click') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"

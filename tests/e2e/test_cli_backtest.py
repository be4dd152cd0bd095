"""`tradewind backtest` end to end, as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_file

CLI = [sys.executable, "-m", "tradewind.entrypoints.cli"]


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "backtest", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_the_default_backtest_runs_on_the_generated_market_and_reports() -> None:
    done = run()
    assert done.returncode == 0, done.stderr
    for heading in ("trades", "win rate", "max drawdown", "Sharpe", "PnL by exit reason"):
        assert heading in done.stdout
    assert "generated market" in done.stdout


def test_quiet_prints_one_json_line_that_matches_the_trade_file(tmp_path: Path) -> None:
    trades = tmp_path / "trades.json"
    done = run(
        "--csv", shared_file("BTCUSDT-1m-binanceus-2023-03.csv"), "--custom-stop-loss", "2",
        "--custom-take-profit", "4", "--quiet", "--trades-out", trades,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    rows = json.loads(trades.read_text())
    closed = [r for r in rows if r["exit_time"] is not None]
    assert summary["trades"] == len(closed) > 50
    assert summary["candles"] == 30_240
    assert set(summary["pnl_by_reason"]) <= {"stop_loss", "take_profit", "signal"}


def test_trades_csv_and_both_chart_formats_are_written(tmp_path: Path) -> None:
    done = run(
        "--candles", "3000", "--trades-out", tmp_path / "t.csv",
        "--plot", tmp_path / "c.png", "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "t.csv").read_text().startswith("side,entry_time,entry_price")
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    done = run("--candles", "3000", "--plot", tmp_path / "c.html", "--quiet")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "c.html").read_text()
    assert "<svg" in page
    assert "max drawdown" in page


def test_a_minute_file_backtests_a_15m_bot_with_its_exits_on_the_minutes() -> None:
    done = run(
        "--csv", shared_file("BTCUSDT-1m-binanceus-2023-03.csv"), "--timeframe", "15m",
        "--custom-trailing-stop", "0.5", "--show-trades", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "BTCUSDT spot, 15m candles" in done.stdout
    assert "2,016 candles" in done.stdout  # 21 days of 15m candles built from the minutes
    assert "checked on every 1m candle, as paper and live" in done.stdout
    assert "approximated" not in done.stdout


def test_coarser_candles_run_and_say_the_exits_are_approximated() -> None:
    xrp = shared_file("XRPUSDT-5m-futures-2021-11.csv")
    done = run("--csv", xrp, "--symbol", "XRPUSDT", "--timeframe", "15m", "--show-trades", "0")
    assert done.returncode == 0, done.stderr
    assert "warning: exits approximated: checked on the data's 5m candles" in done.stdout
    quiet = run("--csv", xrp, "--symbol", "XRPUSDT", "--quiet")
    summary = json.loads(quiet.stdout)
    assert summary["exits_approximated"] is True
    assert summary["exit_candle_seconds"] == 300
    refused = run("--csv", xrp, "--symbol", "XRPUSDT", "--timeframe", "1m")
    assert refused.returncode != 0
    assert "timeframe: a 1m bot cannot be built from candles 5m apart" in refused.stdout


def test_a_toml_config_is_used_and_flags_override_it(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        '[bot]\nname = "swing"\nposition_type = "futures"\nleverage = 75\n'
        "custom_stop_loss = 1\nposition_size_fixed = 50\n"
    )
    done = run("--config", config, "--candles", "5000", "--custom-take-profit", "2")
    assert done.returncode == 0, done.stderr
    assert "swing" in done.stdout
    assert "futures" in done.stdout
    assert "capped at 50" in done.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("open_time,open,high,low\n2023-01-01T00:00:00Z,1,2,0.5\n", "close"),
        (
            "open_time,open,high,low,close,volume\n"
            "2023-01-01T00:01:00Z,1,2,0.5,1.5,3\n2023-01-01T00:00:00Z,1,2,0.5,1.5,3\n",
            "line 3",
        ),
        (
            "open_time,open,high,low,close,volume\n2023-01-01T00:00:00Z,1,0.4,0.5,0.45,3\n",
            "line 2",
        ),
        ("open_time,open,high,low,close,volume\n2023-01-01T00:00:00Z,-1,2,0.5,1.5,3\n", "line 2"),
    ],
    ids=["missing column", "unsorted times", "high below low", "negative price"],
)
def test_a_malformed_candle_file_is_refused_naming_file_and_line(
    tmp_path: Path, content: str, expected: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    done = run("--csv", bad)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert "bad.csv" in done.stdout
    assert expected in done.stdout


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        (["--custom-ema-fast", "30"], "strategy.ema_fast"),
        (["--custom-stop-loss", "-1"], "custom_stop_loss"),
        (["--position-type", "margin"], "position_type"),
        (["--symbol", "NOPEUSDT"], "NOPEUSDT"),
        (["--timeframe", "7m"], "timeframe"),
        (["--csv", "/no/such/file.csv"], "file.csv"),
        (["--initial-balance", "lots"], "--initial-balance"),
    ],
)
def test_bad_input_gets_a_clear_error_naming_the_field(flags: list[str], field: str) -> None:
    done = run(*flags)
    assert done.returncode == 2, done.stdout
    assert "Traceback" not in done.stderr + done.stdout
    assert field in done.stdout

"""A bot replayed through `tradewind run --replay` trades exactly as `tradewind backtest`,
with every registered strategy.

Both run as a user runs them: real processes, the real tick service on a SQLite database,
the simulated exchange, the real BTCUSDT 1m candles. The trades are read back from the
database and compared fill by fill with the backtest's trade list. The whole month takes
minutes; twelve hours of it, run in this process, check the same in seconds.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import shared_file
from tradewind.adapters.db.engine import make_engine, session_factory
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.domain.strategies import STRATEGIES
from tradewind.entrypoints.cli.main import app

CONFIG = [
    "--symbol", "BTCUSDT", "--timeframe", "1m", "--position-type", "spot",
    "--custom-stop-loss", "1", "--custom-take-profit", "1.5", "--custom-trailing-stop", "0.8",
    "--position-size-fixed", "100", "--max-daily-trades", "12",
]  # fmt: skip
# Every registered strategy, with its parameters for the month of BTCUSDT 1m candles.
STRATEGY_FLAGS: dict[str, list[str]] = {
    "ema_rsi": [],
    "bollinger_rsi": ["--param", "rsi_period=7", "--param", "bb_stddev=2.2"],
}
REASONS = {"signal": "close"}  # the backtest's exit reason -> the order purpose recorded


def tradewind(*args: str | Path, data_dir: Path) -> str:
    env = {**os.environ, "TRADEWIND_DATA_DIR": str(data_dir), "NO_COLOR": "1"}
    env.pop("TRADEWIND_DATABASE_URL", None)
    env.pop("TRADEWIND_SECRET_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "tradewind.entrypoints.cli", *map(str, args)],
        capture_output=True, text=True, timeout=900, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_every_registered_strategy_is_replayed_here() -> None:
    assert set(STRATEGY_FLAGS) == set(STRATEGIES)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", sorted(STRATEGY_FLAGS))
def test_a_replayed_bot_makes_exactly_the_backtests_trades(tmp_path: Path, strategy: str) -> None:
    candles = shared_file("BTCUSDT-1m-binanceus-2023-03.csv")
    replayed, expected = replay_and_backtest(tmp_path, candles, strategy)
    assert len(expected) > 200
    assert {row[7] for row in expected} >= {"close", "take_profit", "trailing_stop"}
    assert replayed == expected


# Twelve hours of the month (from 2023-03-16 00:00 UTC), where ema_rsi closes by signal,
# by take-profit and by trailing stop: each exit the replay and the backtest must agree on,
# in seconds rather than minutes, in the same process (the full test runs real processes).
SLICE = (15 * 1440, 15 * 1440 + 720)


def test_a_replayed_bot_makes_the_backtests_trades_on_twelve_hours(tmp_path: Path) -> None:
    month = shared_file("BTCUSDT-1m-binanceus-2023-03.csv")
    candles = tmp_path / "twelve-hours.csv"
    with month.open(encoding="utf-8") as source:
        header = next(source)
        rows = itertools.islice(source, *SLICE)
        candles.write_text(header + "".join(rows), "utf-8")
    replayed, expected = replay_and_backtest(tmp_path, candles, "ema_rsi", in_process)
    assert len(expected) >= 5
    assert {row[7] for row in expected} >= {"close", "take_profit", "trailing_stop"}
    assert replayed == expected


def in_process(*args: str | Path, data_dir: Path) -> str:
    """Run a tradewind command in this process, as `tradewind` itself would."""
    env = {"TRADEWIND_DATA_DIR": str(data_dir), "NO_COLOR": "1",
           "TRADEWIND_DATABASE_URL": None, "TRADEWIND_SECRET_KEY": None}  # fmt: skip
    done = CliRunner().invoke(app, list(map(str, args)), env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.output


Fill = tuple[int, Decimal, Decimal, Decimal, int, Decimal, Decimal, str, Decimal | None]


def replay_and_backtest(
    tmp_path: Path, candles: Path, strategy: str, run: Callable[..., str] = tradewind
) -> tuple[list[Fill], list[Fill]]:
    """Replay a bot over `candles` and backtest it, each command by `run` (a process of its
    own by default); return the closed trades of both, alike."""
    config = [*CONFIG, "--strategy", strategy, *STRATEGY_FLAGS[strategy]]
    data = tmp_path / "data"
    run("init", data_dir=data)
    run("user", "add", "ann@example.com", data_dir=data)
    run("account", "add", "--user", "ann@example.com", "--name", "paper",
        "--kind", "paper", data_dir=data)  # fmt: skip
    run("bot", "create", "--user", "ann@example.com", "--name", "replayed", *config,
        data_dir=data)  # fmt: skip
    run("bot", "start", "replayed", data_dir=data)
    run("run", "--replay", candles, "--quiet", data_dir=data)
    trade_file = tmp_path / "backtest.json"
    run("backtest", "--csv", candles, *config, "--trades-out", trade_file, "--quiet",
        data_dir=data)  # fmt: skip

    engine = make_engine(f"sqlite:///{data / 'tradewind.db'}")
    with SqlManageUnitOfWork(session_factory(engine)) as uow:
        fills = sorted(
            uow.trades.recent(limit=100_000),
            key=lambda t: (t.timestamp, t.purpose.value != "entry"),
        )
    engine.dispose()
    replayed = []
    for entry, exit_ in zip(fills[0::2], fills[1::2], strict=False):
        assert entry.purpose.value == "entry"
        replayed.append(
            (entry.timestamp, entry.price, entry.quantity, entry.fee, exit_.timestamp,
             exit_.price, exit_.fee, exit_.purpose.value, exit_.realized_pnl)
        )  # fmt: skip
    expected = []
    for t in json.loads(trade_file.read_text()):
        if t["exit_time"] is None:
            continue
        reason = REASONS.get(t["exit_reason"], t["exit_reason"])
        expected.append(
            (_ts(t["entry_time"]), Decimal(t["entry_price"]), Decimal(t["quantity"]),
             Decimal(t["entry_fee"]), _ts(t["exit_time"]), Decimal(t["exit_price"]),
             Decimal(t["exit_fee"]), reason, Decimal(t["pnl"]))
        )  # fmt: skip
    return replayed, expected


def _ts(text: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())

"""The research path end to end, as a user walks it against the local Binance-compatible
server: `data download` -> `backtest --symbol --timeframe` -> `optimize` -> `bot create
--config best.toml`."""

from __future__ import annotations

import csv
import json
import sqlite3
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from tests.market_script import MINUTE, T0, ManualClock
from tradewind.adapters.exchange.simulated import CandlesPriceFeed, SimulatedVenue
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.types import PositionType
from tradewind.entrypoints.cli.main import app
from tradewind.testkit.binance_server.server import BinanceServer

MINUTES = 6_000


def test_download_backtest_optimize_and_create_the_best_bot(tmp_path: Path) -> None:
    market = generate_market(MINUTES, 60, seed=11, start_time=datetime.fromtimestamp(T0, UTC))
    clock = ManualClock(T0 + (MINUTES - 1) * MINUTE + 30)
    feed = CandlesPriceFeed({("ETHUSDT", kind): market for kind in PositionType})
    with BinanceServer(SimulatedVenue(feed, clock, seed=1), seed=1) as server:
        env = {
            "TRADEWIND_BINANCE_URL": server.base_url,
            "HOME": str(tmp_path),
            "TRADEWIND_DATA_DIR": str(tmp_path / "data"),
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }

        def tradewind(*args: str) -> str:
            done = CliRunner().invoke(app, list(args), env=env)
            assert done.exit_code == 0, done.output
            return done.output

        tradewind("data", "download", "--symbol", "ETHUSDT", "--start", str(T0), "--quiet")

    backtest = json.loads(
        tradewind("backtest", "--symbol", "ETHUSDT", "--timeframe", "1m", "--quiet")
    )
    assert backtest["candles"] == MINUTES - 1

    table, best = tmp_path / "out" / "sets.csv", tmp_path / "out" / "best.toml"
    summary = json.loads(tradewind(
        "optimize", "--symbol", "ETHUSDT", "--timeframe", "1m",
        "--vary", "ema_fast=5,8", "--vary", "ema_slow=21,34", "--vary", "stop_loss=none,1.5",
        "--folds", "2", "--holdout", "0.2", "--workers", "2",
        "--table", str(table), "--best-config", str(best), "--quiet",
        "--heatmap", str(tmp_path / "out" / "heat.png"), "--heatmap-axes", "ema_slow,stop_loss",
    ))  # fmt: skip
    assert summary["sets"] == 8
    assert (tmp_path / "out" / "heat.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert summary["invalid"] == 0
    with table.open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["rank"]) for r in rows] == list(range(1, 9))
    outs = [float(r["out_return"]) for r in rows]
    assert outs == sorted(outs, reverse=True)  # ranked by the out-of-sample objective

    written = tomllib.loads(best.read_text())["bot"]
    params = summary["best_params"]
    assert written["symbol"] == "ETHUSDT"
    assert written["strategy"]["ema_fast"] == int(params["ema_fast"])
    assert written["strategy"]["ema_slow"] == int(params["ema_slow"])
    assert ("custom_stop_loss" in written) == (params["stop_loss"] is not None)

    tradewind("init")
    tradewind("user", "add", "ann@example.com", "--name", "Ann")
    tradewind("account", "add", "--user", "ann@example.com", "--name", "paper", "--kind", "paper")
    tradewind("bot", "create", "--user", "ann@example.com", "--config", str(best))
    with sqlite3.connect(tmp_path / "data" / "tradewind.db") as db:
        (name,) = db.execute("SELECT name FROM bot_configs").fetchone()
    assert name == "ema_rsi ETHUSDT 1m"

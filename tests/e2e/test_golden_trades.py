"""Golden trades: the backtest and the demo make exactly the trades they made before.

Pinned before the design was opened up (strategies and venues as plugins, one `decide`),
so a refactor that changes any trade — time, side, price, quantity, fee, PnL, reason —
fails here. Each case runs the real command in a process of its own and reduces its
trades to a digest; `tests/e2e/golden_trades.json` holds the expected digests with the
trade count and total PnL, which say at a glance what moved.

A change that is meant to move trades (a new fill rule, say) rewrites the file with
`TRADEWIND_GOLDEN_UPDATE=1 pytest tests/e2e/test_golden_trades.py` and says why in its
commit. The trades are read from the demo's SQLite file with plain SQL, so no code
under test reads them back.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import shared_file

GOLDEN = Path(__file__).with_name("golden_trades.json")
UPDATE = os.environ.get("TRADEWIND_GOLDEN_UPDATE") == "1"

BTC_1M = "BTCUSDT-1m-binanceus-2023-03.csv"
XRP_5M = "XRPUSDT-5m-futures-2021-11.csv"
BTC_1H = "BTCUSD-1h-2018-2022.csv"

BACKTESTS: dict[str, tuple[str, list[str]]] = {
    "btc-1m-spot-all-exits-limits": (BTC_1M, [
        "--position-type", "spot", "--custom-stop-loss", "1", "--custom-take-profit", "1.5",
        "--custom-trailing-stop", "0.8", "--position-size-fixed", "100",
        "--max-daily-trades", "12",
    ]),
    "btc-1m-futures-10x-loss-limit": (BTC_1M, [
        "--position-type", "futures", "--leverage", "10", "--custom-stop-loss", "2",
        "--custom-take-profit", "3", "--position-size-perc", "10", "--max-daily-loss", "50",
    ]),
    "btc-1m-spot-ema-100-400": (BTC_1M, [
        "--position-type", "spot", "--custom-ema-fast", "100", "--custom-ema-slow", "400",
        "--custom-rsi-period", "14", "--custom-trailing-stop", "0.5",
    ]),
    "xrp-5m-futures-trailing-profit-target": (XRP_5M, [
        "--symbol", "XRPUSDT", "--position-type", "futures", "--leverage", "5",
        "--custom-trailing-stop", "1", "--custom-stop-loss", "1.5",
        "--daily-profit-target", "5",
    ]),
    "btc-1h-spot-defaults": (BTC_1H, ["--position-type", "spot"]),
}  # fmt: skip


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


def pinned(rows: list[dict[str, str | None]]) -> dict[str, object]:
    """Reduce trades to what the golden file keeps: count, total PnL and a digest."""
    canonical = json.dumps(rows, sort_keys=True, separators=(",", ":"))
    pnl = sum((Decimal(str(r["pnl"])) for r in rows if r.get("pnl") is not None), Decimal(0))
    return {
        "trades": len(rows),
        "pnl": str(pnl),
        "sha256": hashlib.sha256(canonical.encode()).hexdigest(),
    }


def check(case: str, got: dict[str, object]) -> None:
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if UPDATE:
        golden[case] = got
        GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
        return
    assert case in golden, f"no golden trades for {case}: run with TRADEWIND_GOLDEN_UPDATE=1"
    assert got == golden[case]


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BACKTESTS))
def test_a_backtest_makes_the_pinned_trades(case: str, tmp_path: Path) -> None:
    name, flags = BACKTESTS[case]
    out = tmp_path / "trades.json"
    tradewind(
        "backtest", "--csv", shared_file(name), *flags, "--trades-out", out, "-q",
        data_dir=tmp_path,
    )  # fmt: skip
    check(f"backtest/{case}", pinned(json.loads(out.read_text())))


def demo_trades(db: Path) -> list[dict[str, str | None]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT b.name, t.side, t.purpose, t.price, t.quantity, t.fee, t.fee_asset,"
            " t.realized_pnl, t.timestamp FROM trades t JOIN bot_configs b ON b.id = t.bot_id"
            " ORDER BY t.timestamp, b.name, t.id"
        ).fetchall()
    keys = ("bot", "side", "purpose", "price", "quantity", "fee", "fee_asset", "pnl", "time")
    return [
        {k: (None if v is None else str(v)) for k, v in zip(keys, row, strict=True)} for row in rows
    ]


@pytest.mark.slow
@pytest.mark.parametrize("market", ["generated-seed-7", "real-btc-1m"])
def test_the_demo_makes_the_pinned_trades(market: str, tmp_path: Path) -> None:
    data = tmp_path / "demo"
    extra: list[str | Path] = []
    if market == "real-btc-1m":
        extra = ["--csv", shared_file(BTC_1M)]
    tradewind("demo", "--no-live", "--hours", "24", "--data-dir", data, *extra, data_dir=data)
    check(f"demo/{market}", pinned(demo_trades(data / "tradewind.db")))

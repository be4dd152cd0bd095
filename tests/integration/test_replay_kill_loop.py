"""A replay killed again and again loses nothing (SQLite and PostgreSQL).

`tradewind run --replay` with spot and futures bots is SIGKILLed after a random 1.5-6 s,
KILLS times, and started again each time; then it runs to the end. Afterwards the
database and the paper venue (saved beside it) must agree: no client order id twice at
the venue, every venue order in the database, every filled order with exactly one trade,
every futures position equal to the venue's, no order left unsettled, no bot in error,
and the day counters equal to the entries traded.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tradewind.adapters.marketdata.csv_candles import write_candles_csv
from tradewind.adapters.marketdata.synthetic import generate_market

pytestmark = pytest.mark.slow

KILLS = 5
MINUTES = 2 * 1440
SAFETY_S = 900.0  # only a hung replay waits this long
START = datetime(2024, 3, 1, tzinfo=UTC)
FAST = ["--timeframe", "1m", "--custom-ema-fast", "3", "--custom-ema-slow", "8"]
BOTS = {
    "spot-btc": ["--symbol", "BTCUSDT", "--position-type", "spot", "--custom-stop-loss", "0.4",
                 "--custom-take-profit", "0.6", "--position-size-fixed", "100"],
    "spot-eth": ["--symbol", "ETHUSDT", "--position-type", "spot",
                 "--custom-trailing-stop", "0.5", "--position-size-fixed", "100"],
    "fut-btc": ["--symbol", "BTCUSDT", "--position-type", "futures", "--leverage", "5",
                "--custom-stop-loss", "0.4", "--custom-take-profit", "0.6",
                "--position-size-fixed", "50", "--auto-transfer-funds",
                "--transfer-amount", "500"],
    "fut-eth": ["--symbol", "ETHUSDT", "--position-type", "futures", "--leverage", "3",
                "--custom-trailing-stop", "0.6", "--position-size-fixed", "50",
                "--auto-transfer-funds", "--transfer-amount", "500"],
}  # fmt: skip


def _env(data: Path, database_url: str) -> dict[str, str]:
    env = {**os.environ, "TRADEWIND_DATA_DIR": str(data), "NO_COLOR": "1", "COLUMNS": "200"}
    env["TRADEWIND_DATABASE_URL"] = database_url
    env.pop("TRADEWIND_SECRET_KEY", None)
    return env


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tradewind.entrypoints.cli", *args],
        capture_output=True, text=True, timeout=SAFETY_S, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_replay_killed_again_and_again_ends_with_database_and_venue_agreeing(
    tmp_path: Path, database_url: str
) -> None:
    data = tmp_path / "data"
    env = _env(data, database_url)
    replay: list[str] = []
    for symbol, price, seed in (("BTCUSDT", 42_000, 5), ("ETHUSDT", 2_300, 6)):
        path = tmp_path / f"{symbol}.csv"
        write_candles_csv(generate_market(MINUTES, 60, seed, price, START), path)
        replay += ["--replay", f"{symbol}={path}"]
    _cli(env, "init")
    _cli(env, "user", "add", "ann@example.com")
    _cli(env, "account", "add", "--user", "ann@example.com", "--name", "paper", "--kind", "paper")
    for name, flags in BOTS.items():
        _cli(env, "bot", "create", "--user", "ann@example.com", "--name", name, *FAST, *flags)
        _cli(env, "bot", "start", name)

    rng = random.Random(11)
    command = [sys.executable, "-m", "tradewind.entrypoints.cli", "run", *replay, "--quiet"]
    for _ in range(KILLS):
        runner = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            runner.wait(rng.uniform(1.5, 6.0))
        except subprocess.TimeoutExpired:
            runner.send_signal(signal.SIGKILL)
        runner.wait(SAFETY_S)
        assert runner.stderr is not None
        assert "Traceback" not in runner.stderr.read()
        runner.stderr.close()
    started = time.monotonic()
    done = _cli(env, "run", *replay, "--quiet")
    assert "replay done" in done, done
    assert time.monotonic() - started < SAFETY_S

    [venue_file] = data.glob("paper-venue-replay-*.json")
    venue = json.loads(venue_file.read_text())
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as db:
        orders = {
            row.client_order_id: row
            for row in db.execute(
                text("SELECT client_order_id, bot_id, status, filled_qty, purpose FROM orders")
            )
        }
        trades = Counter(r[0] for r in db.execute(text("SELECT client_order_id FROM trades")))
        entries = db.execute(text("SELECT count(*) FROM trades WHERE purpose = 'entry'"))
        entry_trades = entries.scalar_one()
        counted = db.execute(text("SELECT coalesce(sum(entries), 0) FROM daily_counters"))
        day_entries = counted.scalar_one()
        bots = {
            row.name: row
            for row in db.execute(
                text(
                    "SELECT c.name, c.symbol, c.position_type, s.status, s.reason, "
                    "s.position_side, s.position_quantity "
                    "FROM bot_configs c JOIN bot_states s ON s.bot_id = c.id"
                )
            )
        }
    engine.dispose()

    ours = [o for o in venue["orders"] if o["client_order_id"].startswith("tw")]
    at_venue = Counter(o["client_order_id"] for o in ours)
    assert [c for c, n in at_venue.items() if n > 1] == []  # no order sent twice
    assert sorted(set(at_venue) - set(orders)) == []  # every venue order is recorded
    filled = [c for c, o in orders.items() if Decimal(str(o.filled_qty)) > 0]
    assert [c for c in filled if trades[c] != 1] == []  # one trade per fill, none missing
    assert sum(trades.values()) == len(filled)
    venue_filled = {o["client_order_id"] for o in ours if Decimal(o["executed_qty"]) > 0}
    assert venue_filled == set(filled)
    assert len(filled) > 20, "the replay should have traded"
    unsettled = [c for c, o in orders.items() if o.status in ("SUBMITTING", "UNKNOWN")]
    assert unsettled == []
    [account] = venue["accounts"]
    held = {p["symbol"]: (p["side"], Decimal(p["quantity"])) for p in account["positions"]}
    for name, bot in bots.items():
        assert bot.status != "error", (name, bot.reason)
        if bot.position_type == "futures":
            mine = None
            if bot.position_quantity is not None and Decimal(str(bot.position_quantity)) > 0:
                mine = (bot.position_side.upper(), Decimal(str(bot.position_quantity)))
            theirs = held.get(bot.symbol)
            if theirs is not None:
                theirs = (theirs[0].upper(), theirs[1])
            assert mine == theirs, name
    assert day_entries == entry_trades
    print(  # the figures of the README's reliability section (pytest -s)
        f"\nkills {KILLS}, venue orders {len(ours)}, database orders {len(orders)}, "
        f"fills {len(filled)}, trades {sum(trades.values())}, duplicates 0, mismatches 0"
    )

"""A replay whose paper venue is not the one the bots traded on (its state lost, or another
replay of the same database) stops each bot in a position at start, tells its owner once,
and sends nothing for it; the flat bots go on trading. Real `tradewind` processes on SQLite.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tradewind.adapters.marketdata.csv_candles import write_candles_csv
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bootstrap.markets import replay_venue_state

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "tradewind.entrypoints.cli"]
SAFETY_S = 900.0  # only a hung process ever waits this long
START = datetime(2024, 3, 1, tzinfo=UTC)
CUT = 1440 - 7  # minutes of the first replay: it ends with a bot in a position
FAST = ["--timeframe", "1m", "--custom-ema-fast", "3", "--custom-ema-slow", "8",
        "--symbol", "BTCUSDT", "--custom-stop-loss", "2", "--custom-take-profit", "3"]  # fmt: skip
BOTS = {
    "spot": ["--position-type", "spot", "--position-size-fixed", "100"],
    "futures": ["--position-type", "futures", "--leverage", "2", "--position-size-fixed", "100",
                "--auto-transfer-funds", "--transfer-amount", "500"],
}  # fmt: skip


def _cli(data: Path, *args: str) -> str:
    env = {**os.environ, "TRADEWIND_DATA_DIR": str(data), "NO_COLOR": "1", "COLUMNS": "400"}
    env.pop("TRADEWIND_DATABASE_URL", None)
    env.pop("TRADEWIND_SECRET_KEY", None)
    done = subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=SAFETY_S, env=env, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _bots(data: Path) -> dict[str, tuple[int, str, str | None, str | None]]:
    """Each bot's (id, status, reason, position quantity), by name."""
    with sqlite3.connect(data / "tradewind.db") as db:
        rows = db.execute(
            "SELECT c.name, c.id, s.status, s.reason, s.position_quantity "
            "FROM bot_configs c JOIN bot_states s ON s.bot_id = c.id"
        ).fetchall()
    return {name: (bot_id, status, reason, qty) for name, bot_id, status, reason, qty in rows}


def test_a_restart_on_a_venue_without_the_bots_position_stops_it_and_sends_nothing(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first, second = tmp_path / "day1.csv", tmp_path / "days1-2.csv"
    write_candles_csv(generate_market(2 * 1440, 60, 5, 42_000, START), second)
    lines = second.read_text().splitlines(keepends=True)
    first.write_text("".join(lines[: 1 + CUT]))  # the header and the first CUT minutes
    _cli(data, "init")
    _cli(data, "user", "add", "ann@example.com")
    _cli(data, "account", "add", "--user", "ann@example.com", "--name", "paper", "--kind", "paper")
    for name, flags in BOTS.items():
        _cli(data, "bot", "create", "--user", "ann@example.com", "--name", name, *FAST, *flags)
        _cli(data, "bot", "start", name)
    assert "replay done" in _cli(data, "run", "--replay", str(first), "--quiet")
    before = _bots(data)
    holding = {name for name, bot in before.items() if bot[3] is not None}
    assert holding, f"a bot should end the first replay in a position: {before}"
    assert not any(status == "error" for _, status, _, _ in before.values())

    # Another replay (its own paper venue, fresh): the positions are not there.
    out = _cli(data, "run", "--replay", str(second), "--quiet")
    assert f"{len(holding)} stopped in error" in out, out
    after = _bots(data)
    for name in holding:
        bot_id, status, reason, _ = after[name]
        assert status == "error", after[name]
        assert reason is not None
        assert "position differs from the venue" in reason
    with sqlite3.connect(data / "tradewind.db") as db:
        told = db.execute(
            "SELECT bot_id, payload FROM outbox WHERE event_type = 'bot_error'"
        ).fetchall()
    assert sorted(bot_id for bot_id, _ in told) == sorted(after[n][0] for n in holding)
    assert all(json.loads(p)["cause"] == "venue_mismatch" for _, p in told)
    venue = json.loads(replay_venue_state(data, [str(second)], 7).read_text())
    sent = {o["client_order_id"].split("-")[0] for o in venue["orders"]}
    for name, (bot_id, *_) in after.items():  # stopped: nothing; flat: traded on day 2
        assert (f"tw{bot_id}" in sent) is (name not in holding), (name, after[name], out)

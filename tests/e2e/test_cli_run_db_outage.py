"""`tradewind run` through a PostgreSQL outage: a real process on a database of its own,
reached through a forwarder on loopback that the test cuts mid-run and restores.

The runner says the outage in one line (never a traceback), decides nothing while the
database is away, and carries on once it is back: no order twice, every order and trade
the database holds is the venue's, and the bots go on trading.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.integration.tcp_proxy import TcpProxy
from tests.waiting import SAFETY_S, wait_until
from tradewind.adapters.marketdata.csv_candles import write_candles_csv
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bootstrap.markets import replay_venue_state

CLI = [sys.executable, "-m", "tradewind.entrypoints.cli"]
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
START = datetime(2024, 3, 1, tzinfo=UTC)
MINUTES = 600
SPEED = "1200"  # replayed seconds per real second: a slot every 50 ms at most
SEED = 7  # `run`'s default: the venue file is named by it
RETRIES_CUT = 3  # the runner tried its slot again this often while the database was away
FAST = ["--timeframe", "1m", "--custom-ema-fast", "3", "--custom-ema-slow", "8",
        "--symbol", "BTCUSDT", "--custom-stop-loss", "2", "--custom-take-profit", "3"]  # fmt: skip
BOTS = {
    "spot": ["--position-type", "spot", "--position-size-fixed", "100"],
    "futures": ["--position-type", "futures", "--leverage", "2", "--position-size-fixed", "100",
                "--auto-transfer-funds", "--transfer-amount", "500"],
}  # fmt: skip


def _reachable() -> bool:
    try:
        psycopg.connect(ADMIN, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _reachable(), reason="PostgreSQL must run on 127.0.0.1:5432"),
]


@pytest.fixture
def database() -> Iterator[str]:
    """Yield the name of an empty database of its own (dropped at the end)."""
    name = f"tradewind_outage_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _rows(name: str, query: str) -> list[tuple[object, ...]]:
    """Read straight from the server (not through the forwarder)."""
    with psycopg.connect(f"{ADMIN.replace('dbname=postgres', f'dbname={name}')}") as db:
        return db.execute(query).fetchall()


def test_a_database_outage_mid_run_is_said_once_and_trading_goes_on(
    tmp_path: Path, database: str
) -> None:
    proxy = TcpProxy(5432)
    data = tmp_path / "data"
    env = {
        **os.environ, "TRADEWIND_DATA_DIR": str(data), "NO_COLOR": "1", "COLUMNS": "400",
        "TRADEWIND_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{database}",
    }  # fmt: skip
    env.pop("TRADEWIND_SECRET_KEY", None)

    def cli(*args: str) -> None:
        done = subprocess.run(
            [*CLI, *args], capture_output=True, text=True, timeout=SAFETY_S, env=env, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr

    candles = tmp_path / "candles.csv"
    write_candles_csv(generate_market(MINUTES, 60, 5, 42_000, START), candles)
    try:
        cli("init")
        cli("user", "add", "ann@example.com")
        cli("account", "add", "--user", "ann@example.com", "--name", "paper", "--kind", "paper")
        for name, flags in BOTS.items():
            cli("bot", "create", "--user", "ann@example.com", "--name", name, *FAST, *flags)
            cli("bot", "start", name)
        out, err = tmp_path / "run.out", tmp_path / "run.err"
        with out.open("w") as stdout, err.open("w") as stderr:
            run = subprocess.Popen(
                [*CLI, "run", "--replay", str(candles), "--speed", SPEED, "--quiet"],
                stdout=stdout, stderr=stderr, env=env, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        try:
            wait_until(
                lambda: _rows(database, "SELECT count(*) FROM trades") != [(0,)],
                "a first trade before the outage",
            )
            proxy.cut()
            wait_until(
                lambda: "the database is away" in err.read_text() or run.poll() is not None,
                "the outage said",
            )
            assert run.poll() is None, err.read_text()  # the outage did not end the run
            refused = proxy.refused
            wait_until(lambda: proxy.refused >= refused + RETRIES_CUT, "retries while away")
            assert run.poll() is None, err.read_text()
            before = _rows(database, "SELECT max(slot) FROM orders")[0][0]
            proxy.restore()
            run.wait(timeout=SAFETY_S)
        finally:
            if run.poll() is None:
                run.kill()
        said, told = out.read_text(), err.read_text()
    finally:
        proxy.close()

    assert run.returncode == 0, said + told
    assert "replay done" in said
    assert "Traceback" not in said + told
    away = [line for line in told.splitlines() if "the database is away" in line]
    back = [line for line in told.splitlines() if "the database is back" in line]
    # One line, and one more each time the cause changed (a dropped session, then refusals).
    assert 1 <= len(away) <= 3, told
    assert len(back) == 1, told
    assert "no slot missed" in back[0], back  # a replay waits: its time is its own

    orders = _rows(
        database, "SELECT client_order_id, status, filled_qty, exchange_order_id, slot "
        "FROM orders",
    )  # fmt: skip
    trades = _rows(database, "SELECT client_order_id, quantity FROM trades")
    assert isinstance(before, int)
    assert any(int(str(slot)) > before for *_, slot in orders), "no order after the outage"
    venue = json.loads(replay_venue_state(data, [str(candles)], SEED).read_text())
    sent = {o["client_order_id"]: o for o in venue["orders"]}
    mine = [o for o in sent if o.startswith("tw")]
    assert len(mine) == len(set(mine))
    recorded = {str(client_id): status for client_id, status, *_ in orders}
    assert set(mine) <= set(recorded), "an order the venue holds is not recorded"
    assert not {s for s in recorded.values() if s in ("submitting", "unknown")}, recorded
    for client_id, _, filled, *_ in orders:
        if client_id in sent:
            assert Decimal(str(sent[client_id]["executed_qty"])) == filled, client_id
    assert len({c for c, _ in trades}) == len(trades)
    for client_id, quantity in trades:
        assert Decimal(str(sent[str(client_id)]["executed_qty"])) == quantity, client_id

"""One paper runner per database: a second is refused naming the first, and a killed one
leaves nothing behind (the lock ends with its process: an flock on SQLite, an advisory
lock on its own connection on PostgreSQL). Runners on Binance are not limited on
PostgreSQL: they share the minutes through the slot claims and bot locks."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tradewind.adapters.db.engine import make_engine
from tradewind.adapters.db.runner_lock import lock_path, sole_postgres_runner, sole_runner
from tradewind.bootstrap.store import runner_slot
from tradewind.domain.errors import Conflict
from tradewind.settings import Settings

SAFETY_S = 120.0
HOLDER = """
import sys, time
from tradewind.adapters.db.engine import make_engine
from tradewind.adapters.db.runner_lock import sole_postgres_runner
with sole_postgres_runner(make_engine(sys.argv[1]), "db"):
    print("holding", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def pg_engine(postgres_database: str) -> Iterator[Engine]:
    engine = make_engine(postgres_database)
    yield engine
    engine.dispose()


def test_a_second_sqlite_runner_is_refused_naming_the_first(tmp_path: Path) -> None:
    database = tmp_path / "tradewind.db"
    with sole_runner(database):
        holder = json.loads(lock_path(database).read_text())
        assert holder["pid"] == os.getpid()
        with pytest.raises(Conflict) as refused, sole_runner(database):
            pytest.fail("two runners on one database")
        message = str(refused.value)
        assert message.startswith(f"database: another `tradewind run` is running on {database}")
        assert f"(pid {os.getpid()} on {socket.gethostname()}, since " in message
    with sole_runner(database):  # released on leaving
        pass


def test_a_second_paper_runner_on_postgresql_is_refused_naming_the_first(
    pg_engine: Engine,
) -> None:
    other = make_engine(str(pg_engine.url.render_as_string(hide_password=False)))
    try:
        with sole_postgres_runner(pg_engine, "db"):
            with pytest.raises(Conflict) as refused, sole_postgres_runner(other, "db"):
                pytest.fail("two paper runners on one database")
            assert f"(pid {os.getpid()} on {socket.gethostname()}, since " in str(refused.value)
        with sole_postgres_runner(other, "db"):  # released with its connection
            pass
    finally:
        other.dispose()


def test_a_killed_postgresql_runner_leaves_no_lock_behind(
    pg_engine: Engine, postgres_database: str
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres_database],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "holding"  # it holds the lock now
        with (
            pytest.raises(Conflict, match=rf"\(pid {child.pid} on "),
            sole_postgres_runner(pg_engine, "db"),
        ):
            pytest.fail("a second paper runner beside the child")
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=SAFETY_S)
    # The server notices the dead connection and drops its lock: wait for that.
    deadline = time.monotonic() + SAFETY_S
    while True:
        try:
            with sole_postgres_runner(pg_engine, "db"):
                break
        except Conflict:
            assert time.monotonic() < deadline, "the killed runner's lock stayed"
            time.sleep(0.05)


def test_binance_runners_on_postgresql_take_no_lock(postgres_database: str) -> None:
    settings = Settings(database_url=postgres_database)
    with runner_slot(settings, paper=False), runner_slot(settings, paper=False):
        pass
    with (
        runner_slot(settings, paper=True),
        pytest.raises(Conflict),
        runner_slot(settings, paper=True),
    ):
        pytest.fail("two paper runners on one database")

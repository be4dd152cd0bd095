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
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from tests.integration.tcp_proxy import TcpProxy
from tests.waiting import wait_until
from tradewind.adapters.db import runner_lock
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


def test_a_paper_runner_takes_its_lock_again_after_the_database_was_away(
    proxied_engine: tuple[Engine, TcpProxy], pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_lock, "CHECK_EVERY_S", 0.0)  # look at the connection each slot
    engine, proxy = proxied_engine
    with sole_postgres_runner(engine, "db") as keep:
        proxy.cut()  # the lock's connection drops: the server ends its lock with it
        with pytest.raises(DBAPIError):
            keep()  # away: the slot decides nothing
        proxy.restore()
        # Until the server notices the dropped session, the old lock may still stand
        # and `keep` says the place is taken; then it holds it again.
        wait_until(lambda: _kept(keep), "the runner's lock taken again")
        with pytest.raises(Conflict), sole_postgres_runner(pg_engine, "db"):
            pytest.fail("a second paper runner beside the one that came back")


def test_a_paper_runner_whose_place_was_taken_during_an_outage_stops_naming_the_other(
    proxied_engine: tuple[Engine, TcpProxy], pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_lock, "CHECK_EVERY_S", 0.0)
    engine, proxy = proxied_engine
    with sole_postgres_runner(engine, "db") as keep:
        proxy.cut()

        def other_takes_it() -> bool:
            try:
                with sole_postgres_runner(pg_engine, "db"):
                    pass
            except Conflict:  # the dropped session's lock still stands
                return False
            return True

        wait_until(other_takes_it, "the dropped lock gone")
        with sole_postgres_runner(pg_engine, "db"):  # another runner starts meanwhile
            proxy.restore()
            with pytest.raises(Conflict, match=rf"\(pid {os.getpid()} on "):
                keep()  # never two deciding: this runner must stop


def _kept(keep: Callable[[], None]) -> bool:
    try:
        keep()
    except (Conflict, DBAPIError):  # the old lock still stands, or the pool's first try
        return False
    return True

"""One `tradewind run` per database where runners cannot cooperate.

Two runners on one SQLite file would each tick the bots with a paper venue of their own,
and cancel in the database what the other placed. The same holds for two paper runners on
one PostgreSQL database (each venue lives in its process); there `sole_postgres_runner`
holds an advisory lock on a connection of its own, named after its process so the next
one can say who runs. Runners that cooperate on PostgreSQL are the scale-out workers
(shared paper venues, one leading scheduler, slot claims), and `run --exchange binance`
(the venue is Binance itself), which take no such lock.

On SQLite the lock is a file lock beside the database.

`flock` belongs to the open file: the kernel drops it when the process exits, however it
exits (SIGKILL included), so a dead runner never leaves it behind. The file's text says
who holds it (pid, host, since) for the message the next one reads; it is never deleted,
since deleting a lock file lets two processes lock two different files.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from tradewind.adapters.db.held_locks import PAPER_RUNNER_SPACE, HeldLocks
from tradewind.domain.errors import Conflict

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".run.lock"
# How often a runner makes sure, before a slot, that its lock's connection still lives.
CHECK_EVERY_S = 1.0
_KEY = 1  # in the paper runner's key space (see held_locks)
_NAME = text("SELECT set_config('application_name', :name, false)")
_HOLDER = text(
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.classid = ((:space)::bigint & 4294967295)::text::oid AND l.objid = (:key)::text::oid"
)
_APP_PREFIX = "tradewind-run "


def lock_path(database: Path) -> Path:
    """Return the lock file of the SQLite database `database`."""
    return database.with_name(database.name + LOCK_SUFFIX)


@contextmanager
def sole_runner(database: Path) -> Iterator[None]:
    """Hold the runner lock of `database` while the block runs; Conflict naming the
    running one when another process holds it."""
    path = lock_path(database)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe(os.pread(descriptor, 4096, 0))
            raise Conflict(
                f"database: another `tradewind run` is running on {database} ({holder}); "
                "stop it first (several runners need PostgreSQL)"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(_me()).encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the lock


@contextmanager
def sole_postgres_runner(engine: Engine, shown_database: str) -> Iterator[Callable[[], None]]:
    """Hold the paper runner's advisory lock of the database while the block runs;
    Conflict naming the running one when another process holds it. The lock ends with
    its connection, so a killed process cannot leave it behind.

    The block gets `keep`, to call before each slot: the lock ends with its connection
    when the database goes away too, so `keep` takes it again once the database is back
    (raising the driver's error while it is away, and Conflict if another runner took the
    place meanwhile)."""
    place = _PostgresPlace(engine, shown_database)
    place.take()
    try:
        yield place.keep
    finally:
        place.release()


class _PostgresPlace:
    """The paper runner's advisory lock, on a connection of its own named after it."""

    def __init__(self, engine: Engine, shown_database: str) -> None:
        me = _me()
        # application_name holds 63 bytes: pid and time first, the host last (cut if long).
        name = f"{_APP_PREFIX}{me['pid']} {str(me['since']).removesuffix(' UTC')} {me['host']}"
        self._engine = engine
        self._shown = shown_database
        self._locks = HeldLocks(
            engine,
            "runner's lock",
            CHECK_EVERY_S,
            on_connect=lambda connection: connection.execute(_NAME, {"name": name}),
        )

    def take(self) -> None:
        if self._locks.take(PAPER_RUNNER_SPACE, _KEY):
            return
        with self._engine.connect() as connection:
            holder = connection.execute(_HOLDER, {"space": PAPER_RUNNER_SPACE, "key": _KEY})
            described = _from_application_name(holder.scalar())
        raise Conflict(
            f"database: another `tradewind run` is running on {self._shown} ({described}); "
            "stop it first (several paper runners need `tradewind scale`)"
        )

    def keep(self) -> None:
        if self._locks.still_held():
            return
        self.take()
        log.warning("the runner's lock on %s, lost with its connection, is held again", self._shown)

    def release(self) -> None:
        self._locks.drop()  # closing the session ends the lock and the name with it


def _from_application_name(name: object) -> str:
    """Read `tradewind-run PID DAY TIME HOST` back as the holder's description."""
    parts = str(name or "").removeprefix(_APP_PREFIX).split(" ", 3)
    if len(parts) < 4 or not parts[0].isdigit():
        return "starting up"
    pid, day, clock_time, host = parts
    return f"pid {pid} on {host}, since {day} {clock_time} UTC"


def _me() -> dict[str, str | int]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def _describe(text: bytes) -> str:
    try:
        holder = json.loads(text)
        return f"pid {holder['pid']} on {holder['host']}, since {holder['since']}"
    except (ValueError, KeyError, TypeError):
        return "starting up"  # it holds the lock but has not written who it is yet

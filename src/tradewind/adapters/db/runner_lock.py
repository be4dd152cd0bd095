"""One `tradewind run` per SQLite database: an OS file lock beside the database file.

Two runners on one SQLite file would each tick the bots with a paper venue of their own,
and cancel in the database what the other placed. PostgreSQL runners cooperate instead
(leader lock, slot claims, bot locks), so this lock is for SQLite only.

`flock` belongs to the open file: the kernel drops it when the process exits, however it
exits (SIGKILL included), so a dead runner never leaves it behind. The file's text says
who holds it (pid, host, since) for the message the next one reads; it is never deleted,
since deleting a lock file lets two processes lock two different files.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tradewind.domain.errors import Conflict

LOCK_SUFFIX = ".run.lock"


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
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(me).encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _describe(text: bytes) -> str:
    try:
        holder = json.loads(text)
        return f"pid {holder['pid']} on {holder['host']}, since {holder['since']}"
    except (ValueError, KeyError, TypeError):
        return "starting up"  # it holds the lock but has not written who it is yet

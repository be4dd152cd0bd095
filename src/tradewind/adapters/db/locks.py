"""Bot locks: one tick per bot at a time (ports.BotLock).

On PostgreSQL the lock is a session-level advisory lock held on its own connection until
released, so it spans threads, processes and machines, and a process that dies frees its
locks when its connection drops. Each held lock occupies one pooled connection.

The embedded default (SQLite) is one process: its lock is process-local. Two processes
running bots on the same SQLite file are not supported; use PostgreSQL for that.
"""

from __future__ import annotations

import threading
from typing import ClassVar

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

from tradewind.ports import BotLock


class AdvisoryBotLock:
    """`pg_try_advisory_lock(bot_id)` on a dedicated connection, kept until release."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held: dict[int, Connection | None] = {}  # None: being acquired right now
        self._guard = threading.Lock()

    def try_acquire(self, bot_id: int) -> bool:
        """Take the bot's lock without waiting; False when another tick holds it."""
        with self._guard:
            if bot_id in self._held:
                return False
            self._held[bot_id] = None
        connection: Connection | None = None
        try:
            # Autocommit: no transaction stays open (and no snapshot held) while locked.
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            taken = connection.execute(select(func.pg_try_advisory_lock(bot_id))).scalar_one()
        except BaseException:
            if connection is not None:
                connection.invalidate()
                connection.close()
            self._forget(bot_id)
            raise
        if not taken:
            connection.close()
            self._forget(bot_id)
            return False
        with self._guard:
            self._held[bot_id] = connection
        return True

    def release(self, bot_id: int) -> None:
        """Give the lock back (a no-op when this process does not hold it)."""
        with self._guard:
            connection = self._held.get(bot_id)
            if connection is None:
                return
            del self._held[bot_id]
        try:
            released = connection.execute(select(func.pg_advisory_unlock(bot_id))).scalar_one()
        except DBAPIError:
            released = False  # the connection is gone, and the lock with it
        if not released:
            # Never return a connection to the pool unless it is known to hold no lock.
            connection.invalidate()
        connection.close()

    def _forget(self, bot_id: int) -> None:
        with self._guard:
            self._held.pop(bot_id, None)


class LocalBotLock:
    """A process-local bot lock, shared by every instance with the same scope."""

    _held: ClassVar[dict[str, set[int]]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, scope: str = "default") -> None:
        self._scope = scope

    def try_acquire(self, bot_id: int) -> bool:
        """Take the bot's lock without waiting; False when another tick holds it."""
        with self._guard:
            held = self._held.setdefault(self._scope, set())
            if bot_id in held:
                return False
            held.add(bot_id)
            return True

    def release(self, bot_id: int) -> None:
        """Give the lock back."""
        with self._guard:
            self._held.get(self._scope, set()).discard(bot_id)


def make_bot_lock(engine: Engine) -> BotLock:
    """Return the bot lock that fits the database behind `engine`."""
    if engine.dialect.name == "postgresql":
        return AdvisoryBotLock(engine)
    return LocalBotLock(scope=engine.url.render_as_string(hide_password=True))

"""Bot locks: one tick per bot at a time (ports.BotLock).

On PostgreSQL the lock is a session-level advisory lock held on its own connection until
released, so it spans threads, processes and machines, and a process that dies frees its
locks when its connection drops. Each held lock occupies one pooled connection.

The embedded default (SQLite) is one process: its lock is process-local. Two processes
running bots on the same SQLite file are not supported; use PostgreSQL for that.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import ClassVar

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from tradewind.adapters.db.engine import trusting_recent
from tradewind.ports import BotLock

_LOCK = "SELECT pg_try_advisory_lock(%s)"
_UNLOCK = "SELECT pg_advisory_unlock(%s)"


class AdvisoryBotLock:
    """`pg_try_advisory_lock(bot_id)` on a dedicated connection, kept until release.

    While a thread holds a bot's lock, the tick it runs may do its transactions on that
    same connection (`lent`): one pooled connection per tick instead of one per
    transaction. Lock and unlock run in autocommit, so no transaction (and no snapshot)
    stays open while the lock is held, and the tick's transactions are its own.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held: dict[int, Connection | None] = {}  # None: being acquired right now
        self._guard = threading.Lock()
        self._lent = threading.local()  # .connections: the locks this thread holds

    def try_acquire(self, bot_id: int) -> bool:
        """Take the bot's lock without waiting; False when another tick holds it."""
        with self._guard:
            if bot_id in self._held:
                return False
            self._held[bot_id] = None
        try:
            connection, taken = self._lock(bot_id)
        except BaseException:
            self._forget(bot_id)
            raise
        if not taken:
            connection.close()
            self._forget(bot_id)
            return False
        with self._guard:
            self._held[bot_id] = connection
        self._thread_connections().append(connection)
        return True

    def release(self, bot_id: int) -> None:
        """Give the lock back (a no-op when this process does not hold it)."""
        with self._guard:
            connection = self._held.get(bot_id)
            if connection is None:
                return
            del self._held[bot_id]
        lent = self._thread_connections()
        if connection in lent:
            lent.remove(connection)
        try:
            # A transaction still open here was left by a failure: never unlock inside it.
            released = not connection.in_transaction() and _autocommit(connection, _UNLOCK, bot_id)
        except DBAPIError:
            released = False  # the connection is gone, and the lock with it
        if not released:
            # Never return a connection to the pool unless it is known to hold no lock.
            connection.invalidate()
        connection.close()

    def _lock(self, bot_id: int) -> tuple[Connection, bool]:
        """Take the lock on a pooled connection; one used a moment ago is not pinged first,
        so a dead one shows here, and is replaced by a pinged one."""
        for trusting in (True, False):
            connection: Connection | None = None
            try:
                with trusting_recent() if trusting else nullcontext():
                    connection = self._engine.connect()
                return connection, _autocommit(connection, _LOCK, bot_id)
            except BaseException as e:
                dead = isinstance(e, DBAPIError) and _lost(connection)
                if connection is not None:
                    connection.invalidate()
                    connection.close()
                if not (trusting and dead):
                    raise
        raise AssertionError("unreachable")

    def lent(self) -> Connection | None:
        """Return the connection of the newest lock this thread holds, if any."""
        connections = self._thread_connections()
        return connections[-1] if connections else None

    def _thread_connections(self) -> list[Connection]:
        connections: list[Connection] | None = getattr(self._lent, "connections", None)
        if connections is None:
            connections = self._lent.connections = []
        return connections

    def _forget(self, bot_id: int) -> None:
        with self._guard:
            self._held.pop(bot_id, None)


def _lost(connection: Connection | None) -> bool:
    """Tell whether the driver connection behind `connection` broke or closed."""
    if connection is None or connection.invalidated:
        return True
    driver = connection.connection.dbapi_connection
    return driver is None or bool(driver.closed or driver.broken)


def _autocommit(connection: Connection, statement: str, bot_id: int) -> bool:
    """Run a lock function outside any transaction; return what it says.

    Straight on the driver: it is one round trip twice a tick, and autocommit is a flag of
    the psycopg connection, set and reset without talking to the server.
    """
    driver = connection.connection.driver_connection
    if driver is None:
        raise DBAPIError(statement, (bot_id,), RuntimeError("the connection is closed"))
    try:
        driver.autocommit = True
        try:
            row = driver.execute(statement, (bot_id,)).fetchone()
        finally:
            driver.autocommit = False
    except psycopg.Error as e:
        raise DBAPIError(statement, (bot_id,), e) from e
    return bool(row[0])


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


def lent_connections(lock: BotLock) -> Callable[[], Connection | None] | None:
    """Return where a tick's units of work find the connection its bot lock holds, if any."""
    return lock.lent if isinstance(lock, AdvisoryBotLock) else None

"""Bot locks: one tick per bot at a time (ports.BotLock).

On PostgreSQL the lock is a session-level advisory lock held on its own connection until
released, so it spans threads, processes and machines, and a process that dies frees its
locks when its connection drops. The locks a tick (or a batch of ticks) holds occupy one
pooled connection.

The embedded default (SQLite) is one process: its lock is process-local. Two processes
running bots on the same SQLite file are not supported; use PostgreSQL for that.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any, ClassVar

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from tradewind.adapters.db.engine import trusting_recent
from tradewind.ports import BotLock

_LOCK = "SELECT pg_try_advisory_lock(%s)"
_UNLOCK = "SELECT pg_advisory_unlock(%s)"
_LOCK_MANY = "SELECT k FROM unnest(%s::bigint[]) AS k WHERE pg_try_advisory_lock(k)"
_UNLOCK_MANY = (
    "SELECT coalesce(bool_and(pg_advisory_unlock(k)), true) FROM unnest(%s::bigint[]) AS k"
)


class AdvisoryBotLock:
    """`pg_try_advisory_lock(bot_id)` on a dedicated connection, kept until release.

    While a thread holds a bot's lock, the tick it runs may do its transactions on that
    same connection (`lent`): one pooled connection per tick instead of one per
    transaction. Lock and unlock run in autocommit, so no transaction (and no snapshot)
    stays open while the lock is held, and the tick's transactions are its own. A batch
    of bots locked together (`try_acquire_many`) shares one connection, given back to the
    pool when the last of its locks is released.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held: dict[int, Connection | None] = {}  # None: being acquired right now
        self._bots_on: dict[Connection, set[int]] = {}  # the locks each connection holds
        self._guard = threading.Lock()
        self._lent = threading.local()  # .connections: the locks this thread holds
        self.round_trips = 0  # statements sent, for the figures (they bypass the engine)

    def try_acquire(self, bot_id: int) -> bool:
        """Take the bot's lock without waiting; False when another tick holds it."""
        return self.try_acquire_many([bot_id]) == [bot_id]

    def try_acquire_many(self, bot_ids: Sequence[int]) -> list[int]:
        """Take the locks of the bots no tick holds, in one statement; return their ids."""
        with self._guard:
            wanted = list(dict.fromkeys(b for b in bot_ids if b not in self._held))
            self._held.update(dict.fromkeys(wanted))
        if not wanted:
            return []
        self.round_trips += 1
        try:
            connection, taken = self._lock(wanted)
        except BaseException:
            self._forget(wanted)
            raise
        got = [bot_id for bot_id in wanted if bot_id in taken]
        self._forget([bot_id for bot_id in wanted if bot_id not in taken])
        if not got:
            connection.close()
            return []
        with self._guard:
            self._held.update(dict.fromkeys(got, connection))
            self._bots_on[connection] = set(got)
        self._thread_connections().append(connection)
        return got

    def release(self, bot_id: int) -> None:
        """Give the lock back (a no-op when this process does not hold it)."""
        self.release_many([bot_id])

    def release_many(self, bot_ids: Sequence[int]) -> None:
        """Give back the locks of these bots that this process holds, one statement each
        connection; a connection left holding none goes back to the pool."""
        by_connection: dict[Connection, list[int]] = {}
        emptied: set[Connection] = set()
        with self._guard:
            for bot_id in dict.fromkeys(bot_ids):
                connection = self._held.get(bot_id)
                if connection is None:
                    continue
                del self._held[bot_id]
                by_connection.setdefault(connection, []).append(bot_id)
                held = self._bots_on[connection]
                held.discard(bot_id)
                if not held:
                    del self._bots_on[connection]
                    emptied.add(connection)
        for connection, released_ids in by_connection.items():
            self.round_trips += 1
            try:
                # A transaction still open here was left by a failure: never unlock inside it.
                released = not connection.in_transaction() and _unlock(connection, released_ids)
            except DBAPIError:
                released = False  # the connection is gone, and its locks with it
            if not released:
                # Never return a connection to the pool unless it is known to hold no lock.
                self._drop(connection)
            elif connection in emptied:
                self._give_back(connection)

    def _give_back(self, connection: Connection) -> None:
        lent = self._thread_connections()
        if connection in lent:
            lent.remove(connection)
        connection.close()

    def _drop(self, connection: Connection) -> None:
        """Invalidate a connection whose locks are in doubt; its other locks go with it."""
        with self._guard:
            for bot_id in self._bots_on.pop(connection, set()):
                self._held.pop(bot_id, None)
        connection.invalidate()
        self._give_back(connection)

    def _lock(self, bot_ids: list[int]) -> tuple[Connection, set[int]]:
        """Take the locks on a pooled connection; one used a moment ago is not pinged first,
        so a dead one shows here, and is replaced by a pinged one."""
        for trusting in (True, False):
            connection: Connection | None = None
            try:
                with trusting_recent() if trusting else nullcontext():
                    connection = self._engine.connect()
                return connection, _lock_free(connection, bot_ids)
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

    def _forget(self, bot_ids: list[int]) -> None:
        with self._guard:
            for bot_id in bot_ids:
                self._held.pop(bot_id, None)


def _lost(connection: Connection | None) -> bool:
    """Tell whether the driver connection behind `connection` broke or closed."""
    if connection is None or connection.invalidated:
        return True
    driver = connection.connection.dbapi_connection
    return driver is None or bool(driver.closed or driver.broken)


def _lock_free(connection: Connection, bot_ids: list[int]) -> set[int]:
    """Take the advisory locks of those bots that are free; return their ids."""
    if len(bot_ids) == 1:
        return set(bot_ids) if _ask(connection, _LOCK, bot_ids[0]) else set()
    return {int(row[0]) for row in _driver_rows(connection, _LOCK_MANY, bot_ids)}


def _unlock(connection: Connection, bot_ids: list[int]) -> bool:
    """Release the advisory locks; return whether every one of them was held."""
    if len(bot_ids) == 1:
        return _ask(connection, _UNLOCK, bot_ids[0])
    return _ask(connection, _UNLOCK_MANY, bot_ids)


def _ask(connection: Connection, statement: str, value: object) -> bool:
    return bool(_driver_rows(connection, statement, value)[0][0])


def _driver_rows(connection: Connection, statement: str, value: object) -> list[Any]:
    """Run a statement with one parameter outside any transaction; return its rows.

    Straight on the driver: it is one round trip twice a tick, and autocommit is a flag of
    the psycopg connection, set and reset without talking to the server.
    """
    driver = connection.connection.driver_connection
    if driver is None:
        raise DBAPIError(statement, (value,), RuntimeError("the connection is closed"))
    try:
        driver.autocommit = True
        try:
            rows: list[Any] = driver.execute(statement, (value,)).fetchall()
        finally:
            driver.autocommit = False
    except psycopg.Error as e:
        raise DBAPIError(statement, (value,), e) from e
    return rows


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

    def try_acquire_many(self, bot_ids: Sequence[int]) -> list[int]:
        """Take the locks of the bots no tick holds; return their ids."""
        return [bot_id for bot_id in dict.fromkeys(bot_ids) if self.try_acquire(bot_id)]

    def release_many(self, bot_ids: Sequence[int]) -> None:
        """Give these locks back."""
        for bot_id in bot_ids:
            self.release(bot_id)


def make_bot_lock(engine: Engine) -> BotLock:
    """Return the bot lock that fits the database behind `engine`."""
    if engine.dialect.name == "postgresql":
        return AdvisoryBotLock(engine)
    return LocalBotLock(scope=engine.url.render_as_string(hide_password=True))


def lent_connections(lock: BotLock) -> Callable[[], Connection | None] | None:
    """Return where a tick's units of work find the connection its bot lock holds, if any."""
    return lock.lent if isinstance(lock, AdvisoryBotLock) else None

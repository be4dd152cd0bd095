"""Session advisory locks held on a PostgreSQL connection of their own.

Three kinds of holder need the same thing: the leading scheduler or feeder (`leader`), the
owners of user data streams (`stream_owners`) and the one paper runner (`runner_lock`).
A session lock ends with its session, so a process that dies or loses its connection
loses every lock with it and another process can take them; that is the point. It also
means a holder must look at its connection now and then to know it still holds them; in
the moment between losing it and noticing, two processes may both act, which is why what
they guard must be safe to do twice.

Keys are two int4 numbers, the first a negative "space" per kind of holder, apart from
the bot locks (one bigint key) and the slot claims (bot id >= 1, slot).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

LEADER_SPACE = -1  # the scheduler (key 1) and the kline feeder
PAPER_RUNNER_SPACE = -2  # the one paper `tradewind run` on a database (key 1)
STREAM_OWNER_SPACE = -3  # one user data stream per account and market

_TAKE = text("SELECT pg_try_advisory_lock(:space, :key)")
_GIVE = text("SELECT pg_advisory_unlock(:space, :key)")


class HeldLocks:
    """Advisory locks of one process on one AUTOCOMMIT connection (see the module).

    The connection is opened by the first `take` and closed, never pooled, when the last
    lock is given up or the connection fails: closing the session is what frees its locks
    (and any session setting `on_connect` made) for certain.
    """

    def __init__(
        self,
        engine: Engine,
        what: str,
        check_every_s: float,
        on_connect: Callable[[Connection], object] | None = None,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError(f"{what} needs PostgreSQL")
        self._engine = engine
        self._what = what
        self._check_every_s = check_every_s
        self._on_connect = on_connect
        self._connection: Connection | None = None
        self._checked = 0.0
        self.held: set[tuple[int, int]] = set()

    def still_held(self) -> bool:
        """Whether the connection, and so every lock held, still lives; looked at once
        every `check_every_s`. False (with everything dropped) once it is gone."""
        if self._connection is None:
            return False
        if time.monotonic() - self._checked < self._check_every_s:
            return True
        try:
            self._connection.exec_driver_sql("SELECT 1")
        except DBAPIError as e:
            log.warning("lost the database connection holding the %s: %s", self._what, e.orig)
            self.drop()
            return False
        self._checked = time.monotonic()
        return True

    def take(self, space: int, key: int) -> bool:
        """Take the lock if no other session holds it; True when held. The driver's
        error when the database cannot be reached (the connection is dropped first)."""
        if (space, key) in self.held:
            return True
        try:
            connection = self._connect()
            taken = bool(connection.execute(_TAKE, {"space": space, "key": key}).scalar())
        except DBAPIError:
            self.drop()
            raise
        if taken:
            self.held.add((space, key))
        elif not self.held:
            self.drop()  # holding nothing: no connection is kept open for nothing
        return taken

    def give(self, space: int, key: int) -> None:
        """Give the lock up (a lock not held is ignored)."""
        if (space, key) not in self.held or self._connection is None:
            return
        self.held.discard((space, key))
        if not self.held:
            self.drop()
            return
        try:
            self._connection.execute(_GIVE, {"space": space, "key": key})
        except DBAPIError:
            self.drop()

    def drop(self) -> None:
        """Give up every lock by closing the session."""
        if self._connection is not None:
            self._connection.invalidate()
            self._connection.close()
        self._connection = None
        self.held.clear()

    def _connect(self) -> Connection:
        if self._connection is None:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                if self._on_connect is not None:
                    self._on_connect(connection)
            except BaseException:
                connection.invalidate()
                connection.close()
                raise
            self._connection, self._checked = connection, time.monotonic()
        return self._connection

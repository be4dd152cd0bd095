"""One leader among processes (the scheduler): a session advisory lock on PostgreSQL.

The lock lives on a connection of its own for as long as the process leads. A process
that dies, or loses its connection, loses the lock with it, and another one can lead.
Leaders check their connection every few seconds; in the moment between losing it and
noticing, two may both act, which is why what they do must be safe to do twice.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# Two int4 keys, the first negative: apart from the bot locks (one bigint key) and the
# slot claims (bot id >= 1, slot).
_TAKE = text("SELECT pg_try_advisory_lock(-1, :key)")
_GIVE = text("SELECT pg_advisory_unlock(-1, :key)")
CHECK_EVERY_S = 5.0


class LeaderLock:
    """Whether this process leads; `leads()` takes the lock when free and keeps it."""

    def __init__(self, engine: Engine, key: int = 1) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("a leader lock needs PostgreSQL")
        self._engine = engine
        self._key = key
        self._connection: Connection | None = None
        self._checked = 0.0

    def leads(self) -> bool:
        """Return whether this process holds the lock now, taking it if it is free."""
        if self._connection is not None:
            if time.monotonic() - self._checked < CHECK_EVERY_S:
                return True
            try:
                self._connection.exec_driver_sql("SELECT 1")
                self._checked = time.monotonic()
                return True
            except DBAPIError as e:
                log.warning("lost the database connection that held the leader lock: %s", e)
                self._drop()
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as e:
            log.warning("cannot reach the database to take the leader lock: %s", e.orig)
            return False
        try:
            taken = bool(connection.execute(_TAKE, {"key": self._key}).scalar())
        except DBAPIError as e:
            log.warning("cannot take the leader lock: %s", e.orig)
            connection.invalidate()
            connection.close()
            return False
        if not taken:
            connection.close()
            return False
        self._connection, self._checked = connection, time.monotonic()
        return True

    def release(self) -> None:
        """Give up leading."""
        if self._connection is None:
            return
        try:
            self._connection.execute(_GIVE, {"key": self._key})
            self._connection.close()
        except DBAPIError:
            self._drop()
        self._connection = None

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.invalidate()
            self._connection.close()
        self._connection = None

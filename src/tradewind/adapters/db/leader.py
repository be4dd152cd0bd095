"""One leader among processes (the scheduler, the kline feeder): a session advisory lock
on PostgreSQL, held on a connection of its own for as long as the process leads (see
`held_locks`: a leader that dies or loses its connection loses the lead with it)."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from tradewind.adapters.db.held_locks import LEADER_SPACE, HeldLocks

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0


class LeaderLock:
    """Whether this process leads; `leads()` takes the lock when free and keeps it."""

    def __init__(self, engine: Engine, key: int = 1) -> None:
        self._locks = HeldLocks(engine, "leader lock", CHECK_EVERY_S)
        self._key = key

    def leads(self) -> bool:
        """Return whether this process holds the lock now, taking it if it is free."""
        if self._locks.still_held():
            return True
        try:
            return self._locks.take(LEADER_SPACE, self._key)
        except DBAPIError as e:
            log.warning("cannot take the leader lock: %s", e.orig)
            return False

    def release(self) -> None:
        """Give up leading."""
        self._locks.drop()

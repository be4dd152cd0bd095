"""Who owns which account's user data stream: session advisory locks on one connection.

One lock per account and market, `(-3, key)` (apart from the leader locks, `(-1, key)`,
the paper runner's `(-2, 1)`, the bot locks and the slot claims), all held on one
connection of their own: a process that dies, or loses that connection, loses every
account with it, and a process standing by takes them. As with the leader lock, a process
checks its connection every few seconds; in the moment between losing it and noticing, two
may both follow an account's stream, which is harmless (each writes what Binance said, and
a session of its own).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError

from tradewind.adapters.db.tables import AccountRow, BotConfigRow
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.types import PositionType

log = logging.getLogger(__name__)

_SPACE = -3  # a key space of its own: -1 leads, -2 is the paper runner's place
_TAKE = text("SELECT pg_try_advisory_lock(:space, :key)")
_GIVE = text("SELECT pg_advisory_unlock(:space, :key)")
CHECK_EVERY_S = 5.0


def accounts_with_running_bots(engine: Engine, market: PositionType) -> list[int]:
    """The Binance accounts with an active bot trading `market`, by id."""
    query = (
        select(AccountRow.id)
        .distinct()
        .join(BotConfigRow, BotConfigRow.account_id == AccountRow.id)
        .where(
            AccountRow.kind == ExchangeKind.BINANCE.value,
            BotConfigRow.active.is_(True),
            BotConfigRow.deleted_at.is_(None),
            BotConfigRow.position_type == market.value,
        )
        .order_by(AccountRow.id)
    )
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


class StreamOwnership:
    """The accounts whose streams this process owns (see the module)."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("owning user data streams needs PostgreSQL")
        self._engine = engine
        self._connection: Connection | None = None
        self._checked = 0.0
        self.owned: set[int] = set()

    def alive(self) -> bool:
        """Check the locks' connection (every few seconds); False: every lock is lost."""
        if self._connection is None:
            return True  # nothing held, nothing lost
        if time.monotonic() - self._checked < CHECK_EVERY_S:
            return True
        try:
            self._connection.exec_driver_sql("SELECT 1")
            self._checked = time.monotonic()
            return True
        except DBAPIError as e:
            log.warning("lost the database connection holding the stream locks: %s", e)
            self._drop()
            return False

    def take(self, account_id: int) -> bool:
        """Own the account's stream if no other process does; True when owned."""
        if account_id in self.owned:
            return True
        try:
            if self._connection is None:
                self._connection = self._engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
                self._checked = time.monotonic()
            taken = bool(
                self._connection.execute(_TAKE, {"space": _SPACE, "key": account_id}).scalar()
            )
        except DBAPIError as e:
            log.warning("cannot take the stream lock of account %d: %s", account_id, e.orig)
            self._drop()
            return False
        if taken:
            self.owned.add(account_id)
        return taken

    def give(self, account_id: int) -> None:
        """Stop owning the account's stream."""
        if account_id not in self.owned or self._connection is None:
            return
        self.owned.discard(account_id)
        try:
            self._connection.execute(_GIVE, {"space": _SPACE, "key": account_id})
        except DBAPIError:
            self._drop()

    def release(self) -> None:
        """Give up every account."""
        if self._connection is not None:
            try:
                # Pooled, the connection outlives this close: its locks must go first.
                self._connection.exec_driver_sql("SELECT pg_advisory_unlock_all()")
                self._connection.close()
            except DBAPIError:
                self._drop()
        self._connection = None
        self.owned.clear()

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.invalidate()
            self._connection.close()
        self._connection = None
        self.owned.clear()


class SoleOwnership:
    """Every account's stream, with no lock: for a process known to be the only one (the
    one `tradewind run` a SQLite database allows)."""

    def __init__(self) -> None:
        self.owned: set[int] = set()

    def alive(self) -> bool:
        return True

    def take(self, account_id: int) -> bool:
        self.owned.add(account_id)
        return True

    def give(self, account_id: int) -> None:
        self.owned.discard(account_id)

    def release(self) -> None:
        self.owned.clear()

"""Who owns which account's user data stream: session advisory locks on one connection.

One lock per account and market, in the stream owners' key space (`held_locks`), all held
on one connection of their own: a process that dies, or loses that connection, loses every
account with it, and a process standing by takes them. As with the leader lock, a process
checks its connection every few seconds; in the moment between losing it and noticing, two
may both follow an account's stream, which is harmless (each writes what Binance said, and
a session of its own)."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError

from tradewind.adapters.db.held_locks import STREAM_OWNER_SPACE, HeldLocks
from tradewind.adapters.db.tables import AccountRow, BotConfigRow
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.types import PositionType

log = logging.getLogger(__name__)

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
        self._locks = HeldLocks(engine, "stream locks", CHECK_EVERY_S)
        self.owned: set[int] = set()
        self._lost = False  # the locks went with a failed call: `alive` must say so first

    def alive(self) -> bool:
        """Check the locks' connection (every few seconds); False: every lock is lost, and
        what this process followed must be let go before anything is taken again."""
        if not self._lost and (not self.owned or self._locks.still_held()):
            return True  # nothing held is nothing lost
        self.owned.clear()
        self._lost = False
        return False

    def take(self, account_id: int) -> bool:
        """Own the account's stream if no other process does; True when owned."""
        if self._lost:
            return False
        try:
            taken = self._locks.take(STREAM_OWNER_SPACE, account_id)
        except DBAPIError as e:
            log.warning("cannot take the stream lock of account %d: %s", account_id, e.orig)
            self._lost = bool(self.owned)  # the connection took every lock with it
            return False
        if taken:
            self.owned.add(account_id)
        return taken

    def give(self, account_id: int) -> None:
        """Stop owning the account's stream."""
        if account_id in self.owned:
            self.owned.discard(account_id)
            self._locks.give(STREAM_OWNER_SPACE, account_id)

    def release(self) -> None:
        """Give up every account."""
        self._locks.drop()
        self.owned.clear()
        self._lost = False


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

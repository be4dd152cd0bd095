"""`tradewind user-streams`: each Binance account's user data stream, owned by one process.

The process looks every `refresh_s` at which Binance accounts have running spot bots and
takes the stream of each account no other process owns (a PostgreSQL advisory lock per
account, `StreamOwnership`); a second process stands by for the accounts the first owns
and takes them when the first dies (its locks go with its database connection). For each
account owned, a `SpotUserStream` keeps a listen key alive and records every
`executionReport` into Redis (`OrderUpdates`), where the ticks of every worker and of
`tradewind run` read their resting orders instead of asking Binance each slot. An account
no running bot trades any more is let go.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from tradewind.adapters.db.stream_owners import (
    SoleOwnership,
    StreamOwnership,
    accounts_with_running_bots,
)
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.adapters.exchange.binance.order_updates import OrderUpdates
from tradewind.adapters.exchange.binance.provider import BinanceExchanges
from tradewind.adapters.exchange.binance.user_stream import SpotUserStream
from tradewind.adapters.shared.redis_store import Names, check_redis, connect_redis
from tradewind.bootstrap.feeder import stream_urls
from tradewind.bootstrap.runtime import open_database, require_postgresql
from tradewind.bootstrap.venues import binance_options
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType
from tradewind.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class _Following:
    """One account's stream running in a thread, and how to stop it."""

    stream: SpotUserStream
    stop: threading.Event
    thread: threading.Thread

    def end(self) -> None:
        self.stop.set()
        self.thread.join()


class UserStreamsProcess:
    """The user data streams this process owns (see the module)."""

    def __init__(self, settings: Settings, refresh_s: float = 15.0, embedded: bool = False) -> None:
        if not embedded:  # `tradewind run` beside it is then the only process: SQLite will do
            require_postgresql(settings)
        client = connect_redis(settings.redis_url)
        check_redis(client, settings.redis_url)
        self._engine, self._sessions, self._secrets = open_database(settings)
        self.updates = OrderUpdates(client, Names(settings.namespace))
        self._binance = BinanceExchanges(binance_options(settings))
        self._url = stream_urls(settings)[PositionType.SPOT]
        postgresql = self._engine.dialect.name == "postgresql"
        self._ownership: StreamOwnership | SoleOwnership = (
            StreamOwnership(self._engine) if postgresql else SoleOwnership()
        )
        self._refresh_s = refresh_s
        self.following: dict[int, _Following] = {}
        self._standing_by: set[int] = set()  # accounts another process owns, told once

    def run(self, stop: threading.Event) -> None:
        """Own (or stand by for) the accounts' streams until `stop` is set."""
        try:
            while not stop.is_set():
                self.look()
                stop.wait(self._refresh_s)
        finally:
            for account_id in list(self.following):
                self._let_go(account_id)
            self._ownership.release()
            self._engine.dispose()

    def look(self) -> None:
        """Take the streams of accounts newly trading, let go of those no longer."""
        if not self._ownership.alive():
            for account_id in list(self.following):  # the locks are gone: so is ownership
                self._let_go(account_id)
        try:
            wanted = set(accounts_with_running_bots(self._engine, PositionType.SPOT))
        except SQLAlchemyError as e:  # the database away: keep what runs, look again later
            log.warning("cannot read which accounts trade: %s", e)
            return
        for account_id in sorted(set(self.following) - wanted):
            self._let_go(account_id)
            self._ownership.give(account_id)
        for account_id in sorted(wanted - set(self.following)):
            if self._ownership.take(account_id):
                self._standing_by.discard(account_id)
                self._follow(account_id)
            elif account_id not in self._standing_by:
                self._standing_by.add(account_id)
                log.info("user stream of account %d: standing by, another owns it", account_id)

    def _follow(self, account_id: int) -> None:
        try:
            with SqlManageUnitOfWork(self._sessions, self._secrets) as uow:
                access = uow.accounts.access(account_id)
        except SQLAlchemyError as e:
            log.warning("account %d: cannot read its keys: %s", account_id, e)
            access = None
        if access is None:
            self._ownership.give(account_id)
            return
        try:
            exchange = self._binance.for_account(access)
        except ConfigurationError as e:
            log.warning("account %d: no user stream: %s", account_id, e)
            self._ownership.give(account_id)
            return
        stream = SpotUserStream(exchange.transport, account_id, self._url, self.updates)
        stop = threading.Event()
        thread = threading.Thread(
            target=stream.run, args=(stop,), name=f"user-stream-{account_id}", daemon=True
        )
        thread.start()
        self.following[account_id] = _Following(stream, stop, thread)
        log.info("user stream of account %d: owned here", account_id)

    def _let_go(self, account_id: int) -> None:
        following = self.following.pop(account_id, None)
        if following is not None:
            following.end()
            log.info("user stream of account %d: let go", account_id)

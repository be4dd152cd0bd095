"""`tradewind user-streams`: each Binance account's user data streams, owned by one process.

The process looks every `refresh_s` at which Binance accounts have running bots, on which
market (spot, USDⓈ-M), and takes each such stream no other process owns (a PostgreSQL
advisory lock per account and market, `StreamOwnership`); a second process stands by and
takes them when the first dies (its locks go with its database connection). The streams
owned are followed on one combined-stream connection per market for up to
`ACCOUNTS_PER_CONNECTION` accounts (`CombinedUserStreams`: a listen key per account, kept
alive, each account's order events recorded into Redis by `OrderUpdates`), where the ticks
of every worker and of `tradewind run` read their resting exits instead of asking Binance
each slot. A stream no running bot needs any more is let go (unsubscribed; a connection
left with no account is closed).
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
from tradewind.adapters.exchange.binance.combined_user_streams import (
    ACCOUNTS_PER_CONNECTION,
    CombinedUserStreams,
)
from tradewind.adapters.exchange.binance.order_updates import OrderUpdates
from tradewind.adapters.exchange.binance.provider import BinanceExchanges
from tradewind.adapters.shared.redis_store import Names, check_redis, connect_redis
from tradewind.bootstrap.feeder import stream_urls
from tradewind.bootstrap.runtime import open_database, require_postgresql
from tradewind.bootstrap.venues import binance_options
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType
from tradewind.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class _Connection:
    """One connection's accounts, followed in a thread, and how to stop it."""

    streams: CombinedUserStreams
    stop: threading.Event
    thread: threading.Thread

    def end(self) -> None:
        self.stop.set()
        if self.thread.ident is not None:
            self.thread.join()


Stream = tuple[int, PositionType]  # an account's stream on one market


def lock_key(stream: Stream) -> int:
    """The advisory lock key of an account's stream on a market."""
    account_id, market = stream
    return account_id * 2 + (market is PositionType.FUTURES)


class UserStreamsProcess:
    """The user data streams this process owns (see the module)."""

    def __init__(self, settings: Settings, refresh_s: float = 15.0, embedded: bool = False) -> None:
        if not embedded:  # `tradewind run` beside it is then the only process: SQLite will do
            require_postgresql(settings)
        client = connect_redis(settings.redis_url)
        check_redis(client, settings.redis_url)
        self._engine, self._sessions, self._secrets = open_database(settings)
        names = Names(settings.namespace)
        self.updates = {m: OrderUpdates(client, names, m) for m in PositionType}
        self._binance = BinanceExchanges(binance_options(settings))
        self._urls = stream_urls(settings)
        postgresql = self._engine.dialect.name == "postgresql"
        self._ownership: StreamOwnership | SoleOwnership = (
            StreamOwnership(self._engine) if postgresql else SoleOwnership()
        )
        self._refresh_s = refresh_s
        self.following: set[Stream] = set()
        self.connections: dict[PositionType, list[_Connection]] = {m: [] for m in PositionType}
        self._standing_by: set[Stream] = set()  # streams another process owns, told once

    def run(self, stop: threading.Event) -> None:
        """Own (or stand by for) the accounts' streams until `stop` is set."""
        try:
            while not stop.is_set():
                self.look()
                stop.wait(self._refresh_s)
        finally:
            for stream in list(self.following):
                self._let_go(stream)
            for connections in self.connections.values():
                for connection in connections:
                    connection.end()
            self._ownership.release()
            self._engine.dispose()

    def look(self) -> None:
        """Take the streams of accounts newly trading, let go of those no longer."""
        if not self._ownership.alive():
            for stream in list(self.following):  # the locks are gone: so is ownership
                self._let_go(stream)
        try:
            wanted = {
                (account_id, market)
                for market in PositionType
                for account_id in accounts_with_running_bots(self._engine, market)
            }
        except SQLAlchemyError as e:  # the database away: keep what runs, look again later
            log.warning("cannot read which accounts trade: %s", e)
            return
        for stream in sorted(set(self.following) - wanted):
            self._let_go(stream)
            self._ownership.give(lock_key(stream))
        for stream in sorted(wanted - set(self.following)):
            if self._ownership.take(lock_key(stream)):
                self._standing_by.discard(stream)
                self._follow(stream)
            elif stream not in self._standing_by:
                self._standing_by.add(stream)
                log.info("%s: standing by, another owns it", _name(stream))

    def _follow(self, stream: Stream) -> None:
        account_id, market = stream
        try:
            with SqlManageUnitOfWork(self._sessions, self._secrets) as uow:
                access = uow.accounts.access(account_id)
        except SQLAlchemyError as e:
            log.warning("account %d: cannot read its keys: %s", account_id, e)
            access = None
        if access is None:
            self._ownership.give(lock_key(stream))
            return
        try:
            exchange = self._binance.for_account(access)
        except ConfigurationError as e:
            log.warning("%s: not followed: %s", _name(stream), e)
            self._ownership.give(lock_key(stream))
            return
        connection = self._connection_with_room(market)
        connection.streams.add(account_id, exchange.transport)
        if connection.thread.ident is None:  # a new connection: it opens with this account
            connection.thread.start()
        self.following.add(stream)
        log.info("%s: owned here", _name(stream))

    def _connection_with_room(self, market: PositionType) -> _Connection:
        for connection in self.connections[market]:
            if len(connection.streams.accounts()) < ACCOUNTS_PER_CONNECTION:
                return connection
        streams = CombinedUserStreams(self._urls[market], self.updates[market])
        stop = threading.Event()
        count = len(self.connections[market])
        thread = threading.Thread(
            target=streams.run, args=(stop,), name=f"user-streams-{market.value}-{count}",
            daemon=True,
        )  # fmt: skip
        connection = _Connection(streams, stop, thread)
        self.connections[market].append(connection)
        return connection

    def _let_go(self, stream: Stream) -> None:
        if stream not in self.following:
            return
        self.following.discard(stream)
        account_id, market = stream
        for connection in list(self.connections[market]):
            if account_id in connection.streams.accounts():
                connection.streams.remove(account_id)
                if not connection.streams.accounts():  # the last one: close it
                    self.connections[market].remove(connection)
                    connection.end()
        log.info("%s: let go", _name(stream))


def _name(stream: Stream) -> str:
    account_id, market = stream
    return f"{market.value} user stream of account {account_id}"

"""Units of work over one SQLAlchemy session: roll back unless `commit()` is called."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from tradewind.adapters.db import changes
from tradewind.adapters.db.bots import SqlBotRepository
from tradewind.adapters.db.engine import trusting_recent
from tradewind.adapters.db.identity import (
    SqlAttemptRepository,
    SqlLoginRepository,
    SqlRecoveryCodeRepository,
    SqlSessionRepository,
    SqlTokenRepository,
    SqlTwoFactorRepository,
)
from tradewind.adapters.db.notify_outbox import (
    SqlDeliveryRepository,
    SqlNotifyOutbox,
    SqlSummaryRepository,
)
from tradewind.adapters.db.notify_settings import SqlChannelRepository, SqlRouteRepository
from tradewind.adapters.db.owners import SqlAccountRepository, SqlUserRepository
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.trading import (
    SqlDailyCounterRepository,
    SqlOrderRepository,
    SqlOutboxRepository,
    SqlSlotRepository,
    SqlTradeRepository,
)
from tradewind.domain.errors import ConfigurationError
from tradewind.ports import (
    AccountCatalog,
    AccountRepository,
    AttemptRepository,
    BotCatalog,
    BotRepository,
    ChannelRepository,
    CounterHistory,
    DailyCounterRepository,
    DeliveryRepository,
    LoginRepository,
    NotifyOutbox,
    OrderHistory,
    OrderRepository,
    OutboxRepository,
    RecoveryCodeRepository,
    RouteRepository,
    SessionRepository,
    SlotRepository,
    SummaryRepository,
    TokenRepository,
    TradeHistory,
    TradeRepository,
    TwoFactorRepository,
    UserRepository,
)


def _no_master_key() -> list[bytes]:
    raise ConfigurationError("no master key was given to decrypt account secrets")


class _SqlTransaction:
    """A session opened on entry; closed on exit, after a rollback of anything uncommitted."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        secrets: SecretBox | None = None,
        lent: Callable[[], Connection | None] | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self._read_only = read_only  # on a reading session factory: see `commit`
        self._secrets = secrets or SecretBox(_no_master_key, "no master key")
        self._lent = lent
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._session

    def _open(self) -> Session:
        # Inside a tick holding its bot lock, work on the lock's connection (see
        # AdvisoryBotLock.lent) unless a transaction is open on it already.
        connection = None if self._lent is None else self._lent()
        if connection is not None and not connection.in_transaction():
            self._session = self._session_factory(bind=connection)
        else:
            self._session = self._session_factory()
        if self._read_only:
            # A read fails outright on a connection that died since its last use a moment
            # ago (the pool then drops every older one), so skip that connection's ping:
            # one round trip less per read. See `trusting_recent`.
            with trusting_recent():
                self._session.connection()
        return self._session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()  # a no-op after commit(); undoes everything otherwise
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        """Make every change of this unit of work durable, all at once (with the owners'
        change markers: see `changes`)."""
        if self._read_only:
            # Its statements may each be a transaction of their own: never write with it.
            raise RuntimeError("a unit of work that only reads cannot commit")
        changes.publish(self.session)
        self.session.commit()

    def rollback(self) -> None:
        """Drop every change since the last commit."""
        changes.forget(self.session)
        self.session.rollback()


class SqlUnitOfWork(_SqlTransaction):
    """The tick's unit of work (ports.UnitOfWork) on SQLite or PostgreSQL."""

    bots: BotRepository
    orders: OrderRepository
    trades: TradeRepository
    counters: DailyCounterRepository
    slots: SlotRepository
    outbox: OutboxRepository
    accounts: AccountRepository

    def __enter__(self) -> Self:
        session = self._open()
        self.bots = SqlBotRepository(session, self._secrets)
        self.orders = SqlOrderRepository(session)
        self.trades = SqlTradeRepository(session)
        self.counters = SqlDailyCounterRepository(session)
        self.slots = SqlSlotRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.accounts = SqlAccountRepository(session, self._secrets)
        return self


class SqlManageUnitOfWork(_SqlTransaction):
    """The management commands' unit of work (ports.ManageUnitOfWork)."""

    users: UserRepository
    accounts: AccountCatalog
    bots: BotCatalog
    orders: OrderHistory
    trades: TradeHistory
    counters: CounterHistory

    def __enter__(self) -> Self:
        session = self._open()
        self.users = SqlUserRepository(session)
        self.accounts = SqlAccountRepository(session, self._secrets)
        self.bots = SqlBotRepository(session, self._secrets)
        self.orders = SqlOrderRepository(session)
        self.trades = SqlTradeRepository(session)
        self.counters = SqlDailyCounterRepository(session)
        return self


class SqlNotifyUnitOfWork(_SqlTransaction):
    """Notification settings, routing and delivery (ports.NotifyUnitOfWork)."""

    users: UserRepository
    bots: BotCatalog
    channels: ChannelRepository
    routes: RouteRepository
    outbox: NotifyOutbox
    deliveries: DeliveryRepository
    summaries: SummaryRepository

    def __enter__(self) -> Self:
        session = self._open()
        self.users = SqlUserRepository(session)
        self.bots = SqlBotRepository(session, self._secrets)
        self.channels = SqlChannelRepository(session, self._secrets)
        self.routes = SqlRouteRepository(session)
        self.outbox = SqlNotifyOutbox(session)
        self.deliveries = SqlDeliveryRepository(session, self._secrets)
        self.summaries = SqlSummaryRepository(session)
        return self


class SqlIdentityUnitOfWork(_SqlTransaction):
    """Signing in: users, logins, sessions, tokens, failed attempts (ports.IdentityUnitOfWork)."""

    users: UserRepository
    logins: LoginRepository
    sessions: SessionRepository
    tokens: TokenRepository
    attempts: AttemptRepository
    two_factor: TwoFactorRepository
    recovery_codes: RecoveryCodeRepository

    def __enter__(self) -> Self:
        session = self._open()
        self.users = SqlUserRepository(session)
        self.logins = SqlLoginRepository(session)
        self.sessions = SqlSessionRepository(session)
        self.tokens = SqlTokenRepository(session)
        self.attempts = SqlAttemptRepository(session)
        self.two_factor = SqlTwoFactorRepository(session, self._secrets)
        self.recovery_codes = SqlRecoveryCodeRepository(session)
        return self

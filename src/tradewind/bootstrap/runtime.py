"""Wire real adapters into the services from settings (ARCHITECTURE.md §1).

Paper trading and live differ only in the exchange provider wired here: a paper account
trades on the in-process simulated venue (`tradewind run`), or, in the scale-out workers,
on simulated venues shared through Redis; a Binance account through the Binance adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tradewind.adapters.clocks import SystemClock
from tradewind.adapters.db.engine import ensure_migrated, make_engine, session_factory
from tradewind.adapters.db.locks import AdvisoryBotLock, lent_connections, make_bot_lock
from tradewind.adapters.db.round_trips import RoundTrips
from tradewind.adapters.db.secrets import SecretBox, check_master_key
from tradewind.adapters.db.unit_of_work import (
    SqlManageUnitOfWork,
    SqlNotifyUnitOfWork,
    SqlUnitOfWork,
)
from tradewind.adapters.exchange.binance.provider import BinanceExchanges
from tradewind.adapters.exchange.simulated import PriceFeed, SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.stream_book import StreamCandleBook, StreamMarketData
from tradewind.adapters.notify.email import EmailSender, SmtpServer
from tradewind.adapters.notify.webhook import WebhookSender
from tradewind.adapters.shared.candles import SharedCandles
from tradewind.adapters.shared.paper import SharedPaperVenues
from tradewind.adapters.shared.redis_store import Names
from tradewind.bootstrap.venues import (
    AccountExchanges,
    binance_options,
    venue_providers,
)
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.notifications import ChannelKind
from tradewind.domain.webhook_targets import parse_networks
from tradewind.ports import (
    ChannelSender,
    Clock,
    ExchangeProvider,
    MarketData,
    UnitOfWork,
)
from tradewind.services.notify import BackgroundDispatcher, NotifyDeps, RetryPolicy
from tradewind.services.notify.dispatch import SEND_BATCH
from tradewind.services.tick import TickDeps
from tradewind.settings import Settings


@dataclass(slots=True)
class PaperRuntime:
    """Everything `tradewind run` and the demo need, built once per process."""

    engine: Engine
    deps: TickDeps
    venue: SimulatedVenue
    market_data: MarketData
    secrets: SecretBox
    notify: NotifyDeps
    poll_seconds: float = 1.0

    def manage_uow(self) -> SqlManageUnitOfWork:
        return SqlManageUnitOfWork(session_factory(self.engine), self.secrets)

    def dispatcher(self, days: Clock) -> BackgroundDispatcher:
        """Return the in-process notification dispatcher (not started), summarizing `days`."""
        return BackgroundDispatcher(self.notify, self.poll_seconds, days)

    def close(self) -> None:
        for sender in self.notify.senders.values():
            if isinstance(sender, WebhookSender):
                sender.close()
        self.engine.dispose()


def open_database(settings: Settings) -> tuple[Engine, sessionmaker[Session], SecretBox]:
    """Open the configured database, refusing one not migrated or a wrong master key."""
    engine = make_engine(settings.database_url)
    try:
        ensure_migrated(engine)
        sessions = session_factory(engine)
        secrets = SecretBox.from_settings(settings)
        check_master_key(sessions, secrets)
    except BaseException:
        engine.dispose()
        raise
    return engine, sessions, secrets


@dataclass(slots=True)
class NotifyRuntime:
    """A dispatcher process's database and senders (a Celery worker's, say)."""

    engine: Engine
    deps: NotifyDeps

    def close(self) -> None:
        for sender in self.deps.senders.values():
            if isinstance(sender, WebhookSender):
                sender.close()
        self.engine.dispose()


def notify_runtime(settings: Settings) -> NotifyRuntime:
    """Open the database (refusing an unmigrated one or a wrong master key) for delivering.

    Then `deliver_due(runtime.deps)` is one pass, and `summarize_yesterday(runtime.deps.uow,
    runtime.deps.clock)` writes the daily summaries.
    """
    engine, _sessions, secrets = open_database(settings)
    try:
        return NotifyRuntime(engine, notify_deps(settings, engine, secrets))
    except BaseException:
        engine.dispose()
        raise


def notify_deps(
    settings: Settings, engine: Engine, secrets: SecretBox, clock: Clock | None = None
) -> NotifyDeps:
    """Wire the dispatcher: the database, the webhook and email senders, the retry policy.

    `clock` is the wall clock by default: retry times and webhook timestamps are real.
    """
    wall = clock or SystemClock()
    sessions = session_factory(engine)
    smtp = None
    if settings.smtp_host.strip():
        smtp = SmtpServer(
            host=settings.smtp_host.strip(),
            port=settings.smtp_port,
            security=settings.smtp_security,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            ca_file=settings.smtp_ca_file,
            timeout=settings.smtp_timeout_seconds,
        )
    senders: dict[ChannelKind, ChannelSender] = {
        ChannelKind.WEBHOOK: WebhookSender(
            wall,
            timeout=settings.webhook_timeout_seconds,
            allowed=parse_networks(settings.webhook_allow_networks),
        ),
        ChannelKind.EMAIL: EmailSender(smtp),
    }
    # One try may take a few timeouts (connect, TLS, the answer); a claimed batch holds
    # its deliveries for all of its tries and a margin.
    per_try = 3 * max(settings.webhook_timeout_seconds, settings.smtp_timeout_seconds)
    policy = RetryPolicy(
        max_attempts=settings.notify_max_attempts,
        backoff_seconds=settings.notify_backoff_seconds,
        backoff_cap_seconds=settings.notify_backoff_cap_seconds,
        lease_seconds=int(SEND_BATCH * per_try) + 30,
    )
    return NotifyDeps(
        uow=lambda: SqlNotifyUnitOfWork(sessions, secrets),
        senders=senders,
        clock=wall,
        policy=policy,
    )


def paper_runtime(
    settings: Settings,
    market_data: ReplayMarketData | CandleSource,
    clock: Clock,
    *,
    seed: int = 0,
    venue_state: Path | None = None,
    bot_market_data: MarketData | None = None,
    binance: BinanceExchanges | None = None,
    market_end: int | None = None,
) -> PaperRuntime:
    """Open the database (refusing an unmigrated one or a wrong master key) and wire ticks.

    The paper venue moves on `market_data`; the bots decide on `bot_market_data` (the
    same by default; Binance klines when they trade on Binance). A replay passes its data's
    end as `market_end`: the venue fills nothing after it (see `MarketOrders`).
    """
    engine, sessions, secrets = open_database(settings)
    venue = SimulatedVenue(
        market_data, clock, seed=seed, state_path=venue_state, market_end=market_end
    )
    lock = make_bot_lock(engine)
    lent = lent_connections(lock)  # a tick's transactions run on its lock's connection

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(sessions, secrets, lent)

    providers = venue_providers(settings, venue, seed=seed)
    if binance is not None:
        providers[ExchangeKind.BINANCE] = binance  # the one whose market data the bots use
    decided_on = bot_market_data or market_data
    deps = TickDeps(
        uow=uow,
        exchanges=AccountExchanges(providers),
        market_data=decided_on,
        lock=lock,
        clock=clock,
    )
    try:
        notify = notify_deps(settings, engine, secrets)
    except BaseException:
        engine.dispose()
        raise
    return PaperRuntime(
        engine, deps, venue, decided_on, secrets, notify, settings.notify_poll_seconds
    )


class CandleSource(MarketData, PriceFeed, Protocol):
    """Candles for the bots' decisions and the 1m candles the paper venues move on."""


@dataclass(slots=True)
class WorkerRuntime:
    """What one scale-out worker process ticks with, built in that process (after a fork)."""

    engine: Engine
    deps: TickDeps
    redis: redis.Redis
    names: Names
    venues: SharedPaperVenues
    statements: RoundTrips
    trades: frozenset[ExchangeKind] = frozenset({ExchangeKind.PAPER})  # whose bots it ticks

    def round_trips(self) -> int:
        """Return the database round trips of this process so far (engine and bot lock)."""
        lock = self.deps.lock
        return self.statements.count + (
            lock.round_trips if isinstance(lock, AdvisoryBotLock) else 0
        )

    def close(self) -> None:
        self.engine.dispose()
        self.redis.close()


def require_postgresql(settings: Settings) -> None:
    """Refuse SQLite for what runs in several processes: it is one process by design."""
    if not settings.database_url.startswith(("postgresql", "postgres:")):
        raise ConfigurationError(
            "TRADEWIND_DATABASE_URL: workers and the scheduler need PostgreSQL "
            "(postgresql://user@host/db); SQLite is for the one-process `tradewind run`"
        )


def worker_runtime(
    settings: Settings,
    market_data: MarketData,
    prices: PriceFeed,
    clock: Clock,
    client: redis.Redis,
) -> WorkerRuntime:
    """Open PostgreSQL (refusing SQLite, an unmigrated database or a wrong master key) and
    wire ticks on candles and paper accounts shared through Redis."""
    require_postgresql(settings)
    engine, sessions, secrets = open_database(settings)
    round_trips = RoundTrips.watch(engine)
    names = Names(settings.namespace)
    lock = make_bot_lock(engine)
    lent = lent_connections(lock)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(sessions, secrets, lent)

    candles = SharedCandles(
        market_data, client, names, ExchangeKind.PAPER, settings.candle_cache_ttl
    )
    venues = SharedPaperVenues(client, names, prices, clock)
    providers: dict[ExchangeKind, ExchangeProvider] = {ExchangeKind.PAPER: venues}
    own_candles: dict[ExchangeKind, MarketData] = {}
    if settings.workers_trade_binance:
        # Binance bots decide on the candles the feeder streams into Redis; a slot the book
        # lacks is read from REST once for every worker (SharedCandles); every worker's
        # calls share one weight budget (the Redis governor, through redis_url).
        binance = BinanceExchanges(binance_options(settings))
        providers[ExchangeKind.BINANCE] = binance
        rest = SharedCandles(
            binance.market_data(), client, names, ExchangeKind.BINANCE, settings.candle_cache_ttl
        )
        own_candles[ExchangeKind.BINANCE] = StreamMarketData(StreamCandleBook(client, names), rest)
    deps = TickDeps(
        uow=uow, exchanges=AccountExchanges(providers), market_data=candles, lock=lock,
        clock=clock, venue_market_data=own_candles,
    )  # fmt: skip
    return WorkerRuntime(engine, deps, client, names, venues, round_trips, frozenset(providers))

"""Wire real adapters into the services from settings (ARCHITECTURE.md §1).

Paper trading and live differ only in the exchange provider wired here: a paper account
trades on the in-process simulated venue (`tradewind run`), or, in the scale-out workers,
on simulated venues shared through Redis; Binance accounts arrive with the live adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import redis
from sqlalchemy import Engine

from tradewind.adapters.db.engine import ensure_migrated, make_engine, session_factory
from tradewind.adapters.db.locks import AdvisoryBotLock, lent_connections, make_bot_lock
from tradewind.adapters.db.round_trips import RoundTrips
from tradewind.adapters.db.secrets import SecretBox, check_master_key
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.simulated import PriceFeed, SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.shared.candles import SharedCandles
from tradewind.adapters.shared.paper import SharedPaperVenues
from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType
from tradewind.ports import AccountAccess, Clock, Exchange, MarketData, UnitOfWork
from tradewind.services.tick import TickDeps
from tradewind.settings import Settings


@dataclass(frozen=True, slots=True)
class PaperExchanges:
    """Gives each paper account its wallets on the simulated venue."""

    venue: SimulatedVenue

    def for_account(self, access: AccountAccess) -> Exchange:
        if access.kind != "paper":
            raise ConfigurationError(
                f"account {access.account_id}: only paper accounts can trade in this version; "
                "Binance accounts need the live exchange adapter"
            )
        balances = access.paper_balances
        return self.venue.account(
            access.account_id,
            spot_balances=balances.get(PositionType.SPOT),
            futures_balances=balances.get(PositionType.FUTURES),
        )


@dataclass(slots=True)
class PaperRuntime:
    """Everything `tradewind run` and the demo need, built once per process."""

    engine: Engine
    deps: TickDeps
    venue: SimulatedVenue
    market_data: ReplayMarketData
    secrets: SecretBox

    def manage_uow(self) -> SqlManageUnitOfWork:
        return SqlManageUnitOfWork(session_factory(self.engine), self.secrets)

    def close(self) -> None:
        self.engine.dispose()


def paper_runtime(
    settings: Settings,
    market_data: ReplayMarketData,
    clock: Clock,
    *,
    seed: int = 0,
    venue_state: Path | None = None,
) -> PaperRuntime:
    """Open the database (refusing an unmigrated one or a wrong master key) and wire ticks."""
    engine = make_engine(settings.database_url)
    try:
        ensure_migrated(engine)
        sessions = session_factory(engine)
        secrets = SecretBox.from_settings(settings)
        check_master_key(sessions, secrets)
    except BaseException:
        engine.dispose()
        raise
    venue = SimulatedVenue(market_data, clock, seed=seed, state_path=venue_state)
    lock = make_bot_lock(engine)
    lent = lent_connections(lock)  # a tick's transactions run on its lock's connection

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(sessions, secrets, lent)

    deps = TickDeps(
        uow=uow,
        exchanges=PaperExchanges(venue),
        market_data=market_data,
        lock=lock,
        clock=clock,
    )
    return PaperRuntime(engine, deps, venue, market_data, secrets)


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
    engine = make_engine(settings.database_url)
    try:
        ensure_migrated(engine)
        sessions = session_factory(engine)
        secrets = SecretBox.from_settings(settings)
        check_master_key(sessions, secrets)
    except BaseException:
        engine.dispose()
        raise
    round_trips = RoundTrips.watch(engine)
    names = Names(settings.namespace)
    lock = make_bot_lock(engine)
    lent = lent_connections(lock)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(sessions, secrets, lent)

    candles = SharedCandles(market_data, client, names, "paper", settings.candle_cache_ttl)
    venues = SharedPaperVenues(client, names, prices, clock)
    deps = TickDeps(uow=uow, exchanges=venues, market_data=candles, lock=lock, clock=clock)
    return WorkerRuntime(engine, deps, client, names, venues, round_trips)

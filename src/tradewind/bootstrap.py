"""Wire real adapters into the services from settings (ARCHITECTURE.md §1).

Paper trading and live differ only in the exchange provider wired here: a paper account
trades on the in-process simulated venue, a Binance account through the Binance adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from tradewind.adapters.db.engine import ensure_migrated, make_engine, session_factory
from tradewind.adapters.db.locks import lent_connections, make_bot_lock
from tradewind.adapters.db.secrets import SecretBox, check_master_key
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType
from tradewind.ports import AccountAccess, Clock, Exchange, MarketData, UnitOfWork
from tradewind.services.tick import TickDeps
from tradewind.settings import BinanceRetrySettings, Settings


@dataclass(frozen=True, slots=True)
class PaperExchanges:
    """Gives each paper account its wallets on the simulated venue."""

    venue: SimulatedVenue

    def for_account(self, access: AccountAccess) -> Exchange:
        if access.kind != "paper":
            raise ConfigurationError(f"account {access.account_id} is not a paper account")
        balances = access.paper_balances
        return self.venue.account(
            access.account_id,
            spot_balances=balances.get(PositionType.SPOT),
            futures_balances=balances.get(PositionType.FUTURES),
        )


@dataclass(frozen=True, slots=True)
class AccountExchanges:
    """Gives each account its exchange: paper accounts the venue, Binance accounts Binance."""

    paper: PaperExchanges
    binance: BinanceExchanges

    def for_account(self, access: AccountAccess) -> Exchange:
        if access.kind == "binance":
            return self.binance.for_account(access)
        return self.paper.for_account(access)


def binance_options(settings: Settings, *, seed: int | None = None) -> BinanceOptions:
    """Read how to talk to Binance from the settings (and BINANCE_RETRY_*)."""
    from pydantic import ValidationError

    try:
        retry = BinanceRetrySettings()
    except ValidationError as e:
        from tradewind.bot_config import format_validation_error

        lines = [
            f"BINANCE_RETRY_{line.upper()}" for line in format_validation_error(e).splitlines()
        ]
        raise ConfigurationError("invalid settings:\n" + "\n".join(lines)) from None
    return BinanceOptions(
        url=settings.binance_url,
        timeout=settings.binance_timeout,
        recv_window_ms=settings.binance_recv_window,
        retry_max_attempts=retry.max_attempts,
        retry_backoff_base=retry.backoff_base,
        redis_url=settings.redis_url,
        seed=seed,
    )


@dataclass(slots=True)
class PaperRuntime:
    """Everything `tradewind run` and the demo need, built once per process."""

    engine: Engine
    deps: TickDeps
    venue: SimulatedVenue
    market_data: MarketData
    secrets: SecretBox
    binance: BinanceExchanges

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
    bot_market_data: MarketData | None = None,
    binance: BinanceExchanges | None = None,
) -> PaperRuntime:
    """Open the database (refusing an unmigrated one or a wrong master key) and wire ticks.

    The paper venue moves on `market_data`; the bots decide on `bot_market_data` (the
    same by default; Binance klines when they trade on Binance).
    """
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

    binance = binance or BinanceExchanges(binance_options(settings, seed=seed))
    decided_on = bot_market_data or market_data
    deps = TickDeps(
        uow=uow,
        exchanges=AccountExchanges(PaperExchanges(venue), binance),
        market_data=decided_on,
        lock=lock,
        clock=clock,
    )
    return PaperRuntime(engine, deps, venue, decided_on, secrets, binance)

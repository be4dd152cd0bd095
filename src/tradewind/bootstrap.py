"""Wire real adapters into the services from settings (ARCHITECTURE.md §1).

Paper trading and live differ only in the exchange provider wired here: a paper account
trades on the in-process simulated venue; Binance accounts arrive with the live adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from tradewind.adapters.db.engine import ensure_migrated, make_engine, session_factory
from tradewind.adapters.db.locks import lent_connections, make_bot_lock
from tradewind.adapters.db.secrets import SecretBox, check_master_key
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType
from tradewind.ports import AccountAccess, Clock, Exchange, UnitOfWork
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

"""Open the configured database for a command: settings, engine, start check, units of work.

Imported lazily by the commands, so `tradewind --help` never loads SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from tradewind.adapters.clocks import SystemClock
from tradewind.adapters.db.engine import ensure_migrated, make_engine, session_factory, shown
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.bot_config import format_validation_error
from tradewind.domain.errors import ConfigurationError
from tradewind.settings import Settings


@dataclass(frozen=True, slots=True)
class Store:
    """The database of this installation, as the management commands use it."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    secrets: SecretBox
    clock: SystemClock

    def uow(self) -> SqlManageUnitOfWork:
        """Return a new unit of work (one transaction) on this database."""
        return SqlManageUnitOfWork(self.sessions, self.secrets)


def load_settings() -> Settings:
    """Read the settings from the environment; a clear error naming the bad variable."""
    try:
        return Settings()
    except ValidationError as e:
        lines = []
        for line in format_validation_error(e).splitlines():
            field, _, rule = line.partition(":")
            lines.append(f"TRADEWIND_{field.upper()}:{rule}")
        raise ConfigurationError("invalid settings:\n" + "\n".join(lines)) from None


@contextmanager
def open_store(*, migrated: bool = True) -> Iterator[Store]:
    """Yield the configured database, refusing one whose schema is not current."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        if migrated:
            ensure_migrated(engine)
        yield Store(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            secrets=SecretBox.from_settings(settings),
            clock=SystemClock(),
        )
    except DBAPIError as e:
        raise ConfigurationError(f"database {shown(engine)}: {e.orig}") from e
    finally:
        engine.dispose()

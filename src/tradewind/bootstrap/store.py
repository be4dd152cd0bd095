"""This installation's database, as the management commands and the API use it; its set-up.

`Store` is built once from the settings (a command's, or the API process's): the units of
work of the management and notification services, the clock, the symbol rules. Loads
SQLAlchemy: the CLI imports it inside the commands that need the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    NotSupportedError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from tradewind.adapters.auth.passwords import Argon2Passwords
from tradewind.adapters.auth.totp import PyOtpCodes
from tradewind.adapters.clocks import SystemClock
from tradewind.adapters.db import secrets as master_keys
from tradewind.adapters.db.engine import (
    database_url,
    ensure_migrated,
    make_engine,
    migrate,
    reading_session_factory,
    session_factory,
    shown,
    sqlite_path,
)
from tradewind.adapters.db.runner_lock import sole_postgres_runner, sole_runner
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.unit_of_work import (
    SqlIdentityUnitOfWork,
    SqlManageUnitOfWork,
    SqlNotifyUnitOfWork,
)
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.notify.signing import generate_secret
from tradewind.bootstrap.settings import load_settings
from tradewind.domain.errors import ConfigurationError
from tradewind.ports import (
    Clock,
    CredentialCheck,
    IdentityUnitOfWork,
    ManageUnitOfWork,
    NotifyUnitOfWork,
    PasswordHasher,
    TotpCodes,
)
from tradewind.services.manage import RulesLookup
from tradewind.services.notify import NotifyDeps
from tradewind.settings import Settings


@dataclass(frozen=True, slots=True)
class Store:
    """The database of this installation and what the management services need with it."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    secrets: SecretBox
    clock: Clock
    rules_for: RulesLookup  # the built-in symbol rules, as `bot create` checks them
    passwords: PasswordHasher = field(default_factory=Argon2Passwords)
    # Asks the venue whether it accepts an account's key and secret before it is stored.
    check_credentials: CredentialCheck | None = None
    totp: TotpCodes = field(default_factory=PyOtpCodes)  # two-factor sign-in codes
    # Sessions of the units of work that only read (`reading_*_uow`); None: `sessions`.
    reading_sessions: sessionmaker[Session] | None = None

    @classmethod
    def open(cls, settings: Settings) -> Store:
        """Open the configured database, refusing one whose schema is not current."""
        engine = make_engine(settings.database_url)
        try:
            ensure_migrated(engine)
        except DBAPIError as e:
            engine.dispose()
            raise ConfigurationError(f"database {shown(engine)}: {e.orig}") from e
        except BaseException:
            engine.dispose()
            raise
        from tradewind.bootstrap.venues import VenueCredentialCheck

        return cls(
            settings, engine, session_factory(engine), SecretBox.from_settings(settings),
            SystemClock(), rules_for, check_credentials=VenueCredentialCheck(settings),
            reading_sessions=reading_session_factory(engine),
        )  # fmt: skip

    def manage_uow(self) -> ManageUnitOfWork:
        """Return a new unit of work (one transaction) of the management services."""
        return SqlManageUnitOfWork(self.sessions, self.secrets)

    def reading_manage_uow(self) -> ManageUnitOfWork:
        """Return a unit of work of the management services for reads only (it cannot
        commit): on PostgreSQL, fewer round trips (see `reading_session_factory`)."""
        return SqlManageUnitOfWork(self._reading(), self.secrets, read_only=True)

    def reading_identity_uow(self) -> IdentityUnitOfWork:
        """Return a unit of work of signing in for reads only, as `reading_manage_uow`."""
        return SqlIdentityUnitOfWork(self._reading(), self.secrets, read_only=True)

    def _reading(self) -> sessionmaker[Session]:
        return self.sessions if self.reading_sessions is None else self.reading_sessions

    def identity_uow(self) -> IdentityUnitOfWork:
        """Return a new unit of work (one transaction) of signing in: logins, sessions, tokens."""
        return SqlIdentityUnitOfWork(self.sessions, self.secrets)

    def notify_uow(self) -> NotifyUnitOfWork:
        """Return a new unit of work (one transaction) of the notification services."""
        return SqlNotifyUnitOfWork(self.sessions, self.secrets)

    def notify_deps(self) -> NotifyDeps:
        """Return the notification dispatcher's wiring (senders, retry policy) on this store."""
        from tradewind.bootstrap.runtime import notify_deps

        return notify_deps(self.settings, self.engine, self.secrets, self.clock)

    def rotate_key_file(self) -> tuple[int, Path]:
        """Re-encrypt every stored secret under a new key in the key file; return (count, file)."""
        path = master_keys.key_file_path(self.settings.data_dir)
        return master_keys.rotate_key_file(self.sessions, path), path

    def rotate_master_key(self, new_key: SecretStr) -> int:
        """Re-encrypt every stored secret under `new_key` (TRADEWIND_SECRET_KEY's next value)."""
        return master_keys.rotate_master_key(
            self.sessions, self.secrets, new_key.get_secret_value().encode()
        )

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def open_store(settings: Settings | None = None) -> Iterator[Store]:
    """Yield the configured database (the environment's settings by default), refusing one
    whose schema is not current; a database error becomes one line naming the database."""
    store = Store.open(settings or load_settings())
    try:
        yield store
    except DBAPIError as e:
        raise ConfigurationError(f"database {shown(store.engine)}: {e.orig}") from e
    finally:
        store.close()


# Errors the database gives about what was asked, not about being reachable: a bug or bad
# data, that waiting does not cure.
_NOT_OUTAGES = (IntegrityError, DataError, ProgrammingError, NotSupportedError)


def database_outage(e: BaseException) -> bool:
    """Tell whether `e` says the database is away (refused, dropped, timed out), not that
    a statement was wrong: what a runner waits out rather than ends on."""
    if isinstance(e, PoolTimeout):
        return True
    return isinstance(e, DBAPIError) and not isinstance(e, _NOT_OUTAGES)


@contextmanager
def runner_slot(settings: Settings, *, paper: bool) -> Iterator[Callable[[], None]]:
    """Hold the one runner's place on the database while the block runs (Conflict naming
    the running one when it is taken): always on SQLite, and for a `paper` runner (whose
    venue lives in its process) on PostgreSQL. Runners on Binance share a PostgreSQL
    database's minutes through the slot claims and bot locks, so any number may run.

    The block gets `keep`, to call before each slot: on PostgreSQL the place ends with its
    connection, and `keep` takes it again after the database was away."""
    url = database_url(settings.database_url)
    database = url.database
    if url.get_backend_name() == "postgresql":
        if not paper:
            yield _nothing_to_keep
            return
        engine = make_engine(settings.database_url)
        try:
            with sole_postgres_runner(engine, shown(engine)) as keep:
                yield keep
        finally:
            engine.dispose()
        return
    if not database or database == ":memory:":
        yield _nothing_to_keep
        return
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    with sole_runner(Path(database).resolve()):
        yield _nothing_to_keep  # a file lock, which no outage of the database ends


def _nothing_to_keep() -> None:
    pass


# --- Setting up an installation (`tradewind init`, `tradewind keys`, the demo) -------------


def use_master_key(settings: Settings) -> tuple[Path | None, bool]:
    """Check TRADEWIND_SECRET_KEY, or create the key file (mode 600) when there is none.

    Returns (the key file, or None for the variable; whether it was created now).
    """
    if settings.secret_key is not None:
        SecretBox.from_settings(settings).encrypt("")  # refuses a malformed key
        return None, False
    path = master_keys.key_file_path(settings.data_dir)
    return path, master_keys.create_key_file(path)


def migrate_database(settings: Settings) -> tuple[str, str | None, str]:
    """Create or upgrade the schema; return (the database, shown; revision before; after)."""
    engine = make_engine(settings.database_url)
    try:
        database_file = sqlite_path(engine)
        if database_file is not None:
            database_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        before, after = migrate(engine)
        return shown(engine), before, after
    finally:
        engine.dispose()


def generate_master_key() -> str:
    """Return a new random master key (for TRADEWIND_SECRET_KEY)."""
    return master_keys.generate_key().decode("ascii")


def new_webhook_secret() -> SecretStr:
    """Return a fresh webhook signing secret (`whsec_…`)."""
    return SecretStr(generate_secret())

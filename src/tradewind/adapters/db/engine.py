"""Engines for SQLite (the embedded default) and PostgreSQL, migrations, and the start check.

SQLite runs in WAL mode with foreign keys on. It has one writer, so every transaction takes
the write lock when it begins (`BEGIN IMMEDIATE`): a transaction never fails half-way when
it upgrades from reading to writing, and a second writer waits up to `BUSY_TIMEOUT_S`.
PostgreSQL goes through psycopg 3 (`postgresql+psycopg://`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from tradewind.adapters.db.types import dumps_json
from tradewind.domain.errors import ConfigurationError

# The revision `tradewind init` migrates to; checked against the scripts by a test, so
# the start-up check needs no Alembic import.
HEAD_REVISION = "0008"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_S = 5.0
# Inside `trusting_recent`, a pooled PostgreSQL connection is pinged before use only if it
# sat idle this long.
PING_AFTER_IDLE_S = 1.0
POOL_SIZE = 15  # PostgreSQL connections a process keeps at most (opened as needed)
_IDLE_SINCE, _FRESH = "tradewind_idle_since", "tradewind_fresh"
_checkouts = threading.local()  # .trusting: inside `trusting_recent`


def database_url(url: str) -> URL:
    """Parse a database URL; PostgreSQL URLs without a driver get psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        # Never echo the URL: it may hold a password.
        raise ConfigurationError(
            "TRADEWIND_DATABASE_URL: not a database URL "
            "(expected sqlite:///FILE or postgresql://user@host/db)"
        ) from e
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            "TRADEWIND_DATABASE_URL: use sqlite:///FILE or postgresql://user@host/db, "
            f"not {parsed.drivername}"
        )
    return parsed


def shown(engine: Engine) -> str:
    """Return the engine's URL fit for messages: the password hidden."""
    return engine.url.render_as_string(hide_password=True)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Return an engine for `url`, configured for how tradewind uses the database."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            echo=echo,
            json_serializer=dumps_json,
            connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # SQLAlchemy's default keeps 5 connections and closes the 10 more it may open as soon
    # as each is given back: under an API's 40 request threads that is a new PostgreSQL
    # connection (a backend process) every few requests. The same 15 at most, all kept.
    engine = create_engine(
        parsed, echo=echo, json_serializer=dumps_json, pool_size=POOL_SIZE, max_overflow=0
    )
    _ping_before_use(engine)
    return engine


def _ping_before_use(engine: Engine) -> None:
    """Ping a pooled connection before use, and replace it when it is dead.

    The same as SQLAlchemy's `pool_pre_ping`, but a checkout inside `trusting_recent()`
    skips the ping of a connection that was in use within `PING_AFTER_IDLE_S`: the bot
    lock checks out a connection for every tick, and handles a dead one itself.
    """

    @event.listens_for(engine, "connect")
    def fresh(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_FRESH] = True

    @event.listens_for(engine, "checkin")
    def back(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        if record.info.pop(_FRESH, False):
            return  # connected a moment ago
        since = record.info.get(_IDLE_SINCE)
        if (
            getattr(_checkouts, "trusting", False)
            and since is not None
            and time.monotonic() - since < PING_AFTER_IDLE_S
        ):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as e:
            # As pool_pre_ping does: a dead connection makes every pooled one suspect.
            raise InvalidatePoolError("a pooled connection did not answer a ping") from e


@contextmanager
def trusting_recent() -> Iterator[None]:
    """Check out PostgreSQL connections used a moment ago without pinging them first.

    For callers that detect a dead connection at their first statement and retry.
    """
    before = getattr(_checkouts, "trusting", False)
    _checkouts.trusting = True
    try:
        yield
    finally:
        _checkouts.trusting = before


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Take transaction control away from the sqlite3 module; `_sqlite_begin` emits BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes of the process in WAL
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the factory of sessions the unit of work opens."""
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def reading_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the factory of sessions of units of work that only read.

    On PostgreSQL each statement runs in a transaction of its own (autocommit): no BEGIN
    and ROLLBACK round trips around a read. Under READ COMMITTED, tradewind's isolation,
    each statement of a transaction sees what was committed when it began anyway, so the
    reads see exactly what they would inside one. SQLite (one file, no round trips)
    reads as every unit of work does.
    """
    if engine.dialect.name != "postgresql":
        return session_factory(engine)
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


def sqlite_path(engine: Engine) -> Path | None:
    """Return the SQLite file behind `engine`, or None (PostgreSQL, in-memory)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def schema_revision(engine: Engine) -> str | None:
    """Return the migration the database is at; None when it was never migrated."""
    path = sqlite_path(engine)
    if path is not None and not path.exists():
        return None  # never let a check create an empty database file
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(
                select(text("version_num")).select_from(text("alembic_version"))
            ).scalar()
    except DBAPIError as e:
        raise ConfigurationError(f"cannot open database {shown(engine)}: {e.orig}") from e


def ensure_migrated(engine: Engine) -> None:
    """Refuse to run on a database whose schema is not the one this code expects."""
    revision = schema_revision(engine)
    if revision == HEAD_REVISION:
        return
    if revision is None or revision < HEAD_REVISION:
        raise ConfigurationError(f"database {shown(engine)} is not migrated: run `tradewind init`")
    raise ConfigurationError(
        f"database {shown(engine)} was migrated by a newer tradewind (revision {revision}); "
        "upgrade tradewind"
    )


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the latest migration; return (revision before, revision after)."""
    from alembic import command
    from alembic.config import Config

    before = schema_revision(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as e:
        raise ConfigurationError(f"cannot migrate database {shown(engine)}: {e.orig}") from e
    return before, HEAD_REVISION

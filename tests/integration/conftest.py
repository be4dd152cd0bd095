"""Databases for integration tests: a migrated, empty one per test, on SQLite and PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (user postgres, trust auth). Each test session
creates its own database there and drops it at the end; the tests that need it are
skipped (failed under CI=true), saying why, when the server cannot be reached. Redis is
the server on 127.0.0.1:6379; each test gets a key namespace of its own, emptied at the end.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import unavailable
from tests.integration.db_builders import paper_account, spot_config
from tests.integration.paper_world import PaperWorld, futures_world, spot_world
from tests.integration.tcp_proxy import TcpProxy
from tradewind.adapters.db.engine import make_engine, migrate, session_factory
from tradewind.adapters.db.secrets import SecretBox, generate_key
from tradewind.adapters.db.tables import metadata
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.shared.redis_store import Names
from tradewind.ports import Bot

POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """Yield the URL of a migrated database of its own on the local PostgreSQL."""
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as e:
        unavailable(f"PostgreSQL is not reachable on 127.0.0.1:5432 as user postgres: {e}")
    name = f"tradewind_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = POSTGRES_URL.format(name=name)
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        try:
            yield url
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a migrated SQLite file to copy: faster than migrating for every test."""
    path = tmp_path_factory.mktemp("template") / "tradewind.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the URL of a migrated, empty database."""
    if request.param == "sqlite":
        target = tmp_path / "tradewind.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_database")
    _empty(request.getfixturevalue("postgres_cleaner"))
    return url


@pytest.fixture(scope="session")
def postgres_cleaner(postgres_database: str) -> Iterator[Engine]:
    engine = make_engine(postgres_database)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    """Delete every row and restart the ids (DELETE: far cheaper than TRUNCATE on tiny tables)."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
        for table in metadata.sorted_tables:
            if "id" in table.c:
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence(:name, 'id'), 1, false)"),
                    {"name": table.name},
                )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def master_key() -> bytes:
    return generate_key()


@pytest.fixture
def secrets(master_key: bytes) -> SecretBox:
    return SecretBox.from_keys([master_key], "the test key")


@pytest.fixture
def tick_uow(sessions: sessionmaker[Session], secrets: SecretBox) -> Callable[[], SqlUnitOfWork]:
    """Return a factory of the tick's unit of work."""
    return lambda: SqlUnitOfWork(sessions, secrets)


@pytest.fixture
def manage_uow(
    sessions: sessionmaker[Session], secrets: SecretBox
) -> Callable[[], SqlManageUnitOfWork]:
    """Return a factory of the management unit of work."""
    return lambda: SqlManageUnitOfWork(sessions, secrets)


@pytest.fixture
def bot(manage_uow: Callable[[], SqlManageUnitOfWork]) -> Bot:
    """Return an active spot bot of a user with a paper account, all committed."""
    with manage_uow() as uow:
        user = uow.users.add("owner@example.com", "Owner", 1_700_000_000)
        account = uow.accounts.add(paper_account(user.id))
        created = uow.bots.add(user.id, account.id, spot_config(), 1_700_000_000)
        uow.bots.set_active(created.id, True)
        uow.commit()
    created.active = True
    return created


REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """Yield a client of the local Redis; the test cannot run when it does not answer."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as e:
        unavailable(f"Redis is not reachable on 127.0.0.1:6379: {e}")
    yield client
    client.close()


@pytest.fixture
def names(redis_client: redis.Redis) -> Iterator[Names]:
    """Yield a namespace of its own; its keys are deleted at the end."""
    namespace = Names(f"tw-test-{uuid.uuid4().hex[:12]}")
    yield namespace
    keys = list(redis_client.scan_iter(match=f"{namespace.namespace}*", count=1000))
    if keys:
        redis_client.delete(*keys)


# The fixtures of the tests with real Celery workers and schedulers.
from tests.integration.celery_cluster import cluster_of  # noqa: E402, F401


@pytest.fixture
def spot_paper(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    tmp_path: Path,
) -> PaperWorld:
    """A spot paper bot with resting exits on a replayed market (`paper_world`)."""
    return spot_world(engine, tick_uow, manage_uow, tmp_path)


@pytest.fixture
def futures_paper(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    tmp_path: Path,
) -> PaperWorld:
    """A flat futures paper bot on a replayed market (`paper_world`)."""
    return futures_world(engine, tick_uow, manage_uow, tmp_path)


@pytest.fixture
def pg_engine(postgres_database: str) -> Iterator[Engine]:
    """An engine on the test's own PostgreSQL database."""
    engine = make_engine(postgres_database)
    yield engine
    engine.dispose()


@pytest.fixture
def proxied_engine(postgres_database: str) -> Iterator[tuple[Engine, TcpProxy]]:
    """An engine reaching the test's database through a proxy the test can cut."""
    proxy = TcpProxy(5432)
    url = make_url(postgres_database).set(host="127.0.0.1", port=proxy.port)
    engine = make_engine(url.render_as_string(hide_password=False))
    yield engine, proxy
    engine.dispose()
    proxy.close()

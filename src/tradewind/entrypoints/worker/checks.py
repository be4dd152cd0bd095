"""What `tradewind worker` and `tradewind scheduler` check before they start.

Each part that is missing or away gets one clear line naming it, never a traceback:
the database (PostgreSQL, migrated, the master key fits), Redis and the broker.
"""

from __future__ import annotations

from celery import Celery
from sqlalchemy.exc import DBAPIError

from tradewind.adapters.db.engine import ensure_migrated, make_engine, session_factory, shown
from tradewind.adapters.db.secrets import SecretBox, check_master_key
from tradewind.adapters.shared.redis_store import check_redis, connect_redis
from tradewind.bootstrap.runtime import require_postgresql
from tradewind.domain.errors import ConfigurationError
from tradewind.settings import Settings

BROKER_TIMEOUT_S = 5.0


def check_start(settings: Settings, celery: Celery) -> None:
    """Raise ConfigurationError, naming the part, unless all parts answer as they should."""
    require_postgresql(settings)
    engine = make_engine(settings.database_url)
    try:
        ensure_migrated(engine)
        check_master_key(session_factory(engine), SecretBox.from_settings(settings))
    except DBAPIError as e:
        raise ConfigurationError(f"database {shown(engine)}: {e.orig}") from e
    finally:
        engine.dispose()
    client = connect_redis(settings.redis_url)
    try:
        check_redis(client, settings.redis_url)
    finally:
        client.close()
    check_broker(celery)


def check_broker(celery: Celery) -> None:
    """Connect to the broker once, within a few seconds."""
    with celery.connection_for_write() as connection:
        try:
            connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_S)
        except Exception as e:  # kombu raises the transport's own errors
            raise ConfigurationError(
                f"cannot reach the broker at {connection.as_uri()} (TRADEWIND_BROKER_URL): {e}"
            ) from e

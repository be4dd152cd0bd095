"""What `tradewind worker` and `tradewind scheduler` check before they start.

Each part that is missing or away gets one clear line naming it, never a traceback:
the database (PostgreSQL, migrated, the master key fits), Redis and the broker.
"""

from __future__ import annotations

from celery import Celery

from tradewind.bootstrap.worker import check_parts
from tradewind.domain.errors import ConfigurationError
from tradewind.settings import Settings

BROKER_TIMEOUT_S = 5.0


def check_start(settings: Settings, celery: Celery) -> None:
    """Raise ConfigurationError, naming the part, unless all parts answer as they should."""
    check_parts(settings)  # the database and Redis
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

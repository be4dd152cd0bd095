"""Redis, where worker processes on any machine share what they must.

Every key starts with the namespace (`TRADEWIND_NAMESPACE`, default "tradewind"), so
installations (and test runs) sharing one Redis server never see each other's keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from tradewind.domain.errors import ConfigurationError

# Short enough that a dead server shows within a tick; long enough for a busy one.
SOCKET_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 3.0
# A few quick retries ride out a blip; an outage is the caller's to handle (redis-py's
# default, ten retries with backoff up to seconds, would stall every tick behind it).
RETRIES = 3


@dataclass(frozen=True, slots=True)
class Names:
    """Builds the keys of one namespace."""

    namespace: str

    def key(self, *parts: object) -> str:
        """Return `namespace:part:part…`."""
        return ":".join((self.namespace, *(str(part) for part in parts)))


def connect_redis(url: str) -> redis.Redis:
    """Return a client for `url` (connections are opened on first use)."""
    try:
        return redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            health_check_interval=30,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), RETRIES),
        )
    except ValueError as e:
        raise ConfigurationError(
            f"TRADEWIND_REDIS_URL: not a Redis URL ({e}); expected redis://host:port/db"
        ) from None


def check_redis(client: redis.Redis, url: str) -> None:
    """Refuse to start when Redis does not answer, with a clear message."""
    try:
        client.ping()
    except redis.RedisError as e:
        raise ConfigurationError(f"cannot reach Redis at {without_password(url)}: {e}") from e


def without_password(url: str) -> str:
    """Return `url` fit for messages: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))

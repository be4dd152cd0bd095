"""What the scale-out workers and the scheduler wire beside the tick runtime: the paper
market every worker shares through Redis, the checks before they start, the scheduler's
leader lock (README "Scaling out")."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import redis
from sqlalchemy.exc import DBAPIError

from tradewind.adapters.clocks import SystemClock
from tradewind.adapters.db.engine import ensure_migrated, make_engine, session_factory, shown
from tradewind.adapters.db.leader import LeaderLock
from tradewind.adapters.db.secrets import SecretBox, check_master_key
from tradewind.adapters.marketdata.generated import GeneratedMarket
from tradewind.adapters.marketdata.stream_arrivals import CandleArrivals, SeriesAt
from tradewind.adapters.marketdata.stream_book import StreamCandleBook
from tradewind.adapters.shared.redis_store import Names, check_redis, connect_redis
from tradewind.bootstrap.markets import start_price, tick_size
from tradewind.bootstrap.runtime import WorkerRuntime, require_postgresql, worker_runtime
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.errors import ConfigurationError
from tradewind.services.slots import MarketGroup
from tradewind.settings import Settings

HISTORY_MINUTES = 2 * 1440  # generated candles before the market's start, for indicators
MARKET_DAYS = 30


def build_worker_runtime(settings: Settings, seed: int) -> WorkerRuntime:
    """Wire a worker on PostgreSQL, Redis, the shared paper market and the wall clock."""
    client = connect_redis(settings.redis_url)
    market = paper_market(client, Names(settings.namespace), seed, SystemClock().now())
    return worker_runtime(settings, market, market, SystemClock(), client)


def paper_market(client: redis.Redis, names: Names, seed: int, now: int) -> GeneratedMarket:
    """Return the generated market of this namespace: the first worker fixes its start."""
    key = names.key(ExchangeKind.PAPER, "market")
    start = now - now % 60 - HISTORY_MINUTES * 60
    client.set(key, json.dumps({"start": start, "seed": seed}), nx=True)
    stored = client.get(key)
    spec = json.loads(stored) if isinstance(stored, bytes | str) else {}
    if spec.get("seed") != seed:
        raise ConfigurationError(
            f"--seed {seed}: the paper market of namespace {names.namespace!r} runs with seed "
            f"{spec.get('seed')}; start every worker with the same seed"
        )
    return GeneratedMarket(
        int(spec["start"]),
        HISTORY_MINUTES + MARKET_DAYS * 1440,
        seed,
        start_price=start_price,
        tick=tick_size,
    )


def watch_candles(
    rt: WorkerRuntime,
    groups: Sequence[MarketGroup],
    slot: int,
    arrived: Callable[[MarketGroup], None],
    past_deadline: Callable[[], bool],
) -> list[MarketGroup]:
    """Call `arrived(group)` as each group's candle of `slot` lands in the stream book,
    until all have or `past_deadline()`; return the groups still without it."""
    wanted = {g: SeriesAt(g.position_type, g.symbol, g.timeframe, slot) for g in groups}
    arrivals = CandleArrivals(StreamCandleBook(rt.redis, rt.names), rt.redis)
    return arrivals.follow(wanted, arrived, past_deadline)


def check_parts(settings: Settings) -> None:
    """Raise ConfigurationError, naming the part, unless the database (PostgreSQL, migrated,
    the master key fits) and Redis answer as they should."""
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


def leader_lock(settings: Settings) -> LeaderLock:
    """Return the scheduler's leader election on the configured PostgreSQL database."""
    return LeaderLock(make_engine(settings.database_url))

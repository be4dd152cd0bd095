"""A slot's figures, kept in Redis for a day (lags for an hour): outcomes, lags, calls.

    namespace:slot:SLOT        hash: ticks, outcome:<name>, round_trips, exchange_calls,
                               batches, groups, prefetched
    namespace:slot:SLOT:lags   list: seconds from the slot's time to each decision

`redis-cli HGETALL tradewind:slot:1767225600` shows how a slot went; the benchmark
reads them. Figures are best effort: Redis away, the slot goes on without them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from typing import Protocol

import redis

from tradewind.services.tick import TickOutcome, TickResult

log = logging.getLogger(__name__)
KEEP_S = 86_400
KEEP_LAGS_S = 3_600  # a slot's lags, one number per bot: an hour of them
# Outcomes that are no decision of this task: someone else decided, or will.
_NOT_DECIDED = {TickOutcome.BUSY, TickOutcome.SLOT_TAKEN, TickOutcome.FAILED}


class Names(Protocol):
    """The Redis key names of a namespace (the worker runtime's `names`)."""

    def key(self, *parts: object) -> str: ...


def record_batch(
    client: redis.Redis,
    names: Names,
    slot: int,
    results: Mapping[int, TickResult],
    round_trips: int,
    exchange_calls: int,
) -> None:
    """Add one batch's figures to its slot's."""
    key = names.key("slot", slot)
    lags = [f"{r.final_at - slot:.3f}" for r in results.values() if r.outcome not in _NOT_DECIDED]
    pipe = client.pipeline(transaction=False)
    for outcome, count in Counter(r.outcome.value for r in results.values()).items():
        pipe.hincrby(key, f"outcome:{outcome}", count)
    pipe.hincrby(key, "ticks", len(results))
    pipe.hincrby(key, "round_trips", round_trips)
    pipe.hincrby(key, "exchange_calls", exchange_calls)
    pipe.hincrby(key, "batches", 1)
    if lags:
        pipe.rpush(f"{key}:lags", *lags)
        pipe.expire(f"{key}:lags", KEEP_LAGS_S)
    pipe.expire(key, KEEP_S)
    _send(pipe)


def record_group(client: redis.Redis, names: Names, slot: int, prefetched: bool) -> None:
    """Count one market group of the slot, and whether it fetched candles."""
    key = names.key("slot", slot)
    pipe = client.pipeline(transaction=False)
    pipe.hincrby(key, "groups", 1)
    pipe.hincrby(key, "prefetched", int(prefetched))
    pipe.expire(key, KEEP_S)
    _send(pipe)


def _send(pipe: redis.client.Pipeline) -> None:
    try:
        pipe.execute()
    except redis.RedisError as e:
        log.warning("slot figures not recorded: %s", e)

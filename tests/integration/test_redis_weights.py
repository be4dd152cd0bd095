"""Governors of several processes share one Binance weight budget through a real Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from tradewind.adapters.exchange.binance.governor import WeightGovernor
from tradewind.adapters.exchange.binance.redis_weights import RedisWeightStore

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def host() -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex}"
    yield name
    cleanup = redis.Redis.from_url(REDIS_URL)
    for key in cleanup.scan_iter(f"tradewind:weight:{name}*"):
        cleanup.delete(key)
    cleanup.close()


class Clock:
    def __init__(self) -> None:
        self.now = 60.0 * 1_000_000 + 5  # 5 s into a window
        self.slept = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


def process(host: str, clock: Clock, limit: int = 100) -> WeightGovernor:
    """A governor as another process would build it: its own Redis connection."""
    store = RedisWeightStore.from_url(REDIS_URL, host)
    return WeightGovernor(limit, store, slow_at=1.0, clock=lambda: clock.now, sleep=clock.sleep)


def test_two_processes_spend_one_budget(redis_client: redis.Redis, host: str) -> None:
    clock = Clock()
    first, second = process(host, clock), process(host, clock)
    for _ in range(30):
        first.acquire(2)
        second.acquire(1)
    assert first.used() == second.used() == 90
    assert clock.slept == 0
    second.acquire(20)  # 110 > 100: waits for the next window, as every process would
    assert clock.slept > 0
    assert first.used() == 20


def test_a_reported_weight_raises_every_processs_count(
    redis_client: redis.Redis, host: str
) -> None:
    clock = Clock()
    first, second = process(host, clock), process(host, clock)
    first.acquire(1)
    second.observe(97)  # Binance said so on an answer to the second process
    assert first.used() == 97
    first.observe(10)  # never lowered
    assert second.used() == 97


def test_a_429_in_one_process_stops_the_others(redis_client: redis.Redis, host: str) -> None:
    clock = Clock()
    first, second = process(host, clock), process(host, clock)
    first.rate_limited(7.0)
    before = clock.now
    second.acquire(1)
    assert clock.now - before >= 7.0


def test_reservations_never_pass_the_limit_under_contention(
    redis_client: redis.Redis, host: str
) -> None:
    stores = [RedisWeightStore.from_url(REDIS_URL, host) for _ in range(4)]
    granted = 0
    for _ in range(50):
        for store in stores:
            if store.reserve(42, 3, 100) is not None:
                granted += 3
    assert granted == 99  # 33 reservations of 3 fit under 100; none more
    assert stores[0].used(42) == 99

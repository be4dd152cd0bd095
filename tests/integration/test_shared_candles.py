"""Candles shared through the real Redis: fetched from the source once per market and slot."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.adapters.shared.candles import (
    BEHIND_TTL_S,
    SharedCandles,
    pack_candles,
    unpack_candles,
)
from tradewind.adapters.shared.redis_store import Names, connect_redis
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType

START = datetime(2024, 1, 1, tzinfo=UTC)
T0 = int(START.timestamp())
SPOT = PositionType.SPOT


class CountingSource:
    """Market data that counts the calls that reach it (the exchange's klines calls)."""

    def __init__(self, inner: ReplayMarketData) -> None:
        self.inner = inner
        self.calls: Counter[tuple[str, str, int]] = Counter()

    def closed_candles(
        self, symbol: str, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        self.calls[(symbol, timeframe, until)] += 1
        return self.inner.closed_candles(symbol, timeframe, position_type, until, limit)


def market() -> ReplayMarketData:
    candles = generate_market(600, 60, seed=2, start_price=42_000, start_time=START)
    return ReplayMarketData({"BTCUSDT": candles, "ETHUSDT": candles})


def equal(a: Candles, b: Candles) -> bool:
    return all(
        np.array_equal(getattr(a, name), getattr(b, name))
        for name in ("open_time", "open", "high", "low", "close", "volume")
    )


@settings(max_examples=50)
@given(st.lists(st.tuples(st.floats(0.0001, 1e9), st.floats(0, 1e12)), min_size=0, max_size=50))
def test_packed_candles_unpack_to_the_same_values(rows: list[tuple[float, float]]) -> None:
    n = len(rows)
    prices = np.array([p for p, _ in rows], dtype=np.float64)
    candles = Candles(
        open_time=T0 + 60 * np.arange(n, dtype=np.int64), open=prices, high=prices * 2,
        low=prices / 2, close=prices, volume=np.array([v for _, v in rows], dtype=np.float64),
    )  # fmt: skip
    assert equal(unpack_candles(pack_candles(candles)), candles)


def test_many_readers_in_many_processes_fetch_each_market_and_slot_once(
    redis_client: redis.Redis, names: Names
) -> None:
    source = CountingSource(market())
    # Two workers: each its own memo, one Redis between them.
    workers = [SharedCandles(source, redis_client, names, "paper", ttl_s=60) for _ in range(2)]
    slots = [T0 + 300 * 60, T0 + 301 * 60]
    for slot in slots:
        for _bot in range(50):
            for worker in workers:
                for symbol in ("BTCUSDT", "ETHUSDT"):
                    got = worker.closed_candles(symbol, "1m", SPOT, slot, 100)
                    assert equal(got, source.inner.closed_candles(symbol, "1m", SPOT, slot, 100))
    assert set(source.calls.values()) == {1}
    assert len(source.calls) == 4  # two symbols, two slots
    key = names.key("candles", "paper", "spot", "BTCUSDT", "1m", slots[0], 100)
    assert 0 < redis_client.ttl(key) <= 60


def test_candles_not_closed_yet_at_the_slot_are_kept_only_a_moment(
    redis_client: redis.Redis, names: Names
) -> None:
    source = CountingSource(market())
    shared = SharedCandles(source, redis_client, names, "paper", ttl_s=600)
    beyond = T0 + 700 * 60  # the market ends at minute 600: the source is behind
    shared.closed_candles("BTCUSDT", "1m", SPOT, beyond, 100)
    key = names.key("candles", "paper", "spot", "BTCUSDT", "1m", beyond, 100)
    assert 0 < redis_client.ttl(key) <= BEHIND_TTL_S


def test_with_redis_down_every_read_goes_to_the_source_and_still_answers(names: Names) -> None:
    source = CountingSource(market())
    down = connect_redis("redis://127.0.0.1:1/0")  # nothing listens there
    shared = SharedCandles(source, down, names, "paper", ttl_s=60)
    slot = T0 + 300 * 60
    got = shared.closed_candles("BTCUSDT", "5m", SPOT, slot, 50)
    assert equal(got, source.inner.closed_candles("BTCUSDT", "5m", SPOT, slot, 50))
    shared.closed_candles("BTCUSDT", "5m", SPOT, slot, 50)  # the process's memo answers
    assert sum(source.calls.values()) == 1

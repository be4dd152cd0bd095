"""Closed candles fetched once per market and slot, shared by every worker through Redis.

The candles that closed by a slot never change, so they are kept under
`namespace:candles:EXCHANGE:MARKET:SYMBOL:TIMEFRAME:UNTIL:LIMIT` for `ttl_s`, and in a
small memo of each process on top. A read goes memo → Redis → the source (the exchange),
so the source is asked once per market and slot however many bots and workers read it:
the slot's group task asks first, its batches then find the candles in Redis.

Readers that miss at once (two deliveries of one group task on two workers) elect one
fetcher with a short Redis lock; the others wait for its candles. A source that is behind
(no candle closed at the slot yet) is kept for a few seconds only, so a later read can
find the slot's candle. Redis down: reads go to the source, logged.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections import OrderedDict

import numpy as np
import redis

from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.candles import Candles
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports import MarketData

log = logging.getLogger(__name__)

BEHIND_TTL_S = 5
MEMO_ENTRIES = 256
FETCH_LEASE_S = 10.0  # how long the other readers wait for the one that fetches
_POLL_S = 0.02
_HEADER = struct.Struct("<I")


def pack_candles(candles: Candles) -> bytes:
    """Encode candles as bytes: their count, then each array's little-endian values."""
    arrays = (
        candles.open_time.astype("<i8"),
        *(a.astype("<f8") for a in (candles.open, candles.high, candles.low, candles.close)),
        candles.volume.astype("<f8"),
    )
    return _HEADER.pack(len(candles)) + b"".join(a.tobytes() for a in arrays)


def unpack_candles(data: bytes) -> Candles:
    """Decode what `pack_candles` wrote (the arrays are read-only views of `data`)."""
    (count,) = _HEADER.unpack_from(data)
    step = 8 * count

    def array(index: int, dtype: str) -> np.ndarray:
        return np.frombuffer(data, dtype=dtype, count=count, offset=_HEADER.size + index * step)

    return Candles(
        array(0, "<i8").astype(np.int64, copy=False),
        *(array(i, "<f8").astype(np.float64, copy=False) for i in range(1, 6)),
    )


def is_complete(candles: Candles, timeframe: str, until: int) -> bool:
    """Tell whether the last candle is the one that closed last at or before `until`."""
    seconds = timeframe_seconds(timeframe)
    if not len(candles):
        return False
    return int(candles.open_time[-1]) + seconds == until - until % seconds


class SharedCandles:
    """A MarketData that reads through a memo and Redis to `source` (see the module)."""

    def __init__(
        self,
        source: MarketData,
        client: redis.Redis,
        names: Names,
        exchange: str,
        ttl_s: int,
    ) -> None:
        self._source = source
        self._redis = client
        self._names = names
        self._exchange = exchange
        self._ttl_s = ttl_s
        self._memo: OrderedDict[str, tuple[float, Candles]] = OrderedDict()
        self._guard = threading.Lock()

    def closed_candles(
        self, symbol: Symbol, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        """Return up to `limit` candles that closed at or before `until`, oldest first."""
        key = self._names.key(
            "candles", self._exchange, position_type.value, symbol, timeframe, until, limit
        )
        now = time.monotonic()
        with self._guard:
            memo = self._memo.get(key)
            if memo is not None and memo[0] > now:
                self._memo.move_to_end(key)
                return memo[1]
        candles = self._shared(key)
        if candles is None:
            # Elected or not, look again: the fetcher may have shared them just now.
            elected = self._fetcher(key)
            candles = self._shared(key) if elected else self._wait_for(key)
        ttl = self._ttl_s
        if candles is None:
            candles = self._source.closed_candles(symbol, timeframe, position_type, until, limit)
            ttl = self._ttl_s if is_complete(candles, timeframe, until) else BEHIND_TTL_S
            self._share(key, candles, ttl)
        elif not is_complete(candles, timeframe, until):
            ttl = BEHIND_TTL_S
        with self._guard:
            self._memo[key] = (now + ttl, candles)
            while len(self._memo) > MEMO_ENTRIES:
                self._memo.popitem(last=False)
        return candles

    def _shared(self, key: str) -> Candles | None:
        try:
            data = self._redis.get(key)
        except redis.RedisError as e:
            log.warning("candle cache unavailable, reading the source: %s", e)
            return None
        return None if data is None else unpack_candles(bytes(data))  # type: ignore[arg-type]

    def _fetcher(self, key: str) -> bool:
        """Tell whether this reader fetches (the others wait); Redis down: everyone does."""
        try:
            return bool(
                self._redis.set(f"{key}:fetching", 1, nx=True, px=int(FETCH_LEASE_S * 1000))
            )
        except redis.RedisError:
            return True

    def _wait_for(self, key: str) -> Candles | None:
        """Wait for the fetcher's candles; None when it gave none in time (fetch, then)."""
        deadline = time.monotonic() + FETCH_LEASE_S
        while time.monotonic() < deadline:
            time.sleep(_POLL_S)
            candles = self._shared(key)
            if candles is not None:
                return candles
        return None

    def _share(self, key: str, candles: Candles, ttl: int) -> None:
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.set(key, pack_candles(candles), ex=ttl)
            pipe.delete(f"{key}:fetching")
            pipe.execute()
        except redis.RedisError as e:
            log.warning("candle cache unavailable, not shared: %s", e)

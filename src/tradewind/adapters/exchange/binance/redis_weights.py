"""A `WeightStore` in Redis, so every process behind one IP shares one Binance budget."""

from __future__ import annotations

import time
from typing import Any

import redis

from tradewind.adapters.exchange.binance.governor import WINDOW_SECONDS

# Reserve `weight` in a window unless the total would pass the limit (atomically).
_RESERVE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local weight = tonumber(ARGV[1])
if used + weight > tonumber(ARGV[2]) then return -1 end
local total = redis.call('INCRBY', KEYS[1], weight)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return total
"""
# The same, in one round trip with the checks before it: no block holds (KEYS[2] against
# ARGV[4], now) and the total stays within ARGV[2] (the mark past which requests are paced).
_RESERVE_BEFORE = """
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > tonumber(ARGV[4]) then return -1 end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local weight = tonumber(ARGV[1])
if used + weight > tonumber(ARGV[2]) then return -1 end
local total = redis.call('INCRBY', KEYS[1], weight)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return total
"""
# Raise a window's count to what Binance reported, never lower it.
_OBSERVE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > used then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 0
"""
_BLOCK = """
local blocked = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > blocked then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 0
"""


class RedisWeightStore:
    """The used weight per minute window of one Binance host, kept in Redis."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._reserve: Any = client.register_script(_RESERVE)
        self._reserve_before: Any = client.register_script(_RESERVE_BEFORE)
        self._observe: Any = client.register_script(_OBSERVE)
        self._block: Any = client.register_script(_BLOCK)

    @classmethod
    def from_url(cls, url: str, host: str) -> RedisWeightStore:
        """Connect to Redis at `url`; the budget is the one of Binance host `host`."""
        return cls(redis.Redis.from_url(url), f"tradewind:weight:{host}")

    def _key(self, window: int) -> str:
        return f"{self._prefix}:{window}"

    def reserve(self, window: int, weight: int, limit: int) -> int | None:
        total = int(
            self._reserve(keys=[self._key(window)], args=[weight, limit, 2 * WINDOW_SECONDS])
        )
        return None if total < 0 else total

    def reserve_before(self, window: int, weight: int, mark: int, now: float) -> int | None:
        keys = [self._key(window), f"{self._prefix}:blocked"]
        args = [weight, mark, 2 * WINDOW_SECONDS, repr(now)]
        total = int(self._reserve_before(keys=keys, args=args))
        return None if total < 0 else total

    def used(self, window: int) -> int:
        value = self._redis.get(self._key(window))
        return 0 if value is None else int(value)

    def observe(self, window: int, used: int) -> None:
        self._observe(keys=[self._key(window)], args=[used, 2 * WINDOW_SECONDS])

    def block_until(self, until: float) -> None:
        # Keep the block a little past its end so a slow reader still sees it.
        ttl = max(1, int(until - time.time()) + 5)
        self._block(keys=[f"{self._prefix}:blocked"], args=[repr(until), ttl])

    def blocked_until(self) -> float:
        value = self._redis.get(f"{self._prefix}:blocked")
        return 0.0 if value is None else float(value)

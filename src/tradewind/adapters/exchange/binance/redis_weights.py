"""A `WeightStore` in Redis, so every process behind one IP shares one Binance budget.

Redis away: no request may go without its weight reserved, so reading the budget fails
with `WeightBudgetAway` (temporary: retried with backoff, then the call fails and nothing
was sent; an order's tick records it unplaced, naming Redis, and the bot tries again at a
later slot). What only raises the count after an answer (the weight Binance reported, a
429's block) is best effort: logged, never turning an answered request into an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from tradewind.adapters.exchange.binance.errors import BinanceTemporary
from tradewind.adapters.exchange.binance.governor import WINDOW_SECONDS

log = logging.getLogger(__name__)
T = TypeVar("T")
TIMEOUT_S = 5.0  # a Redis that hangs is away too: a request waits this long at most


class WeightBudgetAway(BinanceTemporary):
    """The shared weight budget (Redis) cannot be read: nothing is sent until it is back."""


def _budget(read: Callable[[], T]) -> T:
    try:
        return read()
    except redis.RedisError as e:
        raise WeightBudgetAway(
            f"Binance weight budget unavailable (Redis away: {type(e).__name__}: {e}); nothing sent"
        ) from e


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
        client = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S
        )
        return cls(client, f"tradewind:weight:{host}")

    def _key(self, window: int) -> str:
        return f"{self._prefix}:{window}"

    def reserve(self, window: int, weight: int, limit: int) -> int | None:
        args = [weight, limit, 2 * WINDOW_SECONDS]
        total = int(_budget(lambda: self._reserve(keys=[self._key(window)], args=args)))
        return None if total < 0 else total

    def reserve_before(self, window: int, weight: int, mark: int, now: float) -> int | None:
        keys = [self._key(window), f"{self._prefix}:blocked"]
        args = [weight, mark, 2 * WINDOW_SECONDS, repr(now)]
        total = int(_budget(lambda: self._reserve_before(keys=keys, args=args)))
        return None if total < 0 else total

    def used(self, window: int) -> int:
        value = _budget(lambda: self._redis.get(self._key(window)))
        return 0 if value is None else int(value)

    def observe(self, window: int, used: int) -> None:
        try:
            self._observe(keys=[self._key(window)], args=[used, 2 * WINDOW_SECONDS])
        except redis.RedisError as e:
            log.warning("Binance's used weight not recorded (Redis away): %s", e)

    def block_until(self, until: float) -> None:
        # Keep the block a little past its end so a slow reader still sees it.
        ttl = max(1, int(until - time.time()) + 5)
        try:
            self._block(keys=[f"{self._prefix}:blocked"], args=[repr(until), ttl])
        except redis.RedisError as e:
            log.warning("Binance's rate-limit block not shared (Redis away): %s", e)

    def blocked_until(self) -> float:
        value = _budget(lambda: self._redis.get(f"{self._prefix}:blocked"))
        return 0.0 if value is None else float(value)

"""Retries with exponential backoff and full jitter, and the rule of what may be retried.

Full jitter (a delay drawn uniformly from [0, min(cap, base * 2**attempt)]) spreads the
retries of many bots hitting one limit at once, so they do not come back in step.

What is retried:
- rate limits (429/418, -1003, -1015): after Retry-After when Binance gives one;
- -1021: after resynchronizing the clock offset;
- busy/throttled (-1008) and, for reads only, no answer or a 5xx;
- an order whose outcome is unknown is NEVER resent: `OutcomeUnknown` goes up to the tick,
  which marks it UNKNOWN and settles it by client order id.
Everything else (rejections, credentials, configuration) goes up at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tradewind.adapters.exchange.binance.errors import (
    BinanceClockSkew,
    BinanceOutcomeUnknown,
    BinanceRateLimited,
    BinanceTemporary,
)

T = TypeVar("T")


@dataclass(slots=True)
class RetryPolicy:
    """How often and how patiently to retry (`BINANCE_RETRY_MAX_ATTEMPTS`, `..._BACKOFF_BASE`)."""

    max_attempts: int = 5
    backoff_base: float = 0.5  # seconds
    backoff_cap: float = 30.0  # seconds; no single wait is longer (Retry-After aside)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.backoff_base < 0 or self.backoff_cap < 0:
            raise ValueError("backoff_base and backoff_cap must be >= 0")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Return the wait before retry number `attempt` (0 = the first retry)."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2**attempt)
        jittered = self.rng.uniform(0, ceiling)
        if retry_after is not None:
            return max(retry_after, jittered)
        return jittered


def call_with_retries(
    policy: RetryPolicy,
    action: Callable[[], T],
    *,
    idempotent: bool,
    resync_clock: Callable[[], None],
    on_rate_limited: Callable[[float | None], None] = lambda _after: None,
) -> T:
    """Run `action`, retrying what the module docstring says may be retried.

    `idempotent`: the call changes nothing (a read), so a lost answer may be asked again.
    """
    attempt = 0
    while True:
        try:
            return action()
        except BinanceRateLimited as e:
            if attempt + 1 >= policy.max_attempts:
                raise
            on_rate_limited(e.retry_after)
            wait = policy.delay(attempt, e.retry_after)
        except BinanceClockSkew:
            if attempt + 1 >= policy.max_attempts:
                raise
            resync_clock()
            wait = 0.0
        except BinanceTemporary:
            if attempt + 1 >= policy.max_attempts:
                raise
            wait = policy.delay(attempt)
        except BinanceOutcomeUnknown as e:
            if not idempotent:
                raise
            if attempt + 1 >= policy.max_attempts:
                # A read that got no answer changed nothing: to the caller it is temporary.
                raise BinanceTemporary(str(e)) from e
            wait = policy.delay(attempt)
        policy.sleep(wait)
        attempt += 1

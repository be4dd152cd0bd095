"""The request-weight governor: one budget per Binance host, shared by every bot.

Binance counts request weight per IP in calendar-minute windows and says the count on
every response (`X-MBX-USED-WEIGHT-1M`). The governor keeps that count — what it reserved
before each request, raised to what the header says after — and before each request:
- waits out a ban or a Retry-After that any bot got (`rate_limited`);
- past `slow_at` of the limit (80 %), spreads the rest of the budget over the rest of the
  window (each request waits its share), so bots slow down instead of hitting the wall;
- at the limit, waits for the next window.

The budget lives in a `WeightStore`: in-process (all bots of one process) or in Redis (all
processes behind one IP), so several workers share one limit as Binance sees it. Most
requests find no block and the budget below the mark: one store call then both checks and
reserves (`reserve_before`), one round trip to Redis instead of three; and a header that says
no more than the store already holds is not written back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

WINDOW_SECONDS = 60


class WeightStore(Protocol):
    """Where the used weight of each minute window is kept."""

    def reserve(self, window: int, weight: int, limit: int) -> int | None:
        """Add `weight` to `window` unless that passes `limit`; return the new total or None."""
        ...

    def used(self, window: int) -> int:
        """Return the weight used in `window` so far."""
        ...

    def observe(self, window: int, used: int) -> None:
        """Raise the window's count to `used` (what Binance reported), never lower it."""
        ...

    def reserve_before(self, window: int, weight: int, mark: int, now: float) -> int | None:
        """Add `weight` to `window` if no block holds at `now` and the total stays within
        `mark`; return the new total, or None (nothing added: the caller paces)."""
        ...

    def block_until(self, until: float) -> None:
        """Stop every request until `until` (Unix seconds), unless a later block holds."""
        ...

    def blocked_until(self) -> float:
        """Return the time before which no request may go (0 when none)."""
        ...


class LocalWeightStore:
    """A weight store for the bots of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        self._used = 0
        self._blocked = 0.0

    def _roll(self, window: int) -> None:
        if window != self._window:
            self._window, self._used = window, 0

    def reserve(self, window: int, weight: int, limit: int) -> int | None:
        with self._lock:
            self._roll(window)
            if self._used + weight > limit:
                return None
            self._used += weight
            return self._used

    def used(self, window: int) -> int:
        with self._lock:
            self._roll(window)
            return self._used

    def observe(self, window: int, used: int) -> None:
        with self._lock:
            self._roll(window)
            self._used = max(self._used, used)

    def reserve_before(self, window: int, weight: int, mark: int, now: float) -> int | None:
        with self._lock:
            if self._blocked > now:
                return None
            self._roll(window)
            if self._used + weight > mark:
                return None
            self._used += weight
            return self._used

    def block_until(self, until: float) -> None:
        with self._lock:
            self._blocked = max(self._blocked, until)

    def blocked_until(self) -> float:
        with self._lock:
            return self._blocked


class WeightGovernor:
    """Paces requests to one Binance host so its weight limit is never reached."""

    def __init__(
        self,
        limit: int,
        store: WeightStore | None = None,
        *,
        slow_at: float = 0.8,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        if not 0 < slow_at <= 1:
            raise ValueError(f"slow_at must be in (0, 1], got {slow_at}")
        self.limit = limit
        self.slow_at = slow_at
        self.store = store or LocalWeightStore()
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0  # seconds spent waiting, for benchmarks and tests
        # The highest count the store is known to hold, by window: a header at or below it
        # changes nothing there (counts only grow within a window).
        self._known = (-1, 0)

    def acquire(self, weight: int) -> None:
        """Wait until a request of `weight` may go, then count it."""
        weight = max(0, min(weight, self.limit))
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        total = self.store.reserve_before(window, weight, int(self.limit * self.slow_at), now)
        if total is not None:  # no block, well below the limit: gone at once
            self._saw(window, total)
            return
        while True:
            now = self._clock()
            blocked = self.store.blocked_until()
            if blocked > now:
                self._wait(blocked - now)
                continue
            window = int(now // WINDOW_SECONDS)
            window_end = (window + 1) * WINDOW_SECONDS
            used = self.store.used(window)
            if used + weight > self.limit * self.slow_at and weight > 0:
                # Spread what is left of the budget over what is left of the window.
                left = max(self.limit - used, 1)
                share = (window_end - now) * weight / left
                if used + weight > self.limit:
                    self._wait(window_end - now + 0.05)
                    continue
                self._wait(min(share, window_end - now))
                if int(self._clock() // WINDOW_SECONDS) != window:
                    continue  # a new window began while waiting: count it there
            if self.store.reserve(window, weight, self.limit) is not None:
                return

    def observe(self, used: int) -> None:
        """Take the used weight Binance reported on a response."""
        window = int(self._clock() // WINDOW_SECONDS)
        known_window, known = self._known
        if known_window == window and used <= known:
            return  # the store holds as much already
        self.store.observe(window, used)
        self._saw(window, used)

    def _saw(self, window: int, total: int) -> None:
        known_window, known = self._known
        self._known = (window, max(total, known) if known_window == window else total)

    def rate_limited(self, retry_after: float | None) -> None:
        """Stop every request after a 429/418: for Retry-After, else to the window's end."""
        now = self._clock()
        if retry_after is None:
            until = float((int(now // WINDOW_SECONDS) + 1) * WINDOW_SECONDS)
        else:
            until = now + retry_after
        self.store.block_until(until)

    def used(self) -> int:
        """Return the weight counted in the current window."""
        return self.store.used(int(self._clock() // WINDOW_SECONDS))

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            self._sleep(seconds)

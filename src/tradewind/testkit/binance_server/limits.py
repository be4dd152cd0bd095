"""Binance's rate limits: request weight per IP and minute, order counts per account, bans.

Each market (spot `/api`, USDⓈ-M `/fapi`) keeps its own weight per IP in fixed windows of
the wall clock's minutes, as Binance counts them; `/sapi` counts a weight per account
(UID) instead. Every request adds its weight, even one that goes over the limit: it gets
HTTP 429 with `Retry-After` (seconds to the window's end); a client that sends more than
`requests_before_ban` over-limit requests in one window is banned, HTTP 418, for
`ban_seconds`. Order placements also count per account in Binance's intervals (spot 10 s
and a day, futures 10 s and a minute); one too many gets HTTP 429 -1015.

The limits are configuration, so a test can reach them in a handful of requests.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from enum import StrEnum

from tradewind.testkit.binance_server.errors import BinanceError

MINUTE_MS = 60_000
DAY_MS = 86_400_000
WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
UID_WEIGHT_HEADER = "X-SAPI-USED-UID-WEIGHT-1M"


class Market(StrEnum):
    """Which of Binance's API families a path belongs to; each has its own budget."""

    SPOT = "spot"
    FUTURES = "futures"
    SAPI = "sapi"


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits the server enforces (Binance's published values by default)."""

    spot_weight_per_minute: int = 6_000
    futures_weight_per_minute: int = 2_400
    sapi_uid_weight_per_minute: int = 180_000
    spot_orders_per_10s: int = 100
    spot_orders_per_day: int = 200_000
    futures_orders_per_10s: int = 300
    futures_orders_per_minute: int = 1_200
    requests_before_ban: int = 5  # over-limit requests in one window; the next one is banned
    ban_seconds: int = 120

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            floor = 0 if name == "requests_before_ban" else 1
            if not isinstance(value, int) or value < floor:
                raise ValueError(f"Limits.{name} must be a whole number >= {floor}, got {value!r}")

    def weight_limit(self, market: Market) -> int:
        """Return the request-weight limit per minute of `market`."""
        if market is Market.FUTURES:
            return self.futures_weight_per_minute
        if market is Market.SAPI:
            return self.sapi_uid_weight_per_minute
        return self.spot_weight_per_minute

    def order_intervals(self, market: Market) -> list[OrderInterval]:
        """Return the order-count intervals of `market` in exchangeInfo's order (none: /sapi)."""
        if market is Market.SPOT:
            return [
                OrderInterval("10S", "10 SECOND", 10_000, self.spot_orders_per_10s),
                OrderInterval("1D", "1 DAY", DAY_MS, self.spot_orders_per_day),
            ]
        if market is Market.FUTURES:
            return [
                OrderInterval("1M", "1 MINUTE", MINUTE_MS, self.futures_orders_per_minute),
                OrderInterval("10S", "10 SECOND", 10_000, self.futures_orders_per_10s),
            ]
        return []


@dataclass(frozen=True, slots=True)
class OrderInterval:
    """One order-count interval: header suffix, Binance's words for it, length, limit."""

    suffix: str
    words: str
    length_ms: int
    limit: int


@dataclass(slots=True)
class _Window:
    index: int = -1
    used: int = 0
    over: int = 0

    def at(self, index: int) -> _Window:
        if index != self.index:
            self.index, self.used, self.over = index, 0, 0
        return self


@dataclass(slots=True)
class _Budget:
    window: _Window = field(default_factory=_Window)
    banned_until: int = 0


def _seconds_until(moment_ms: int, now_ms: int) -> str:
    return str(max(1, math.ceil((moment_ms - now_ms) / 1000)))


class RateLimiter:
    """Counts request weight and orders; raises Binance's 429 / 418 answers. Thread-safe."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._weights: dict[tuple[str, Market], _Budget] = {}
        self._orders: dict[tuple[int, Market, str], _Window] = {}

    def used_weight(self, key: str, market: Market, now_ms: int) -> int:
        """Return the weight `key` (an IP, or an account for /sapi) used this minute."""
        with self._lock:
            budget = self._weights.get((key, market))
            if budget is None:
                return 0
            return budget.window.at(now_ms // MINUTE_MS).used

    def charge(self, key: str, market: Market, weight: int, now_ms: int) -> int:
        """Add a request's weight for `key` and return the minute's total.

        Raises HTTP 418 while `key` is banned (nothing counted), HTTP 429 -1003 when the
        total goes over the limit, and HTTP 418 (a new ban) when `key` keeps sending then.
        """
        limit = self.limits.weight_limit(market)
        with self._lock:
            budget = self._weights.setdefault((key, market), _Budget())
            window = budget.window.at(now_ms // MINUTE_MS)
            if budget.banned_until > now_ms:
                raise _banned(budget.banned_until, now_ms, window.used)
            window.used += weight
            if window.used <= limit:
                return window.used
            window.over += 1
            if window.over > self.limits.requests_before_ban:
                budget.banned_until = now_ms + self.limits.ban_seconds * 1000
                raise _banned(budget.banned_until, now_ms, window.used)
            window_end = (window.index + 1) * MINUTE_MS
            raise BinanceError(
                429,
                -1003,
                f"Too much request weight used; current limit is {limit} request weight per "
                "1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the "
                "API.",
                {
                    "Retry-After": _seconds_until(window_end, now_ms),
                    WEIGHT_HEADER: str(window.used),
                },
            )

    def count_order(
        self, account_id: int, market: Market, now_ms: int, orders: int = 1
    ) -> dict[str, str]:
        """Count new orders of the account (an OCO is two); return the order-count headers.

        Raises HTTP 429 -1015 (with the headers) when an interval's limit is exceeded.
        """
        with self._lock:
            headers: dict[str, str] = {}
            exceeded: OrderInterval | None = None
            for interval in self.limits.order_intervals(market):
                window = self._orders.setdefault((account_id, market, interval.suffix), _Window())
                window = window.at(now_ms // interval.length_ms)
                window.used += orders
                headers[f"X-MBX-ORDER-COUNT-{interval.suffix}"] = str(window.used)
                if window.used > interval.limit and exceeded is None:
                    exceeded = interval
        if exceeded is not None:
            window_end = (now_ms // exceeded.length_ms + 1) * exceeded.length_ms
            raise BinanceError(
                429,
                -1015,
                f"Too many new orders; current limit is {exceeded.limit} orders per "
                f"{exceeded.words}.",
                {**headers, "Retry-After": _seconds_until(window_end, now_ms)},
            )
        return headers

    def order_counts(
        self, account_id: int, market: Market, now_ms: int
    ) -> list[tuple[OrderInterval, int]]:
        """Return the account's order count in each of the market's intervals."""
        with self._lock:
            counts = []
            for interval in self.limits.order_intervals(market):
                window = self._orders.get((account_id, market, interval.suffix))
                index = now_ms // interval.length_ms
                counts.append((interval, window.used if window and window.index == index else 0))
            return counts

    def uncount_filled(
        self, account_id: int, market: Market, now_ms: int, filled: int
    ) -> dict[str, str]:
        """Take `filled` orders that traded at once off the counts; return the new headers.

        Binance's spot ORDERS limit counts unfilled orders: an order that fills (partly or
        fully) for the first time takes one off every interval's count.
        """
        with self._lock:
            headers: dict[str, str] = {}
            for interval in self.limits.order_intervals(market):
                window = self._orders.setdefault((account_id, market, interval.suffix), _Window())
                window = window.at(now_ms // interval.length_ms)
                window.used = max(0, window.used - filled)
                headers[f"X-MBX-ORDER-COUNT-{interval.suffix}"] = str(window.used)
        return headers


def _banned(until_ms: int, now_ms: int, used: int) -> BinanceError:
    return BinanceError(
        418,
        -1003,
        f"Way too much request weight used; IP banned until {until_ms}. Please use WebSocket "
        "Streams for live updates to avoid bans.",
        {"Retry-After": _seconds_until(until_ms, now_ms), WEIGHT_HEADER: str(used)},
    )

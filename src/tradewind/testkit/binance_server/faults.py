"""Faults a test switches on: what goes wrong, how often, on which paths, before or after the work.

    plan.add(Fault(FaultMode.TIMEOUT_AFTER_ACCEPT, rate=0.2, paths=("POST /api/v3/order",)))
    plan.add(Fault.from_json({"mode": "transient_-2013", "count": 2}))

Each request draws, rule by rule in the order they were added, from the plan's seeded
generator; the first rule that hits is the request's fault (at most one per request). So a
run whose requests arrive in the same order is faulted the same way. A rule with `count`
is spent after faulting that many requests.

Modes, and where they act:
- `latency` (`ms`): wait, then answer as usual.
- `timeout_after_accept`: do the work, then never answer: hold the connection until the
  client gives up (or `hold_ms` passes, or the server stops), then close it; `hold_ms` 0
  closes at once without an answer.
- `http_500`, `http_503`: HTTP 5xx before the work, or after it with `after: true`.
- `code_-1003` (429 + Retry-After), `code_-1015` (429), `code_-1021` (400): before the work;
  `code_-1015` only on order placements unless `paths` says otherwise. Retry-After is the
  rest of the window, or `ms` rounded up to whole seconds when given.
- `code_-1007`: HTTP 408 -1007 after the work (the outcome is unknown to the client).
- `transient_-2013`: each order placed while it is on (with probability `rate`) is
  reported as -2013 "Order does not exist." by its next `count` lookups (default 1).
- `connection_reset`: TCP RST (SO_LINGER 0, then close) before the work, or after it.
- `skew_ms` (`ms`): the server's clock runs `ms` ahead (negative: behind), until cleared.

`paths` are shell patterns matched against "METHOD /path" and "/path"
(e.g. "POST /fapi/v1/order", "/fapi/*"); none means every Binance path.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase


class FaultMode(StrEnum):
    """What goes wrong with a request."""

    LATENCY = "latency"
    TIMEOUT_AFTER_ACCEPT = "timeout_after_accept"
    HTTP_500 = "http_500"
    HTTP_503 = "http_503"
    CODE_1003 = "code_-1003"
    CODE_1015 = "code_-1015"
    CODE_1021 = "code_-1021"
    CODE_1007 = "code_-1007"
    TRANSIENT_2013 = "transient_-2013"
    CONNECTION_RESET = "connection_reset"
    SKEW_MS = "skew_ms"

    @property
    def acts_after_work(self) -> bool:
        """Tell whether the request is carried out before this fault shows (always)."""
        return self in (FaultMode.TIMEOUT_AFTER_ACCEPT, FaultMode.CODE_1007)


_WITH_AFTER = (FaultMode.HTTP_500, FaultMode.HTTP_503, FaultMode.CONNECTION_RESET)
_NOT_PER_REQUEST = (FaultMode.TRANSIENT_2013, FaultMode.SKEW_MS)
_FIELDS = {"mode", "rate", "paths", "count", "ms", "after", "hold_ms"}


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault rule; see the module docstring for each mode's fields."""

    mode: FaultMode
    rate: float = 1.0
    paths: tuple[str, ...] = ()
    count: int | None = None
    ms: int = 0
    after: bool = False
    hold_ms: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {self.rate}")
        if self.count is not None and self.count < 1:
            raise ValueError(f"count must be >= 1, got {self.count}")
        if self.mode is FaultMode.LATENCY and self.ms <= 0:
            raise ValueError("latency needs ms > 0")
        if self.hold_ms is not None and self.hold_ms < 0:
            raise ValueError(f"hold_ms must be >= 0, got {self.hold_ms}")
        if self.after and self.mode not in _WITH_AFTER:
            raise ValueError(f"after applies to {', '.join(_WITH_AFTER)} only")

    @property
    def is_after_work(self) -> bool:
        """Tell whether the request's work is done before the fault shows."""
        return self.after or self.mode.acts_after_work

    def applies_to(self, method: str, path: str, places_order: bool) -> bool:
        """Tell whether this rule covers a request to `method path`."""
        if self.paths:
            target = f"{method} {path}"
            return any(fnmatchcase(target, p) or fnmatchcase(path, p) for p in self.paths)
        return places_order or self.mode is not FaultMode.CODE_1015

    @classmethod
    def from_json(cls, doc: Mapping[str, object]) -> Fault:
        """Build a rule from the JSON of `POST /_tradewind/faults`; ValueError names the field."""
        unknown = sorted(set(doc) - _FIELDS)
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {sorted(_FIELDS)}")
        raw_mode = doc.get("mode")
        try:
            mode = FaultMode(str(raw_mode))
        except ValueError:
            known = ", ".join(m.value for m in FaultMode)
            raise ValueError(f"mode must be one of {known}, got {raw_mode!r}") from None
        paths = doc.get("paths", [])
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ValueError("paths must be a list of strings")
        count = doc.get("count")
        hold_ms = doc.get("hold_ms")
        return cls(
            mode=mode,
            rate=_number(doc.get("rate", 1.0), "rate"),
            paths=tuple(paths),
            count=None if count is None else _whole(count, "count"),
            ms=_whole(doc.get("ms", 0), "ms"),
            after=_flag(doc.get("after", False), "after"),
            hold_ms=None if hold_ms is None else _whole(hold_ms, "hold_ms"),
        )

    def to_json(self) -> dict[str, object]:
        """Return the rule as `GET /_tradewind/faults` shows it."""
        return {
            "mode": self.mode.value,
            "rate": self.rate,
            "paths": list(self.paths),
            "count": self.count,
            "ms": self.ms,
            "after": self.after,
            "hold_ms": self.hold_ms,
        }


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return value


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


@dataclass(slots=True)
class _Rule:
    fault: Fault
    remaining: int | None


OrderKey = tuple[int, str, int]  # (account id, market, exchange order id)


class FaultPlan:
    """The server's active faults, drawn from a seeded generator. Thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(f"tradewind-binance-faults:{seed}")
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._skew_ms = 0
        self._shy: dict[OrderKey, int] = {}
        self._injected: Counter[str] = Counter()

    def add(self, fault: Fault) -> None:
        """Switch a fault on (skew_ms sets the clock offset instead of adding a rule)."""
        with self._lock:
            if fault.mode is FaultMode.SKEW_MS:
                self._skew_ms = fault.ms
            else:
                self._rules.append(_Rule(fault, fault.count))

    def clear(self) -> None:
        """Switch every fault off, the clock offset and pending -2013 lookups included."""
        with self._lock:
            self._rules.clear()
            self._shy.clear()
            self._skew_ms = 0

    @property
    def skew_ms(self) -> int:
        """How far the server's clock runs ahead of the wall clock, in ms."""
        return self._skew_ms

    def rules(self) -> list[dict[str, object]]:
        """Return the active rules as JSON data."""
        with self._lock:
            return [{**r.fault.to_json(), "remaining": r.remaining} for r in self._rules]

    def pick(self, method: str, path: str, places_order: bool) -> Fault | None:
        """Return the fault of one request, if a rule hits it (using one of its count)."""
        with self._lock:
            for rule in self._rules:
                fault = rule.fault
                if fault.mode in _NOT_PER_REQUEST:
                    continue
                if not fault.applies_to(method, path, places_order):
                    continue
                if self._rng.random() >= fault.rate:
                    continue
                self._use(rule)
                return fault
        return None

    def order_placed(self, key: OrderKey) -> None:
        """Let an active transient_-2013 rule make the new order's next lookups say -2013."""
        with self._lock:
            for rule in self._rules:
                if rule.fault.mode is FaultMode.TRANSIENT_2013 and self._rng.random() < (
                    rule.fault.rate
                ):
                    self._shy[key] = rule.fault.count or 1
                    return

    def hides(self, key: OrderKey) -> bool:
        """Tell whether this lookup of the order must say -2013 (using one such lookup)."""
        with self._lock:
            remaining = self._shy.get(key, 0)
            if remaining <= 0:
                return False
            if remaining == 1:
                del self._shy[key]
            else:
                self._shy[key] = remaining - 1
            self._injected[FaultMode.TRANSIENT_2013.value] += 1
            return True

    def injected(self) -> dict[str, int]:
        """Return how many faults each mode injected so far."""
        with self._lock:
            return dict(self._injected)

    def _use(self, rule: _Rule) -> None:
        self._injected[rule.fault.mode.value] += 1
        if rule.remaining is not None:
            rule.remaining -= 1
            if rule.remaining == 0:
                self._rules.remove(rule)

"""Faults a test can inject into the simulated venue's calls.

    venue.faults.schedule(FaultMode.TIMEOUT_AFTER_ACCEPT, call="place_market_order")
    venue.faults.set_rate(FaultMode.TEMPORARY, 0.1)          # every call, 10 %, seeded

Scheduled faults are used first, oldest first; then each rate draws from the venue's
seeded random generator, so a run with faults is as repeatable as one without.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

ANY = "any"
# The calls of the Exchange port; "any" means one of these (not the venue's test helpers).
PORT_CALLS = frozenset(
    {
        "market_rules",
        "free_balance",
        "place_market_order",
        "find_order",
        "protect_position",
        "cancel_order",
        "set_leverage",
        "set_isolated_margin",
        "transfer_spot_to_futures",
        "position",
    }
)


class FaultMode(StrEnum):
    """What goes wrong with a call."""

    REJECT = "reject"  # OrderRejected; nothing done
    TIMEOUT_AFTER_ACCEPT = "timeout_after_accept"  # done (order placed), then OutcomeUnknown
    UNKNOWN_BEFORE = "unknown_before"  # OutcomeUnknown; nothing done
    TEMPORARY = "temporary"  # TemporaryExchangeError; nothing done

    @property
    def acts_first(self) -> bool:
        """Tell whether the call is carried out before the fault shows."""
        return self is FaultMode.TIMEOUT_AFTER_ACCEPT


@dataclass(slots=True)
class _Scheduled:
    mode: FaultMode
    call: str
    remaining: int


class Faults:
    """The venue's fault plan: scheduled faults, then seeded random ones."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._scheduled: deque[_Scheduled] = deque()
        self._rates: list[tuple[FaultMode, str, float]] = []

    def schedule(self, mode: FaultMode, call: str = ANY, count: int = 1) -> None:
        """Make the next `count` calls named `call` (an Exchange method, or "any") fail."""
        _check_call(call)
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        self._scheduled.append(_Scheduled(mode, call, count))

    def set_rate(self, mode: FaultMode, probability: float, call: str = ANY) -> None:
        """Make each call named `call` fail with `probability`, drawn from the seeded RNG."""
        _check_call(call)
        if not 0 <= probability <= 1:
            raise ValueError(f"probability must be in [0, 1], got {probability}")
        self._rates = [r for r in self._rates if (r[0], r[1]) != (mode, call)]
        if probability > 0:
            self._rates.append((mode, call, probability))

    def clear(self) -> None:
        """Remove every scheduled fault and rate."""
        self._scheduled.clear()
        self._rates.clear()

    def take(self, call: str) -> FaultMode | None:
        """Return the fault for this call, if any, using it up."""
        if call not in PORT_CALLS:
            return None
        for entry in self._scheduled:
            if entry.call in (call, ANY):
                entry.remaining -= 1
                if entry.remaining == 0:
                    self._scheduled.remove(entry)
                return entry.mode
        for mode, name, probability in self._rates:
            if name in (call, ANY) and self._rng.random() < probability:
                return mode
        return None


def _check_call(call: str) -> None:
    if call != ANY and call not in PORT_CALLS:
        raise ValueError(f"call must be 'any' or one of {sorted(PORT_CALLS)}, got {call!r}")

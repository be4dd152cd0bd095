"""How a tick ended."""

from __future__ import annotations

from enum import StrEnum


class TickOutcome(StrEnum):
    """How a tick ended."""

    DECIDED = "decided"
    BUSY = "busy"  # another tick of this bot is running: skipped, not waited for
    SLOT_TAKEN = "slot_taken"  # this slot was decided already
    INACTIVE = "inactive"
    UNRESOLVED = "unresolved"  # an order's outcome is still unknown: nothing new decided
    DEFERRED = "deferred"  # the exchange was unavailable: the next slot tries again
    ERROR = "error"  # the bot needs its owner
    FAILED = "failed"  # the tick raised (logged); the next slot tries again

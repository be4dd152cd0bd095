"""One decision for one bot at one slot (ARCHITECTURE.md §2), as a recipe."""

from tradewind.services.tick.batch import TickResult, run_ticks, run_ticks_one_by_one
from tradewind.services.tick.context import TickDeps
from tradewind.services.tick.outcome import TickOutcome
from tradewind.services.tick.run import run_tick

__all__ = [
    "TickDeps",
    "TickOutcome",
    "TickResult",
    "run_tick",
    "run_ticks",
    "run_ticks_one_by_one",
]

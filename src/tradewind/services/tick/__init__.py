"""One decision for one bot at one slot (ARCHITECTURE.md §2), as a recipe."""

from tradewind.services.tick.context import TickDeps
from tradewind.services.tick.run import TickOutcome, run_tick

__all__ = ["TickDeps", "TickOutcome", "run_tick"]

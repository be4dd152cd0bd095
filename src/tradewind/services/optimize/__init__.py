"""Parameter search with walk-forward validation (`tradewind optimize`)."""

from tradewind.services.optimize.run import (
    OptimizeOutcome,
    OptimizeRequest,
    optimize,
    params_table,
)

__all__ = ["OptimizeOutcome", "OptimizeRequest", "optimize", "params_table"]

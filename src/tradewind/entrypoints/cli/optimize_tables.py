"""The optimizer's report: the plan, the best sets, the overfitting check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from tradewind.services.optimize import OptimizeOutcome


def _num(value: float | None, objective: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value * 100:+.3f}%" if objective == "return" else f"{value:.4g}"


def render_outcome(
    console: Console,
    outcome: OptimizeOutcome,
    show: int,
    table_path: Path,
    best_path: Path,
    elapsed: float,
) -> None:
    """Print what was searched, the top sets, the winner on held-out data, the warnings."""
    plan, cfg = outcome.plan, outcome.base
    sets = len(outcome.ranked) + len(outcome.invalid)
    console.print(
        f"Optimized {cfg.strategy.name} on {cfg.symbol} {cfg.position_type.value} "
        f"{cfg.timeframe} ({outcome.source}, {outcome.candles:,} candles): {sets:,} sets, "
        f"{len(plan.folds)} walk-forward folds, held out from candle {plan.holdout_start:,}; "
        f"{outcome.workers} processes, {elapsed:.1f} s"
    )
    if outcome.invalid:
        console.print(
            f"{len(outcome.invalid):,} sets were invalid (e.g. {outcome.invalid[0].error})"
        )
    top = Table(
        title=f"Best sets by out-of-sample {outcome.objective} (mean of folds)",
        title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
    )  # fmt: skip
    top.add_column("#", justify="right")
    for axis in outcome.space.axes:
        top.add_column(axis.name, justify="right")
    for column in ("in", "out", "trades"):
        top.add_column(column, justify="right")
    for rank, e in enumerate(outcome.ranked[:show], start=1):
        values = [
            "none" if e.params[a.name] is None else f"{e.params[a.name]}"
            for a in outcome.space.axes
        ]
        top.add_row(
            str(rank), *values, _num(e.in_mean, outcome.objective),
            _num(e.out_mean, outcome.objective), f"{e.trades_out:,}",
        )  # fmt: skip
    console.print(top)
    if outcome.ranked:
        held = _num(outcome.holdout_value, outcome.objective)
        console.print(
            f"held-out period: {outcome.objective} {held} "
            f"({outcome.holdout_trades:,} trades) for the best set"
        )
    for warning in outcome.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"every set: {table_path}")
    if outcome.best_config is not None:
        console.print(f"best config: {best_path} (tradewind bot create --config {best_path})")

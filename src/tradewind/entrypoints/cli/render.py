"""Rich rendering of backtest results for the terminal, and the --quiet JSON line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Types only: the quick `--quiet` backtest prints `summary_json` without rich.
    from rich.console import Console

    from tradewind.services.backtest.request import BacktestOutcome

PROGRESS_MIN_CANDLES = 200_000


@contextmanager
def progress_bar(console: Console, total: int) -> Iterator[Callable[[int], None]]:
    """Yield a callback that advances a progress bar; silent for short runs. Without a
    terminal (a log file, a pipe) it prints a line to stderr at every tenth instead."""
    if total < PROGRESS_MIN_CANDLES:
        yield lambda done: None
        return
    if not console.is_terminal:
        from rich.console import Console

        log = Console(stderr=True)  # the report keeps stdout to itself
        shown = [0]

        def line(done: int) -> None:
            tenth = done * 10 // total
            if tenth > shown[0]:
                shown[0] = tenth
                log.print(f"backtesting: {done:,} of {total:,} candles ({tenth * 10}%)")

        yield line
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("backtesting", total=total)
        yield lambda done: progress.update(task, completed=done)


def strategy_line(name: str, params: dict[str, Any]) -> str:
    """Show a strategy with its parameters: `ema_rsi (ema_fast 8, ema_slow 21, ...)`."""
    shown = ", ".join(f"{key} {value:g}" for key, value in params.items())
    return f"{name} ({shown})" if shown else name


def render_report(
    console: Console,
    outcome: BacktestOutcome,
    show_trades: int,
    elapsed: float,
    trades_out: Path | None,
    plot: Path | None,
) -> None:
    """Print the summary, the trader's figures, monthly returns, PnL by exit reason,
    skipped entries and the last trades."""
    from tradewind.entrypoints.cli import report_tables as tables

    for warning in outcome.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(tables.headline(outcome))
    console.print(tables.trade_figures(outcome))
    if len(outcome.stats.monthly) > 1:
        console.print(tables.monthly_returns(outcome))
    console.print(tables.by_exit_reason(outcome))
    if outcome.summary.skipped:
        console.print(tables.entries_not_taken(outcome))
    if show_trades and outcome.result.trades:
        console.print(tables.last_trades(outcome, show_trades))
    for label, path in (("trades", trades_out), ("chart", plot)):
        if path is not None:
            console.print(f"{label} written to {path}")
    console.print(f"[dim]{outcome.summary.candles:,} candles in {elapsed:.2f} s[/]")


def summary_json(outcome: BacktestOutcome, elapsed: float) -> dict[str, Any]:
    """Return the figures as JSON-ready values: every Decimal as its full text."""
    s, st = outcome.summary, outcome.stats
    dd = st.drawdown
    return {
        "symbol": outcome.config.symbol,
        "position_type": outcome.config.position_type.value,
        "timeframe": outcome.config.timeframe,
        "strategy": outcome.config.strategy.name,
        "strategy_params": outcome.config.strategy.param_values(),
        "candles": s.candles,
        "exit_candle_seconds": s.exit_seconds,
        "exits_approximated": s.exits_approximated,
        "start_time": s.start_time,
        "end_time": s.end_time,
        "trades": s.trades,
        "open_position": outcome.result.open_position is not None,
        "win_rate": round(s.win_rate, 6),
        "return_pct": float(s.total_return * 100),
        "return": str(s.total_return),
        "buy_and_hold_return": repr(s.buy_and_hold),
        "pnl": str(s.total_pnl),
        "fees": str(s.fees),
        "final_balance": str(s.final_balance),
        "gross_profit": str(st.gross_profit),
        "gross_loss": str(st.gross_loss),
        "profit_factor": None if st.profit_factor is None else str(st.profit_factor),
        "expectancy": None if st.expectancy is None else str(st.expectancy),
        "average_holding_s": st.average_holding,
        "longest_holding_s": st.longest_holding,
        "exposure": st.exposure,
        "max_drawdown_pct": round(s.max_drawdown * 100, 6),
        "max_drawdown_duration_s": dd.duration,
        "max_drawdown_recovered": dd.recovered,
        "sharpe": st.sharpe,
        "sortino": st.sortino,
        "ratios_note": st.ratios_note,
        "monthly_returns": {f"{m.year}-{m.month:02d}": m.ret for m in st.monthly},
        "pnl_by_reason": {k: str(v.pnl) for k, v in s.by_reason.items()},
        "trades_by_reason": {k: v.count for k, v in s.by_reason.items()},
        "skipped": s.skipped,
        "elapsed_s": round(elapsed, 4),
    }

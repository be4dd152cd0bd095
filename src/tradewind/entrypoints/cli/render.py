"""Rich rendering of backtest results for the terminal, and the --quiet JSON line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table

from tradewind.domain.types import ExitReason

if TYPE_CHECKING:
    from tradewind.services.backtest.request import BacktestOutcome

PROGRESS_MIN_CANDLES = 200_000


@contextmanager
def progress_bar(console: Console, total: int) -> Iterator[Callable[[int], None]]:
    """Yield a callback that advances a progress bar; silent for short runs."""
    if total < PROGRESS_MIN_CANDLES:
        yield lambda done: None
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


def _time(ts: int | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M")


_REASON_LABEL = {
    ExitReason.STOP_LOSS: "stop",
    ExitReason.TAKE_PROFIT: "target",
    ExitReason.TRAILING_STOP: "trail",
    ExitReason.SIGNAL: "signal",
}


def _price(value: Decimal, tick: Decimal) -> str:
    """Show a price to the market's tick (a stop level may carry more digits)."""
    shown = value.quantize(tick) if tick > 0 else value.normalize()
    return f"{shown:f}"


def _short_time(ts: int | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%m-%d %H:%M")


def _money(value: Decimal | float | None, places: int = 2) -> str:
    if value is None:
        return "-"
    return f"{Decimal(str(value)):,.{places}f}"


def _pct(value: float | Decimal) -> str:
    return f"{float(value) * 100:+.2f}%"


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
    """Print the summary, PnL by exit reason, skipped entries and the last trades."""
    s, cfg = outcome.summary, outcome.config
    for warning in outcome.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    head = Table(title=f"Backtest · {cfg.name}", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column()
    rows: list[tuple[str, str]] = [
        ("market", f"{cfg.symbol} {cfg.position_type.value} {cfg.timeframe}"),
        ("strategy", strategy_line(cfg.strategy.name, cfg.strategy.param_values())),
        ("data", outcome.source),
        ("period", f"{_time(s.start_time)} → {_time(s.end_time)} UTC ({s.candles:,} candles)"),
        ("leverage", str(outcome.spec.leverage)),
        ("trades", f"{s.trades:,}"),
        ("win rate", f"{s.win_rate * 100:.1f}%"),
        ("return", f"{_pct(s.total_return)} ({_money(s.total_pnl)} USDT)"),
        ("final balance", f"{_money(s.final_balance)} USDT"),
        ("max drawdown", f"{s.max_drawdown * 100:.2f}%"),
        ("fees", f"{_money(s.fees)} USDT"),
        ("Sharpe (daily, ×√365)", "n/a" if s.sharpe is None else f"{s.sharpe:.2f}"),
        ("buy and hold", _pct(s.buy_and_hold)),
    ]
    if outcome.result.open_position is not None:
        rows.append(("open position", f"unrealized {_money(s.open_pnl)} USDT"))
    for key, value in rows:
        head.add_row(key, value)
    console.print(head)

    reasons = Table(title="PnL by exit reason", title_justify="left")
    for col in ("reason", "trades", "PnL (USDT)"):
        reasons.add_column(col, justify="left" if col == "reason" else "right")
    for reason, tally in sorted(s.by_reason.items()):
        reasons.add_row(reason, f"{tally.count:,}", _money(tally.pnl))
    console.print(reasons)

    if s.skipped:
        skipped = Table(title="Entries not taken", title_justify="left")
        skipped.add_column("why")
        skipped.add_column("signals", justify="right")
        for why, count in sorted(s.skipped.items()):
            skipped.add_row(why, f"{count:,}")
        console.print(skipped)

    if show_trades and outcome.result.trades:
        _render_trades(console, outcome, show_trades)
    for label, path in (("trades", trades_out), ("chart", plot)):
        if path is not None:
            console.print(f"{label} written to {path}")
    console.print(f"[dim]{s.candles:,} candles in {elapsed:.2f} s[/]")


def _render_trades(console: Console, outcome: BacktestOutcome, count: int) -> None:
    trades = outcome.result.trades[-count:]
    table = Table(
        title=f"Last {len(trades)} trades (UTC)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    tick = outcome.spec.rules.tick_size
    for col in ("side", "entry", "price", "qty", "exit", "price", "reason", "PnL"):
        numeric = col in ("price", "qty", "PnL")
        table.add_column(col, justify="right" if numeric else "left", no_wrap=True)
    for t in trades:
        pnl = "-" if t.pnl is None else f"[{'green' if t.pnl > 0 else 'red'}]{_money(t.pnl, 4)}[/]"
        table.add_row(
            t.side.value,
            _short_time(t.entry_time),
            _price(t.entry_price, tick),
            f"{t.quantity:f}",
            _short_time(t.exit_time),
            "-" if t.exit_price is None else _price(t.exit_price, tick),
            "open" if t.exit_reason is None else _REASON_LABEL[t.exit_reason],
            pnl,
        )
    console.print(table)


def summary_json(outcome: BacktestOutcome, elapsed: float) -> dict[str, Any]:
    """Return the headline figures as JSON-ready values (Decimals as strings)."""
    s = outcome.summary
    return {
        "symbol": outcome.config.symbol,
        "position_type": outcome.config.position_type.value,
        "strategy": outcome.config.strategy.name,
        "strategy_params": outcome.config.strategy.param_values(),
        "candles": s.candles,
        "trades": s.trades,
        "open_position": outcome.result.open_position is not None,
        "win_rate": round(s.win_rate, 6),
        "return_pct": float(s.total_return * 100),
        "pnl": str(s.total_pnl),
        "fees": str(s.fees),
        "final_balance": str(s.final_balance),
        "max_drawdown_pct": round(s.max_drawdown * 100, 6),
        "sharpe": s.sharpe,
        "pnl_by_reason": {k: str(v.pnl) for k, v in s.by_reason.items()},
        "skipped": s.skipped,
        "elapsed_s": round(elapsed, 4),
    }

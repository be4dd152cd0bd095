"""Print the backtest benchmark's tables, footnotes and targets (rich when available)."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from typing import Any

BASELINE = "tradewind"
COLUMNS = [
    "tool", "trades", "return %", "wall s", "CPU s", "peak RSS MB", "in-process s",
    "backtest call s", "wall × best/median", "CPU × best/median", "RSS ×", "in-process ×",
    "call ×",
]  # fmt: skip

FOOTNOTES = [
    "× columns are anchor ÷ tradewind: above 1 means tradewind is faster (or smaller).",
    "wall × and CPU × are paired: each round of the round-robin runs every tool back to "
    "back, each anchor's run is divided by tradewind's (CSV) run of the same round, and "
    "the best and the median of those ratios are shown (the store row: store ÷ CSV).",
    "CPU s: that process's user + system CPU time (os.wait4), best of the runs: on a shared, "
    "loaded machine it drifts far less than wall time; the targets use it.",
    "wall s: the whole process (interpreter start, imports, CSV read, backtest, summary), "
    "best of the runs; peak RSS: that process's own ru_maxrss (os.wait4), highest of the runs.",
    "in-process s: tradewind = its own elapsed_s (CSV read to summary, after its CLI imports); "
    "anchors = their CSV read + signals + backtest + report phases.",
    "backtest call s: backtesting.py = Backtest.run() (its stats included); vectorbt = "
    "Portfolio.from_signals(); tradewind's CLI does not report it separately ('-').",
    "Sizing: all three buy 25 USDT at the decision close, floored to 0.00001 BTC (the BTCUSDT "
    "lot step). backtesting.py takes only whole units or a fraction of equity, so it runs as "
    "FractionalBacktest(fractional_unit=0.00001) and orders that many whole units: the same "
    "quantity, not a fraction of equity.",
    "backtesting.py: SL/TP go on the entry order, from the decision close (the fill price is "
    "not known yet), and are moved onto the fill price after the entry candle.",
    "vectorbt watches stops from the candle after the entry fill (its rule); tradewind and "
    "backtesting.py from the entry candle itself, so trade counts may differ slightly.",
    "trades = positions closed by a signal, stop or take-profit; '+1' marks one still open at "
    "the end (backtesting.py's finalize_trades=True close of it is not counted).",
    "Anchors: TA-Lib EMA/RSI (STRATEGY.md's definition), pandas read_csv(engine='pyarrow'), "
    "tz-naive DatetimeIndex, fills at the next open; one untimed warm-up run per tool first.",
    "vectorbt (numba) JIT-compiles its simulator in every process; it is shown for reference, "
    "the targets use the fastest vectorbt row.",
]


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def ratio(row: dict[str, Any], base: dict[str, Any] | None, key: str) -> str:
    if base is None or row["tool"] == BASELINE:
        return "-"
    mine, theirs = row.get(key), base.get(key)
    if mine is None or not theirs:
        return "-"
    return f"{mine / theirs:,.1f}"


def paired(row: dict[str, Any], key: str) -> str:
    """Show the best and the median of an anchor's paired ratios to tradewind."""
    ratios = row.get(key) or []
    if not ratios:
        return "-"
    return f"{max(ratios):,.1f} / {statistics.median(ratios):,.1f}"


def table_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Turn one dataset's summary into printable cells."""
    base = next((r for r in summary["rows"] if r["tool"] == BASELINE and "error" not in r), None)
    cells: list[list[str]] = []
    for row in summary["rows"]:
        if "error" in row:
            cells.append([row["tool"], "failed", *["-"] * (len(COLUMNS) - 2)])
            continue
        trades = fmt(row["trades"]) + (" +1" if row.get("open_at_end") else "")
        cells.append(
            [
                row["tool"],
                trades,
                fmt(row["return_pct"]),
                fmt(row["wall_s"]),
                fmt(row.get("cpu_s")),
                fmt(row["peak_rss_mb"], 0),
                fmt(row["in_process_s"]),
                fmt(row["backtest_s"], 4),
                paired(row, "paired_wall_s"),
                paired(row, "paired_cpu_s"),
                ratio(row, base, "peak_rss_mb"),
                ratio(row, base, "in_process_s"),
                ratio(row, base, "backtest_s"),
            ]
        )
    return cells


def failures(summary: dict[str, Any]) -> list[str]:
    return [f"{r['tool']} failed: {r['error']}" for r in summary["rows"] if "error" in r]


def targets_for(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check tradewind's targets on the generated 1M-candle series."""
    large = next((s for s in summaries if s["dataset"].startswith("generated")), None)
    rows = {r["tool"]: r for r in (large or {"rows": []})["rows"] if "error" not in r}
    tw = rows.get(BASELINE)
    store = rows.get("tradewind (store)")
    bt = rows.get("backtesting.py")
    vbt_walls = [r["wall_s"] for name, r in rows.items() if name.startswith("vectorbt")]

    def check(text: str, measure: Callable[[], tuple[str, bool]] | None) -> dict[str, Any]:
        if measure is None:
            return {"target": text, "measured": "not measured", "met": None}
        measured, met = measure()
        return {"target": text, "measured": measured, "met": met}

    return [
        check(
            "tradewind, 1M candles: whole process < 1 s (CSV read included)",
            (lambda: (f"{tw['wall_s']:.3f} s", tw["wall_s"] < 1.0)) if tw else None,
        ),
        check(
            "tradewind from the candle store (Parquet), 1M candles: whole process < 0.5 s",
            (
                lambda: (
                    f"{store['wall_s']:.3f} s wall, {store['cpu_s']:.3f} s CPU",
                    store["wall_s"] < 0.5,
                )
            )
            if store
            else None,
        ),
        check(
            "tradewind ≥ 15× faster than backtesting.py (whole process, CPU time, median of "
            "the paired runs)",
            (lambda: paired_target(bt["paired_cpu_s"])) if tw and bt else None,
        ),
        check(
            "tradewind ≥ 15× faster than backtesting.py (whole process, wall time, median of "
            "the paired runs)",
            (lambda: paired_target(bt["paired_wall_s"])) if tw and bt else None,
        ),
        check(
            "tradewind faster than vectorbt's whole process (fastest vectorbt row)",
            (
                lambda: (
                    f"{min(vbt_walls):.3f} s vs {tw['wall_s']:.3f} s",
                    min(vbt_walls) > tw["wall_s"],
                )
            )
            if tw and vbt_walls
            else None,
        ),
        check(
            "tradewind peak RSS ≤ 300 MB",
            (lambda: (f"{tw['peak_rss_mb']:.0f} MB", tw["peak_rss_mb"] <= 300)) if tw else None,
        ),
    ]


def paired_target(ratios: list[float]) -> tuple[str, bool]:
    if not ratios:
        return "no paired runs", False
    median = statistics.median(ratios)
    return f"{median:.1f}× median, {max(ratios):.1f}× best of {len(ratios)} pairs", median >= 15


def print_report(
    summaries: list[dict[str, Any]], targets: list[dict[str, Any]], notes: list[str]
) -> None:
    """Print one table per dataset, then the footnotes and the targets."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        _print_plain(summaries, targets, notes)
        return
    console = Console(width=None if sys.stdout.isatty() else 160)
    for summary in summaries:
        title = f"{summary['dataset']} — best of {summary['repeats']}"
        if summary["note"]:
            console.print(f"\n[bold]{title}[/]: {summary['note']}")
            continue
        table = Table(title=title, title_justify="left")
        for index, column in enumerate(COLUMNS):
            table.add_column(column, justify="left" if index == 0 else "right")
        for cells in table_rows(summary):
            table.add_row(*cells)
        console.print()
        console.print(table)
        for failure in failures(summary):
            console.print(f"[red]{failure}[/]", highlight=False)
    for index, note in enumerate([*FOOTNOTES, *notes], start=1):
        console.print(f"[dim]{index}. {note}[/]", highlight=False)
    console.print("\n[bold]Targets[/] (generated 1M-candle series)")
    marks = {True: "[green]met[/]", False: "[red]missed[/]", None: "[yellow]n/a[/]"}
    for target in targets:
        console.print(f"  {marks[target['met']]}  {target['target']}: {target['measured']}")


def _print_plain(
    summaries: list[dict[str, Any]], targets: list[dict[str, Any]], notes: list[str]
) -> None:
    for summary in summaries:
        print(f"\n{summary['dataset']} — best of {summary['repeats']}")
        if summary["note"]:
            print(f"  {summary['note']}")
            continue
        rows = [COLUMNS, *table_rows(summary)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
        for row in rows:
            print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        for failure in failures(summary):
            print(failure)
    for index, note in enumerate([*FOOTNOTES, *notes], start=1):
        print(f"{index}. {note}")
    print("\nTargets (generated 1M-candle series)")
    marks = {True: "met", False: "MISSED", None: "n/a"}
    for target in targets:
        print(f"  {marks[target['met']]:>6}  {target['target']}: {target['measured']}")

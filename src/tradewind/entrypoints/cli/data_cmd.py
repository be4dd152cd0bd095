"""`tradewind data download` and `tradewind data list`: Binance's candles in the local store."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from tradewind.domain.errors import ConfigurationError
from tradewind.entrypoints.cli.errors import user_errors

if TYPE_CHECKING:
    from tradewind.services.data import DownloadReport

Opt = typer.Option
PROGRESS_EVERY_SECONDS = 2.0

data_app = typer.Typer(
    help="Market data on disk: download Binance candles, list what is stored.",
    no_args_is_help=True,
    add_completion=False,
)


def parse_when(flag: str, text: str) -> int:
    """Read a UTC date (2024-01-31), date-time (2024-01-31T12:00) or Unix seconds."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigurationError(
            f"{flag}: give a UTC date like 2024-01-31, a date-time like 2024-01-31T12:00, "
            f"or Unix seconds (got {text!r})"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M")


@data_app.command("download")
def download(
    symbol: Annotated[str, Opt(help="The symbol as Binance lists it, e.g. BTCUSDT.")],
    start: Annotated[str, Opt(help="First day (UTC), e.g. 2024-01-01, or Unix seconds.")],
    timeframe: Annotated[str, Opt(help="Candle timeframe: 1m, 5m, 1h, ...")] = "1m",
    market: Annotated[str, Opt(help="spot or futures (USDⓈ-M).")] = "spot",
    end: Annotated[
        str | None, Opt(help="End (exclusive), same forms as --start. Default: now.")
    ] = None,
    quiet: Annotated[
        bool, Opt("--quiet", "-q", help="Print only a one-line JSON summary.")
    ] = False,
) -> None:
    """Download closed candles into the store; run again to resume or extend."""
    console = Console(stderr=True)
    with user_errors(console):
        from tradewind.bootstrap.data import candle_history, candle_store
        from tradewind.domain.types import PositionType
        from tradewind.services.data import DownloadRequest, download_candles

        if market not in ("spot", "futures"):
            raise ConfigurationError(f"--market: spot or futures (got {market!r})")
        request = DownloadRequest(
            symbol=symbol,
            market=PositionType(market),
            timeframe=timeframe,
            start=parse_when("--start", start),
            end=None if end is None else parse_when("--end", end),
        )
        started = time.monotonic()
        report = download_candles(
            candle_history(), candle_store(), request, None if quiet else _progress_line(console)
        )
        elapsed = time.monotonic() - started
        if quiet:
            sys.stdout.write(json.dumps(_report_json(report, elapsed)) + "\n")
            return
        _print_report(Console(), report, elapsed)


def _progress_line(console: Console) -> Any:
    """Print `fetched/expected` every few seconds: a line each, readable in a log file too."""
    last = [time.monotonic()]

    def show(done: int, expected: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = now
            share = done / expected * 100 if expected else 100.0
            console.print(f"downloading: {done:,} of {expected:,} candles ({share:.0f}%)")

    return show


def _report_json(report: DownloadReport, elapsed: float) -> dict[str, Any]:
    return {
        "series": str(report.key),
        "requests": report.requests,
        "fetched": report.fetched,
        "duplicates": report.duplicates,
        "stored": report.stored,
        "first_open": report.first_open,
        "last_open": report.last_open,
        "missing": report.missing,
        "gaps": [{"start": g.start, "count": g.count} for g in report.gaps],
        "elapsed_s": round(elapsed, 3),
    }


def _print_report(console: Console, report: DownloadReport, elapsed: float) -> None:
    console.print(
        f"{report.key}: {report.fetched:,} new candles in {report.requests:,} requests "
        f"({elapsed:.1f} s); stored {report.stored:,} from {_when(report.first_open)} "
        f"to {_when(report.last_open)} UTC"
    )
    if report.duplicates:
        console.print(f"dropped {report.duplicates:,} candles received twice")
    if report.gaps:
        console.print(
            f"[yellow]{report.missing:,} candles missing in {len(report.gaps)} gaps[/] "
            "(the venue has none there):"
        )
        for gap in report.gaps[:10]:
            console.print(f"  from {_when(gap.start)} UTC: {gap.count:,} candles")
    else:
        console.print("no gaps, no duplicates" if not report.duplicates else "no gaps")


@data_app.command("list")
def list_series(
    quiet: Annotated[bool, Opt("--quiet", "-q", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the stored candle series."""
    console = Console()
    with user_errors(Console(stderr=True)):
        from tradewind.bootstrap.data import candle_store

        stored = candle_store().series()
        if quiet:
            rows = [
                {"symbol": s.key.symbol, "market": s.key.market.value,
                 "timeframe": s.key.timeframe, "candles": s.candles, "first_open": s.first_open,
                 "last_open": s.last_open, "missing": s.missing, "file": s.location}
                for s in stored
            ]  # fmt: skip
            sys.stdout.write(json.dumps(rows) + "\n")
            return
        if not stored:
            console.print("no candles stored; get some with `tradewind data download`")
            return
        from rich.table import Table

        table = Table(title="Stored candles (UTC)", title_justify="left")
        for column in ("symbol", "market", "tf", "candles", "from", "to", "missing"):
            table.add_column(
                column, justify="right" if column in ("candles", "missing") else "left"
            )
        for s in stored:
            table.add_row(
                s.key.symbol, s.key.market.value, s.key.timeframe, f"{s.candles:,}",
                _when(s.first_open), _when(s.last_open), f"{s.missing:,}",
            )  # fmt: skip
        console.print(table)

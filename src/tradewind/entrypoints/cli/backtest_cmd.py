"""`tradewind backtest`: run a bot's strategy over a candle file or a generated market."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from tradewind.entrypoints.cli.backtest_core import (
    BacktestArgs,
    print_summary_json,
    run_backtest_args,
)
from tradewind.entrypoints.cli.config_options import ConfigFlags, with_config_options
from tradewind.entrypoints.cli.errors import user_errors

_RUN = "Backtest run"
_OUT = "Output"

Opt = typer.Option


@with_config_options(
    panel="Bot config (overrides --config)",
    skip=frozenset(("auto_transfer_funds", "transfer_amount")),  # no wallets to move between
    defaults={"name": "backtest", "symbol": "BTCUSDT", "position_type": "spot",
              "timeframe": "1m, or the --csv file's"},
)  # fmt: skip
def backtest(
    config_flags: ConfigFlags,
    csv: Annotated[
        Path | None,
        Opt(
            help="Candle CSV: open_time,open,high,low,close,volume. Default: the candle "
            "store's --symbol/--timeframe/--position-type series (`tradewind data download`), "
            "else a generated market.",
            rich_help_panel=_RUN,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        Opt(
            help="TOML file with bot config fields (top level or a \\[bot] table).",
            rich_help_panel=_RUN,
        ),
    ] = None,
    exchange_info: Annotated[
        Path | None,
        Opt(
            help="Binance exchangeInfo JSON for symbol rules. Default: built-in rules.",
            rich_help_panel=_RUN,
        ),
    ] = None,
    candles: Annotated[
        int,
        Opt(
            min=100,
            max=20_000_000,
            help="Candles to generate when the market is generated.",
            rich_help_panel=_RUN,
        ),
    ] = 43_200,
    seed: Annotated[int, Opt(help="Seed of the generated market.", rich_help_panel=_RUN)] = 7,
    generated: Annotated[
        bool,
        Opt(
            "--generated",
            help="Use a generated market even when the candle store holds the series.",
            rich_help_panel=_RUN,
        ),
    ] = False,
    initial_balance: Annotated[
        str, Opt(metavar="USDT", help="Starting quote balance (USDT).", rich_help_panel=_RUN)
    ] = "10000",
    fee_rate: Annotated[
        str | None,
        Opt(
            metavar="RATE",
            help="Taker fee per fill, e.g. 0.001. Default: spot 0.001, futures 0.0004.",
            rich_help_panel=_RUN,
        ),
    ] = None,
    trades_out: Annotated[
        Path | None, Opt(help="Write the trade list to a .csv or .json file.", rich_help_panel=_OUT)
    ] = None,
    plot: Annotated[
        Path | None,
        Opt(
            help="Write a chart (price, entries/exits, equity) to a .png or .html file.",
            rich_help_panel=_OUT,
        ),
    ] = None,
    show_trades: Annotated[
        int, Opt(min=0, help="How many of the last trades to list.", rich_help_panel=_OUT)
    ] = 10,
    quiet: Annotated[
        bool, Opt("--quiet", "-q", help="Print only a one-line JSON summary.", rich_help_panel=_OUT)
    ] = False,
) -> None:
    """Backtest a strategy on candles, with fills, fees and exits as live."""
    started = time.perf_counter()
    console = Console(stderr=quiet)
    with user_errors(console):
        args = BacktestArgs(
            config_fields=config_flags.fields(), csv=csv, config=config,
            exchange_info=exchange_info, candles=candles, seed=seed, generated=generated,
            initial_balance=initial_balance, fee_rate=fee_rate, trades_out=trades_out, plot=plot,
        )  # fmt: skip
        outcome = run_backtest_args(args, _progress(console, quiet))
        elapsed = time.perf_counter() - started
        if quiet:
            print_summary_json(outcome, elapsed)
            return
        from tradewind.entrypoints.cli.render import render_report

        render_report(console, outcome, show_trades, elapsed, trades_out, plot)


def _progress(console: Console, quiet: bool) -> Any:
    """Return a context factory that shows a progress bar on long runs (not with --quiet)."""
    from tradewind.entrypoints.cli.render import progress_bar

    return None if quiet else lambda total: progress_bar(console, total)

"""The `tradewind` command line. Each command lives in its own module."""

from __future__ import annotations

import typer

from tradewind.entrypoints.cli import backtest_cmd

app = typer.Typer(
    name="tradewind",
    help="Automated EMA/RSI crypto trading bots: backtest, paper and live on Binance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("backtest")(backtest_cmd.backtest)


@app.callback()
def _root() -> None:
    """Automated EMA/RSI crypto trading bots: backtest, paper and live on Binance."""

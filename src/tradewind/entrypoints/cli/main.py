"""The `tradewind` command line. Each command lives in its own module."""

from __future__ import annotations

from typing import Annotated

import typer

from tradewind import __version__
from tradewind.entrypoints.cli import (
    backtest_cmd,
    bot_cmd,
    demo_cmd,
    people_cmd,
    run_cmd,
    scale_cmd,
    setup_cmd,
)

app = typer.Typer(
    name="tradewind",
    help="Automated EMA/RSI crypto trading bots: backtest, paper and live on Binance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("demo")(demo_cmd.demo)
app.command("backtest")(backtest_cmd.backtest)
app.command("init")(setup_cmd.init)
app.command("run")(run_cmd.run)
app.command("worker")(scale_cmd.worker)
app.command("scheduler")(scale_cmd.scheduler)
app.add_typer(people_cmd.user_app, name="user")
app.add_typer(people_cmd.account_app, name="account")
app.add_typer(bot_cmd.bot_app, name="bot")
app.command("orders")(bot_cmd.orders)
app.command("trades")(bot_cmd.trades)
app.command("state")(bot_cmd.state)
app.add_typer(setup_cmd.keys_app, name="keys")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"tradewind {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Automated EMA/RSI crypto trading bots: backtest, paper and live on Binance."""

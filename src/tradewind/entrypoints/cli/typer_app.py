"""The `tradewind` command line on typer. Each command lives in its own module.

Building every command costs a few hundred milliseconds of imports and signature reading,
so `tradewind.entrypoints.cli.main` builds only the command that is run (`tradewind
backtest …` never imports the notification or exchange-server code); help, no arguments
or an unknown name build all.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from tradewind import __version__

# name -> (module in this package, attribute, whether it is a group of commands)
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "demo": ("demo_cmd", "demo", False),
    "backtest": ("backtest_cmd", "backtest", False),
    "optimize": ("optimize_cmd", "optimize", False),
    "strategies": ("strategies_cmd", "strategies", False),
    "data": ("data_cmd", "data_app", True),
    "init": ("setup_cmd", "init", False),
    "run": ("run_cmd", "run", False),
    "worker": ("scale_cmd", "worker", False),
    "scheduler": ("scale_cmd", "scheduler", False),
    "feeder": ("scale_cmd", "feeder", False),
    "user-streams": ("streams_cmd", "user_streams", False),
    "user": ("people_cmd", "user_app", True),
    "account": ("people_cmd", "account_app", True),
    "bot": ("bot_cmd", "bot_app", True),
    "orders": ("bot_cmd", "orders", False),
    "trades": ("bot_cmd", "trades", False),
    "state": ("bot_cmd", "state", False),
    "keys": ("setup_cmd", "keys_app", True),
    "exchange": ("exchange_cmd", "exchange_app", True),
    "notify": ("notify_cmd", "notify_app", True),
    "serve": ("serve_cmd", "serve", False),
    "token": ("serve_cmd", "token_app", True),
}
HELP = "Automated rule-based crypto trading bots: backtest, paper and live on Binance."


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"tradewind {__version__}")
        raise typer.Exit


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Automated rule-based crypto trading bots: backtest, paper and live on Binance."""


def build(only: str | None = None) -> typer.Typer:
    """Return the CLI with every command, or with just the command `only`."""
    cli = typer.Typer(
        name="tradewind", help=HELP, no_args_is_help=True, add_completion=False,
        pretty_exceptions_enable=False,
    )  # fmt: skip
    cli.callback()(_root)
    for name, (module_name, attribute, group) in COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(f"{__package__}.{module_name}"), attribute)
        if group:
            cli.add_typer(target, name=name)
        else:
            cli.command(name)(target)
    return cli

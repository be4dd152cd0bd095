"""`tradewind user-streams`: the Binance accounts' user data streams (README "Scaling out")."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from tradewind.entrypoints.cli.errors import user_errors
from tradewind.entrypoints.cli.scale_cmd import _level

Opt = typer.Option


def user_streams(
    refresh: Annotated[
        float, Opt(min=1, max=600, help="Seconds between looks at which accounts trade.")
    ] = 15.0,
    loglevel: Annotated[str, Opt(callback=_level, help="debug, info, warning or error.")] = "info",
) -> None:
    """Follow the user data streams of every Binance account with running bots (spot and
    USD-M), so their resting exits are read from the streams, not asked of Binance each slot;
    a second process stands by and takes over an account when its owner dies (Ctrl-C stops)."""
    import logging
    import signal
    import threading

    console = Console(stderr=True)
    with user_errors(console):
        from tradewind.bootstrap.settings import load_settings
        from tradewind.bootstrap.user_streams import UserStreamsProcess

        process = UserStreamsProcess(load_settings(), refresh_s=refresh)
    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    process.run(stop)
    console.print("user streams stopped")

"""`tradewind worker`, `scheduler` and `feeder`: scaling out (README "Scaling out")."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

from tradewind.entrypoints.cli.errors import user_errors

Opt = typer.Option
LOG_LEVELS = ("debug", "info", "warning", "error")


def _level(value: str) -> str:
    if value.lower() not in LOG_LEVELS:
        raise typer.BadParameter(f"one of {', '.join(LOG_LEVELS)}")
    return value.lower()


def worker(
    concurrency: Annotated[
        int, Opt("--concurrency", "-c", min=1, help="Processes that tick bots.")
    ] = 2,
    pool: Annotated[
        str, Opt(help="Celery pool: prefork (processes), solo (this process) or threads.")
    ] = "prefork",
    seed: Annotated[int, Opt(help="Seed of the generated paper market (same everywhere).")] = 7,
    loglevel: Annotated[str, Opt(callback=_level, help="debug, info, warning or error.")] = "info",
) -> None:
    """Run a Celery worker that ticks bots: PostgreSQL, Redis and the broker of TRADEWIND_*."""
    if pool not in ("prefork", "solo", "threads"):
        raise typer.BadParameter("prefork, solo or threads", param_hint="--pool")
    console = Console(stderr=True)
    with user_errors(console):
        from tradewind.bootstrap.runtime import require_postgresql
        from tradewind.bootstrap.settings import load_settings

        settings = load_settings()
        require_postgresql(settings)  # before importing Celery: a second saved
        from tradewind.entrypoints.worker.app import configure, slots_queue, ticks_queue
        from tradewind.entrypoints.worker.checks import check_start

        app = configure(settings, paper_seed=seed)
        check_start(settings, app)
    name = f"tradewind-{settings.namespace}-{os.getpid()}@%h"
    app.worker_main(
        [
            "worker", f"--loglevel={loglevel.upper()}", f"--concurrency={concurrency}",
            f"--pool={pool}", f"--queues={slots_queue(settings)},{ticks_queue(settings)}",
            f"--hostname={name}", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]
    )  # fmt: skip


def scheduler(
    loglevel: Annotated[str, Opt(callback=_level, help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the scheduler (Celery beat): it starts every slot; a second one stands by."""
    console = Console(stderr=True)
    with user_errors(console):
        from tradewind.bootstrap.runtime import require_postgresql
        from tradewind.bootstrap.settings import load_settings

        settings = load_settings()
        require_postgresql(settings)
        from tradewind.entrypoints.worker.app import configure
        from tradewind.entrypoints.worker.checks import check_start

        app = configure(settings)
        check_start(settings, app)
    app.Beat(loglevel=loglevel.upper(), quiet=True).run()


def feeder(
    refresh: Annotated[
        float, Opt(min=1, max=600, help="Seconds between looks at which series bots need.")
    ] = 15.0,
    loglevel: Annotated[str, Opt(callback=_level, help="debug, info, warning or error.")] = "info",
) -> None:
    """Follow Binance's kline streams of every series the live bots trade, into Redis; a
    second feeder stands by and takes over (Ctrl-C stops)."""
    import logging
    import signal
    import threading

    console = Console(stderr=True)
    with user_errors(console):
        from tradewind.bootstrap.feeder import FeederProcess
        from tradewind.bootstrap.settings import load_settings

        process = FeederProcess(load_settings(), refresh_s=refresh)
    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    process.run(stop)
    console.print("feeder stopped")

"""`tradewind run`: tick every active bot at every minute, on the wall clock or a replay."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tradewind.domain.accounts import ExchangeKind
from tradewind.entrypoints.cli.errors import user_errors
from tradewind.entrypoints.cli.stopping import stopped_by_signals

if TYPE_CHECKING:
    from collections.abc import Callable

    from tradewind.bootstrap.markets import BinanceMarket
    from tradewind.bootstrap.runtime import PaperRuntime
    from tradewind.entrypoints.api.background import BackgroundApi
    from tradewind.services.outages import DatabaseOutages
    from tradewind.services.scheduler import SlotReport
    from tradewind.settings import Settings

Opt = typer.Option
GENERATED_DAYS = 30
HISTORY_MINUTES = 2 * 1440  # generated candles behind "now", for the indicators


def run(
    replay: Annotated[
        list[str] | None,
        Opt(
            metavar="FILE|SYMBOL=FILE",
            help="Replay 1-minute candles from a CSV (for every symbol, or SYMBOL=FILE; "
            "SYMBOL=store for the candle store's; repeatable) instead of the wall clock.",
        ),
    ] = None,
    speed: Annotated[
        float, Opt(min=0, help="Replayed seconds per real second; 0 = as fast as possible.")
    ] = 0.0,
    seed: Annotated[int, Opt(help="Seed of the generated live market and the paper venue.")] = 7,
    exchange: Annotated[
        str,
        Opt(
            metavar="paper|binance",
            help="Which bots to run: those on paper accounts (the simulated exchange), or "
            "those on Binance accounts (live orders; candles from Binance).",
        ),
    ] = ExchangeKind.PAPER.value,
    testnet: Annotated[
        bool, Opt("--testnet", help="With --exchange binance: candles from Binance's testnet.")
    ] = False,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="No progress display.")] = False,
    user_streams: Annotated[
        bool,
        Opt(
            "--user-streams",
            help="With --exchange binance: follow the accounts' user data streams in this "
            "process (Redis needed), so resting exits are not looked up each slot; or run "
            "`tradewind user-streams` beside it.",
        ),
    ] = False,
    web: Annotated[
        bool, Opt("--web", help="Also serve the API and the dashboard, in this process.")
    ] = False,
    web_host: Annotated[str, Opt(help="With --web: the address to listen on.")] = "127.0.0.1",
    web_port: Annotated[
        int, Opt(min=0, max=65_535, help="With --web: the port to listen on.")
    ] = 8000,
) -> None:
    """Run the active bots: paper trading on the simulated exchange, or live on Binance.

    One `run` per SQLite database: a second one is refused, naming the first. On
    PostgreSQL too for paper bots (each run has its own simulated exchange; `tradewind
    scale` runs several workers on a shared one); runs of Binance bots share the minutes.
    """
    console = Console()
    with user_errors(console):
        from tradewind.bootstrap.settings import load_settings
        from tradewind.bootstrap.store import runner_slot
        from tradewind.domain.errors import ConfigurationError

        runnable = (ExchangeKind.PAPER, ExchangeKind.BINANCE)  # what `run` knows how to wire
        if exchange not in runnable:
            raise ConfigurationError(
                f"--exchange: must be {' or '.join(runnable)} (got {exchange!r})"
            )
        if exchange == ExchangeKind.BINANCE and replay:
            raise ConfigurationError(
                "--replay: replays run paper bots only (no --exchange binance)"
            )
        if testnet and exchange != ExchangeKind.BINANCE:
            raise ConfigurationError("--testnet: only with --exchange binance")
        if user_streams and exchange != ExchangeKind.BINANCE:
            raise ConfigurationError("--user-streams: only with --exchange binance")
        settings = load_settings()
        # One runner per SQLite database, and one paper runner per PostgreSQL database.
        # Ctrl-C or a service manager's SIGTERM stops the run (KeyboardInterrupt below).
        with (
            stopped_by_signals(),
            runner_slot(settings, paper=exchange == ExchangeKind.PAPER) as keep_place,
        ):
            outages = _outages(keep_place)
            api = None
            if web:
                from tradewind.entrypoints.api.background import serve_in_background

                try:
                    api = serve_in_background(settings, web_host, web_port)
                except OSError as e:
                    raise ConfigurationError(f"--web-port: {e}") from None
                console.print(
                    f"dashboard and API on {api.url}/ (sign in as a user with a password)"
                )
            try:
                if exchange == ExchangeKind.BINANCE:
                    _live_binance(console, settings, testnet, quiet, api, outages, user_streams)
                elif replay:
                    totals = _replay(console, settings, replay, speed, seed, quiet, api, outages)
                    done = ", ".join(f"{k} {v}" for k, v in sorted(totals.items()))
                    console.print(f"replay done: {done or 'no active bots'}")
                else:
                    _live(console, settings, seed, quiet, api, outages)
            finally:
                if api is not None:
                    api.stop()


def _replay(
    console: Console,
    settings: Settings,
    specs: list[str],
    speed: float,
    seed: int,
    quiet: bool,
    api: BackgroundApi | None,
    outages: DatabaseOutages,
) -> Counter[str]:
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    from tradewind.bootstrap.markets import replay_clock, replay_files, replay_venue_state
    from tradewind.bootstrap.runtime import paper_runtime
    from tradewind.services.scheduler import run_replay

    market = replay_files(specs)
    start, end = market.span()
    clock = replay_clock(start)
    # The replay's paper venue is saved beside the database after every change, before
    # its answer is used: a replay killed and run again resumes the same venue (its
    # orders, positions and next ids), so the database and the venue never part ways.
    state = replay_venue_state(Path(settings.data_dir), specs, seed)
    if state.exists():
        console.print(f"resuming the paper venue of this replay from {state}")
    runtime = paper_runtime(settings, market, clock, seed=seed, venue_state=state, market_end=end)
    _charts_read(api, runtime)
    totals: Counter[str] = Counter()
    try:
        _reconcile(console, runtime, ExchangeKind.PAPER)
        with Progress(
            "[progress.description]{task.description}", BarColumn(), TaskProgressColumn(),
            TimeRemainingColumn(), console=console, disable=quiet, transient=True,
        ) as progress:  # fmt: skip
            task = progress.add_task("replaying", total=(end - start) // 60)

            def on_slot(report: SlotReport) -> None:
                totals.update(o.value for o in report.outcomes.elements())
                progress.advance(task)

            with runtime.dispatcher(clock):  # notifications, beside the ticks
                run_replay(
                    runtime.deps,
                    clock.set,
                    start,
                    end,
                    speed,
                    on_slot,
                    account_kind=ExchangeKind.PAPER,
                    outages=outages,
                )
    finally:
        runtime.close()
    return totals


def _live(
    console: Console,
    settings: Settings,
    seed: int,
    quiet: bool,
    api: BackgroundApi | None,
    outages: DatabaseOutages,
) -> None:
    from tradewind.bootstrap.markets import binance_market, generated_markets, wall_clock
    from tradewind.bootstrap.runtime import paper_runtime
    from tradewind.services.scheduler import run_live

    symbols = _active_symbols()
    real, where = binance_market(settings, symbols[0])
    if real is not None:
        _on_the_market(console, settings, real, symbols, seed, quiet, api, outages)
        return
    console.print(f"the real market's candles are not reachable: {where}")
    wall = wall_clock()
    market = generated_markets(
        symbols, wall.now() - HISTORY_MINUTES * 60, HISTORY_MINUTES + GENERATED_DAYS * 1440, seed
    )
    state = Path(settings.data_dir) / "paper-venue.json"
    runtime: PaperRuntime = paper_runtime(settings, market, wall, seed=seed, venue_state=state)
    _charts_read(api, runtime)

    def show(report: SlotReport) -> None:
        if not quiet:
            console.print(slot_line(report))

    console.print(
        f"paper trading {', '.join(symbols)} on a generated market (not the real one); Ctrl-C stops"
    )
    try:
        _reconcile(console, runtime, ExchangeKind.PAPER)
        with runtime.dispatcher(wall):  # notifications, beside the ticks
            run_live(runtime.deps, show, account_kind=ExchangeKind.PAPER, outages=outages)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        runtime.close()


def _on_the_market(
    console: Console,
    settings: Settings,
    market: BinanceMarket,
    symbols: list[str],
    seed: int,
    quiet: bool,
    api: BackgroundApi | None,
    outages: DatabaseOutages,
) -> None:
    from tradewind.bootstrap.markets import replay_clock
    from tradewind.bootstrap.runtime import paper_runtime
    from tradewind.services.scheduler import run_on_market

    def minute() -> int:
        return market.market_minute(symbols[0])

    first = minute()
    clock = replay_clock(first)  # the market's time: its newest candle's open
    state = Path(settings.data_dir) / "paper-venue.json"
    runtime = paper_runtime(settings, market, clock, seed=seed, venue_state=state)
    _charts_read(api, runtime)

    def show(report: SlotReport) -> None:
        if not quiet:
            console.print(slot_line(report))

    console.print(
        f"paper trading {', '.join(symbols)} on the real market: closed candles from "
        f"{market.where} (Binance klines), orders filled by the simulated exchange; Ctrl-C stops"
    )
    try:
        _reconcile(console, runtime, ExchangeKind.PAPER)
        with runtime.dispatcher(clock):  # notifications, beside the ticks
            run_on_market(
                runtime.deps, clock.set, minute, show,
                poll_seconds=settings.market_poll_seconds, account_kind=ExchangeKind.PAPER,
                since=first, outages=outages,
            )  # fmt: skip
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        runtime.close()


def _live_binance(
    console: Console,
    settings: Settings,
    testnet: bool,
    quiet: bool,
    api: BackgroundApi | None,
    outages: DatabaseOutages,
    user_streams: bool = False,
) -> None:
    import threading

    from tradewind.bootstrap.embedded_feeder import streamed_binance_runtime
    from tradewind.bootstrap.markets import wall_clock
    from tradewind.services.streamed_run import StreamedSlots, run_streamed

    clock = wall_clock()
    stop = threading.Event()
    threads: list[threading.Thread] = []
    if user_streams:
        from tradewind.bootstrap.user_streams import UserStreamsProcess

        streams = UserStreamsProcess(settings, embedded=True)
        threads.append(threading.Thread(
            target=streams.run, args=(stop,), name="user-streams", daemon=True
        ))  # fmt: skip
        threads[-1].start()
        console.print("following the accounts' user data streams in this process")
    runtime, feeder = streamed_binance_runtime(settings, clock, testnet=testnet)
    # The kline streams of the bots' series, into this process's memory: each slot is
    # decided as its candles land (REST after TRADEWIND_STREAM_WAIT_S), not at a fixed delay.
    threads.append(threading.Thread(
        target=feeder.run, args=(stop,), name="kline-feeder", daemon=True
    ))  # fmt: skip
    threads[-1].start()
    _charts_read(api, runtime)
    where = settings.binance_url or ("Binance testnet" if testnet else "Binance")
    console.print(
        f"live trading the bots on Binance accounts via {where}, candles from its kline "
        "streams; Ctrl-C stops"
    )

    def show(report: SlotReport) -> None:
        if not quiet:
            console.print(slot_line(report))

    slots = StreamedSlots(runtime.deps, feeder.watch, settings.stream_wait_s)
    try:
        _reconcile(console, runtime, ExchangeKind.BINANCE)
        with runtime.dispatcher(clock):  # notifications, beside the ticks
            run_streamed(slots, clock.now, show, outages=outages)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)  # the streams' sessions end, their locks go
        runtime.close()


def _outages(keep_place: Callable[[], None]) -> DatabaseOutages:
    """The slot loop's watch on the database: an outage is waited out, said in one line,
    and the runner's place on the database is held again before deciding after it."""
    from tradewind.bootstrap.store import database_outage
    from tradewind.services.outages import DatabaseOutages

    return DatabaseOutages(database_outage, keep_place=keep_place)


def _reconcile(console: Console, runtime: PaperRuntime, kind: ExchangeKind) -> None:
    """Before the first slot, compare each active bot with its venue (records the fills
    made while no runner watched; a position the venue does not hold stops the bot)."""
    from tradewind.services.reconcile import reconcile_at_start

    console.print(reconcile_at_start(runtime.deps, kind).summary())


def _charts_read(api: BackgroundApi | None, runtime: PaperRuntime) -> None:
    # The dashboard beside the ticks draws bot charts from the very candles they decide on.
    if api is not None:
        api.show_market(runtime.market_data)


def slot_line(report: SlotReport) -> str:
    """Describe one slot's ticks in a line."""
    when = datetime.fromtimestamp(report.slot, tz=UTC).strftime("%Y-%m-%d %H:%M")
    parts = ", ".join(f"{k.value} {v}" for k, v in sorted(report.outcomes.items()))
    return f"{when} UTC  {parts or 'no active bots'}  ({report.seconds * 1000:.0f} ms)"


def _active_symbols() -> list[str]:
    from tradewind.bootstrap.store import open_store
    from tradewind.entrypoints.cli.resolve import OPERATOR
    from tradewind.services.overview import running_symbols

    with open_store() as store:
        return running_symbols(store.manage_uow, OPERATOR) or ["BTCUSDT"]

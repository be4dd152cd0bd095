"""`tradewind demo`: three paper bots on a replayed market, watched live, then summed up.

Everything is real except the clock and the exchange: the demo makes its own SQLite
database and key file, adds a user, a paper account and three bots through the management
use cases, and replays a generated market (or candle files) through the scheduler and the
tick service. What it shows comes back from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tradewind.domain.accounts import ExchangeKind
from tradewind.entrypoints.cli.errors import user_errors

if TYPE_CHECKING:
    from tradewind.bootstrap.markets import ReplayClock, ReplayMarketData
    from tradewind.bootstrap.runtime import PaperRuntime
    from tradewind.entrypoints.api.background import BackgroundApi
    from tradewind.entrypoints.cli.demo_board import Wallets
    from tradewind.entrypoints.cli.demo_run import ReplayStats
    from tradewind.services.demo import DemoSetup
    from tradewind.settings import Settings

Opt = typer.Option
SYMBOLS = ["BTCUSDT", "ETHUSDT"]
# A fixed Monday morning, so a seed always replays the same market on the same calendar,
# and a day-long demo crosses midnight UTC (when the daily counters start over).
GENERATED_START = int(datetime(2024, 3, 4, 8, tzinfo=UTC).timestamp())
WARMUP_MINUTES = 1440  # candles before the replay starts, for the indicators
DEFAULT_HOURS = 24.0
INTERRUPTED = 130  # the shell's code for Ctrl-C; the summary is shown all the same


def demo(
    hours: Annotated[
        float,
        Opt(
            min=0.1,
            max=24 * 31,
            metavar="HOURS",
            help="Simulated hours to replay, a minute per slot (24 h take about 10 s).",
        ),
    ] = DEFAULT_HOURS,
    seed: Annotated[
        int, Opt(metavar="N", help="Seed of the generated market and the paper venue.")
    ] = 7,
    csv: Annotated[
        list[str] | None,
        Opt(
            metavar="FILE|SYMBOL=FILE",
            help="Replay 1-minute candle CSVs instead of a generated market: SYMBOL=FILE "
            "for BTCUSDT and ETHUSDT, or one FILE for both, or SYMBOL=store for the candle "
            "store's (repeatable).",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        Opt(
            metavar="DIR",
            help="Where the demo keeps its database: a new or empty folder, or an earlier "
            "demo's (started over). Default: a new temporary folder.",
        ),
    ] = None,
    no_live: Annotated[
        bool, Opt("--no-live", help="Print a line per simulated hour instead of a dashboard.")
    ] = False,
    exchange: Annotated[
        str,
        Opt(
            metavar="paper|binance-local",
            help="Where the orders go: the in-process paper exchange, or the live Binance "
            "adapter over HTTP to a local Binance-compatible server (no account needed).",
        ),
    ] = ExchangeKind.PAPER.value,
    web: Annotated[
        bool,
        Opt(
            "--web",
            help="Also serve the dashboard, signed in as the demo user with the password "
            "printed; it stays up after the replay until Ctrl-C.",
        ),
    ] = False,
    web_port: Annotated[
        int, Opt(min=0, max=65_535, help="With --web: the port on 127.0.0.1.")
    ] = 8000,
) -> None:
    """Watch three bots trade a replayed market, from a fresh database."""
    console = Console(highlight=False)
    with user_errors(Console(stderr=True)):
        from tradewind.bootstrap.demo import EXCHANGES, demo_exchange
        from tradewind.bootstrap.markets import replay_clock
        from tradewind.domain.errors import ConfigurationError
        from tradewind.entrypoints.cli.demo_board import wallet_reader
        from tradewind.entrypoints.cli.demo_home import prepare_home
        from tradewind.entrypoints.cli.demo_run import replay_with_board
        from tradewind.services.demo import set_up_demo

        if exchange not in EXCHANGES:
            raise ConfigurationError(
                f"--exchange: must be {' or '.join(EXCHANGES)} (got {exchange!r})"
            )
        market, start, end, source = _market(csv, seed, hours)
        settings, reused = prepare_home(data_dir)
        clock = replay_clock(start)
        with demo_exchange(exchange, settings, market, clock, seed) as wired:
            runtime = wired.runtime
            setup = set_up_demo(
                runtime.manage_uow, clock, wired.rules_for, binance_keys=wired.binance_keys
            )
            _introduce(console, settings.data_dir, reused, setup, source, (start, end), wired.where)
            api = (
                _serve_demo(console, settings, setup.user.id, setup.user.email, web_port)
                if web
                else None
            )
            if api is not None:  # its bot charts: the demo's own market
                api.show_market(runtime.market_data)
            wallets = wallet_reader(wired.venue_account(setup), setup)
            live = console.is_terminal and not no_live
            with runtime.dispatcher(clock):  # notifications, beside the ticks
                stats = replay_with_board(
                    console, runtime, clock, (start, end), wallets, owner=setup.owner, live=live,
                    title=f"tradewind demo · {source}", account_kind=wired.account_kind,
                )  # fmt: skip
            _conclude(console, runtime, clock, setup, None if live else wallets, stats, settings)
            if api is not None:
                _serve_until_interrupted(console, api)
            if stats.interrupted:
                raise typer.Exit(INTERRUPTED)


def _serve_demo(
    console: Console, settings: Settings, user_id: int, email: str, port: int
) -> BackgroundApi:
    """Serve the API and the dashboard for the demo; give its user a password, printed."""
    import secrets

    from tradewind.entrypoints.api.background import serve_in_background
    from tradewind.services.access import Actor
    from tradewind.services.identity import set_password

    try:
        api = serve_in_background(settings, "127.0.0.1", port)
    except OSError as e:
        from tradewind.domain.errors import ConfigurationError

        raise ConfigurationError(f"--web-port: {e}") from None
    password = secrets.token_urlsafe(12)
    store = api.store
    set_password(
        store.identity_uow, store.passwords, store.clock, Actor.operator(), user_id, password
    )
    console.print(
        f"dashboard: {api.url}/  sign in as {email} with password {password}",
        soft_wrap=True,
    )
    return api


def _serve_until_interrupted(console: Console, api: BackgroundApi) -> None:
    import threading

    console.print(f"the dashboard stays up at {api.url}/ until Ctrl-C", soft_wrap=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()


def _market(
    csv: list[str] | None, seed: int, hours: float
) -> tuple[ReplayMarketData, int, int, str]:
    """Return the candles, the replay's first and last slot, and a title for them."""
    from tradewind.bootstrap.markets import generated_markets, replay_files
    from tradewind.domain.errors import ConfigurationError
    from tradewind.domain.types import PositionType

    minutes = max(1, round(hours * 60))
    if not csv:
        first = GENERATED_START - WARMUP_MINUTES * 60
        market = generated_markets(SYMBOLS, first, WARMUP_MINUTES + minutes, seed)
        end = GENERATED_START + minutes * 60
        return market, GENERATED_START, end, f"generated market, seed {seed}"
    try:
        market = replay_files(csv)
    except ConfigurationError as e:
        raise ConfigurationError(str(e).replace("--replay", "--csv", 1)) from e
    first, last = market.span()
    # Up to a day of the files warms the indicators up; the bots trade on the rest.
    start = first + min(WARMUP_MINUTES, (last - first) // 120) * 60
    end = min(last, start + minutes * 60)
    for symbol in SYMBOLS:
        try:
            have = len(market.minute_candles(symbol, PositionType.SPOT, start, end))
        except ConfigurationError:
            have = 0
        if have == 0:
            raise ConfigurationError(
                f"--csv: no candles for {symbol} between {_utc(start)} and {_utc(end)}; give "
                f"{symbol}=FILE, or one plain FILE for every symbol"
            )
    names = ", ".join(Path(spec.partition("=")[2] or spec).name for spec in csv)
    return market, start, end, f"candles from {names}"


def _utc(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _introduce(
    console: Console,
    home: Path,
    reused: bool,
    setup: DemoSetup,
    source: str,
    span: tuple[int, int],
    where: str,
) -> None:
    from rich.markup import escape

    from tradewind.entrypoints.cli.demo_board import bot_lines
    from tradewind.services.demo import DEMO_BALANCE, transfer_note

    again = " (an earlier demo's, started over)" if reused else ""
    console.print(f"[bold]tradewind demo[/] in {escape(str(home))}{again}")
    console.print("  database  tradewind.db (SQLite, migrated) and master key file secret.key")
    console.print(
        f"  user      {setup.user.email}, {setup.account.kind.value} account "
        f"{setup.account.name!r}: {DEMO_BALANCE:,} USDT in spot"
    )
    console.print(f"  orders    go to {escape(where)}")
    note = transfer_note([bot.config for bot in setup.bots])
    console.print(f"  futures   the wallet starts empty; {escape(note)}")
    console.print("  bots      created and started:")
    for bot in setup.bots:
        what, rules = bot_lines(bot.config)
        console.print(f"    {bot.config.name:<17}{escape(what)}\n    {'':<17}{escape(rules)}")
    hours = (span[1] - span[0]) / 3600
    console.print(f"  market    {escape(source)}: {hours:g} h from {_utc(span[0])}")
    console.print("            every minute through the scheduler and the real tick service")


def _conclude(
    console: Console,
    runtime: PaperRuntime,
    clock: ReplayClock,
    setup: DemoSetup,
    wallets: Callable[[], Wallets] | None,
    stats: ReplayStats,
    settings: Settings,
) -> None:
    """Sum up each bot from the database and say how to look further.

    `wallets` is None when the last frame of the dashboard shows them already.
    """
    from rich.markup import escape

    from tradewind.entrypoints.cli.demo_board import summary_table, wallets_text
    from tradewind.entrypoints.cli.demo_home import look_further
    from tradewind.services.demo import bot_reports, transfer_note

    reports = bot_reports(runtime.manage_uow, clock, setup.owner)
    console.print()
    console.print(summary_table(reports))
    if wallets is not None:
        console.print(wallets_text(wallets(), transfer_note([r.bot.config for r in reports])))
    console.print(stats.describe())
    prefix = look_further(settings)
    names = [r.name for r in reports] or ["BOT"]
    console.print("\nlook further: the demo's database stays where it is")
    for command in (
        "tradewind state",
        f"tradewind trades --bot {names[0]}",
        "tradewind orders --limit 20",
        f"tradewind bot show {names[-1]}",
    ):
        console.print(f"  {escape(prefix)} {command}", soft_wrap=True)
    console.print("  tradewind demo --seed 8 --hours 12    another market (or --csv your candles)")

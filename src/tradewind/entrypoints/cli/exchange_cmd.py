"""`tradewind exchange serve`: the Binance-compatible test server on a loopback port.

It serves Binance's spot, USDⓈ-M and wallet-transfer REST paths over the simulated
exchange, on a generated market (seeded) or 1-minute candle files, so a client — the
Binance adapter, ccxt, curl — can trade without an account or the internet. With
`--manual-clock` the market stands still until `POST /_tradewind/clock` moves it: a test
replays candles through the adapter minute by minute, whatever the machine's load.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer
from rich.console import Console
from rich.markup import escape

from tradewind.domain.bounds import check_amount, shown
from tradewind.domain.errors import ConfigurationError
from tradewind.entrypoints.cli.errors import user_errors
from tradewind.entrypoints.cli.stopping import stopped_by_signals

if TYPE_CHECKING:
    from collections.abc import Callable

    _Setter = Callable[[int], None]
    from tradewind.bootstrap.markets import ReplayMarketData
    from tradewind.bootstrap.testkit import BinanceServer
    from tradewind.ports import Clock

Opt = typer.Option
MINUTE = 60
WARMUP_MINUTES = 1440  # candles before the replay starts, so klines have history
HISTORY_MINUTES = 2 * 1440  # generated candles behind "now" on the wall clock
DEFAULT_SYMBOLS = ["BTCUSDT", "ETHUSDT"]

exchange_app = typer.Typer(
    help="The Binance-compatible test server (no account, no internet needed).",
    no_args_is_help=True,
    add_completion=False,
)


@exchange_app.command("serve")
def serve(
    host: Annotated[
        str, Opt(help="Address to listen on (loopback only, unless --allow-remote).")
    ] = ("127.0.0.1"),
    port: Annotated[int, Opt(min=0, max=65_535, help="Port; 0 picks a free one.")] = 0,
    allow_remote: Annotated[
        bool, Opt("--allow-remote", help="Listen on a non-loopback address (it is a test server).")
    ] = False,
    account: Annotated[
        list[str] | None,
        Opt(metavar="KEY:SECRET", help="An API key and secret to accept (repeatable)."),
    ] = None,
    balance: Annotated[
        list[str] | None,
        Opt(metavar="ASSET=AMOUNT", help="Spot balance of each --account (default USDT=10000)."),
    ] = None,
    futures_balance: Annotated[
        list[str] | None,
        Opt(metavar="ASSET=AMOUNT", help="Futures wallet of each --account (default empty)."),
    ] = None,
    csv: Annotated[
        list[str] | None,
        Opt(
            metavar="SYMBOL=FILE",
            help="Serve 1-minute candles from a CSV (repeatable; needs --speed).",
        ),
    ] = None,
    symbol: Annotated[
        list[str] | None,
        Opt(metavar="SYMBOL", help="Symbols of the generated market (default BTCUSDT, ETHUSDT)."),
    ] = None,
    seed: Annotated[int, Opt(help="Seed of the generated market, the venue and the faults.")] = 7,
    speed: Annotated[
        float | None,
        Opt(
            min=0, help="Replay the market at N× real time from its start; default: the wall clock."
        ),
    ] = None,
    days: Annotated[int, Opt(min=1, max=366, help="Days of generated market ahead.")] = 30,
    manual_clock: Annotated[
        bool,
        Opt(
            "--manual-clock",
            help="The market stands still (candle files: at their first minute) until "
            'POST /_tradewind/clock {"time": UNIX_SECONDS} moves it (forward only).',
        ),
    ] = False,
    limit_factor: Annotated[
        int,
        Opt(min=1, help="Binance's request and order limits N times as high (fast replays)."),
    ] = 1,
) -> None:
    """Serve Binance's REST API over the simulated exchange until Ctrl-C."""
    console = Console(highlight=False)
    with user_errors(Console(stderr=True)):
        from tradewind.bootstrap.testkit import binance_test_server, is_loopback, scaled_limits

        if not allow_remote and host != "localhost" and not is_loopback(host):
            raise ConfigurationError(
                f"--host: {host!r} is not a loopback address and this is a test server; "
                "add --allow-remote to listen there anyway"
            )
        credentials = [_credential(spec) for spec in account or []]
        if len({key for key, _ in credentials}) < len(credentials):
            raise ConfigurationError("--account: each KEY may be given once")
        spot = _balances(balance, "--balance") if balance else {"USDT": Decimal(10_000)}
        futures = _balances(futures_balance, "--futures-balance") if futures_balance else {}
        served = _clocked_market(csv, symbol, seed, speed, days, manual_clock)
        server = binance_test_server(
            served.market, served.clock, seed=seed, host=host, port=port,
            symbols=served.market.symbols(), allow_remote=True, market_end=served.end,
            set_time=served.set_time, limits=scaled_limits(limit_factor),
        )  # fmt: skip
        try:
            server.start()
        except ConfigurationError as e:
            raise ConfigurationError(f"--port: {e}") from e
        try:
            for key, secret in credentials:
                server.add_account(key, secret, spot=spot, futures=futures)
            _introduce(console, server, served.described, credentials, spot, futures)
            _wait_for_interrupt()
        except KeyboardInterrupt:
            console.print("stopped")
        finally:
            server.stop()


def _credential(spec: str) -> tuple[str, str]:
    key, sep, secret = spec.partition(":")
    if not sep or not key or not secret:
        raise ConfigurationError("--account: give KEY:SECRET (both non-empty)")
    return key, secret


def _balances(specs: list[str], flag: str) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for spec in specs:
        asset, sep, amount = spec.partition("=")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            value = Decimal("NaN")
        if not sep or not asset.strip() or not value.is_finite() or value < 0:
            raise ConfigurationError(
                f"{flag}: give ASSET=AMOUNT with an amount >= 0, got {shown(spec)}"
            )
        found[asset.strip().upper()] = check_amount(flag, value, allow_zero=True)
    return found


class _Served(NamedTuple):
    """The market the server serves, its clock and how the clock is moved, if by hand."""

    market: ReplayMarketData
    clock: Clock
    described: str
    end: int | None = None  # where candle files end: no order fills from then on
    set_time: _Setter | None = None


def _paced(start: int, speed: float | None, manual: bool) -> tuple[Clock, str, _Setter | None]:
    """Return a clock from `start`: moved by hand, or `speed` times as fast as real time."""
    from tradewind.bootstrap.markets import replay_clock, scaled_clock

    if manual:
        clock = replay_clock(start)
        return clock, "moved by POST /_tradewind/clock", clock.set
    assert speed is not None
    return scaled_clock(start, speed), f"at {speed:g}x", None


def _clocked_market(
    csv: list[str] | None,
    symbols: list[str] | None,
    seed: int,
    speed: float | None,
    days: int,
    manual: bool,
) -> _Served:
    from tradewind.bootstrap.markets import generated_markets, replay_files, wall_clock

    if speed == 0:
        raise ConfigurationError("--speed: must be above 0 (1 = real time)")
    if manual and speed is not None:
        raise ConfigurationError("--speed: not with --manual-clock (the clock moves when told)")
    if csv:
        if symbols:
            raise ConfigurationError("--symbol: not with --csv (each file names its symbol)")
        if speed is None and not manual:
            raise ConfigurationError(
                "--csv: candle files are in the past; give --speed N (1 = real time)"
            )
        for spec in csv:
            name, sep, _ = spec.partition("=")
            if not sep or not name.strip():
                raise ConfigurationError(f"--csv: give SYMBOL=FILE, got {spec!r}")
            _check_rules(name.strip().upper(), "--csv")
        try:
            market = replay_files(csv)
        except ConfigurationError as e:
            message = str(e).replace("--replay", "--csv", 1)
            raise ConfigurationError(message if "--csv" in message else f"--csv {message}") from e
        first, last = market.span()
        start = first + min(WARMUP_MINUTES, (last - first) // 120) * MINUTE
        if manual:  # the test moving it says where the market is; it can only go forward
            start = first
        clock, pace, set_time = _paced(start, speed, manual)
        described = f"candles of {', '.join(market.symbols())}" + (f", {pace}" if manual else "")
        return _Served(market, clock, described, end=last, set_time=set_time)
    wanted = sorted({s.strip().upper() for s in symbols or DEFAULT_SYMBOLS})
    for name in wanted:
        _check_rules(name, "--symbol")
    if speed is None and not manual:
        wall = wall_clock()
        now = wall.now()
        begin = now - now % MINUTE - HISTORY_MINUTES * MINUTE
        market = generated_markets(wanted, begin, HISTORY_MINUTES + days * 1440, seed)
        return _Served(market, wall, f"generated {', '.join(wanted)} (seed {seed}), wall clock")
    from tradewind.entrypoints.cli.demo_cmd import GENERATED_START

    begin = GENERATED_START - WARMUP_MINUTES * MINUTE
    market = generated_markets(wanted, begin, WARMUP_MINUTES + days * 1440, seed)
    when = datetime.fromtimestamp(GENERATED_START, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    clock, pace, set_time = _paced(GENERATED_START, speed, manual)
    described = f"generated {', '.join(wanted)} (seed {seed}), from {when} {pace}"
    return _Served(market, clock, described, set_time=set_time)


def _check_rules(name: str, flag: str) -> None:
    from tradewind.bootstrap.markets import check_symbol

    try:
        check_symbol(name)
    except ConfigurationError as e:
        # This command takes no exchangeInfo file, so leave out the hint at one.
        message = str(e).replace(" (or pass an exchangeInfo file)", "").removeprefix("symbol: ")
        raise ConfigurationError(f"{flag}: {message}") from e


def _introduce(
    console: Console,
    server: BinanceServer,
    market: str,
    credentials: list[tuple[str, str]],
    spot: dict[str, Decimal],
    futures: dict[str, Decimal],
) -> None:
    console.print(f"listening on {server.base_url}")
    console.print(
        "  spot /api/v3 · USDⓈ-M futures /fapi · wallet /sapi · test controls /_tradewind"
    )
    console.print(
        f"  streams: spot {server.stream_url} · USDⓈ-M {server.futures_stream_url} "
        "(/ws/<stream>, /stream?streams=…, /ws/<listenKey>)"
    )
    console.print(f"  market: {escape(market)}")
    wallets = ", ".join(f"{a}={v}" for a, v in sorted(spot.items())) or "empty"
    margin = ", ".join(f"{a}={v}" for a, v in sorted(futures.items())) or "empty"
    for key, _ in credentials:
        console.print(f"  account {escape(key[:4])}…: spot {wallets}; futures {margin}")
    if not credentials:
        console.print("  no accounts yet: --account KEY:SECRET, or POST /_tradewind/accounts")
    console.print("Ctrl-C stops.")
    console.file.flush()


def _wait_for_interrupt() -> None:
    """Sleep until Ctrl-C (SIGINT) or SIGTERM, either raising KeyboardInterrupt here."""
    import time

    with stopped_by_signals():
        while True:
            time.sleep(3600)

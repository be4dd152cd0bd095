"""What `tradewind demo` shows: the live dashboard, hourly lines, and the closing summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from tradewind.bot_config import BotConfig
from tradewind.domain.shown import money_text
from tradewind.entrypoints.cli.tables import amount, market, position, status
from tradewind.services.demo import BotReport, DemoSetup

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Wallets:
    """The demo account's wallets, as its venue holds them."""

    spot_usdt: Decimal
    futures_usdt: Decimal
    held: dict[str, Decimal] = field(default_factory=dict)  # spot base assets, free + locked


class Holding(Protocol):
    @property
    def free(self) -> Decimal: ...
    @property
    def locked(self) -> Decimal: ...


class VenueAccount(Protocol):
    """The demo account on its venue, as the dashboard reads it."""

    def spot_balance(self, asset: str) -> Holding: ...
    def futures_wallet(self, asset: str) -> Decimal: ...


def wallet_reader(exchange: VenueAccount, setup: DemoSetup) -> Callable[[], Wallets]:
    """Return a reader of the demo account's wallets, as the venue holds them."""
    bases = sorted({bot.config.symbol.removesuffix("USDT") for bot in setup.bots})

    def read() -> Wallets:
        usdt = exchange.spot_balance("USDT")
        held = {}
        for asset in bases:
            balance = exchange.spot_balance(asset)
            held[asset] = balance.free + balance.locked
        return Wallets(usdt.free + usdt.locked, exchange.futures_wallet("USDT"), held)

    return read


@dataclass(slots=True)
class Progress:
    """How far the replay has come."""

    now: int
    slots_done: int
    slots_total: int
    ticks: int = 0
    seconds: float = 0.0


def clock_text(ts: int) -> str:
    """Show Unix seconds as the simulated clock reads."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def money(value: Decimal) -> str:
    """Show USDT to the cent, signed."""
    return f"{value:+,.2f}"


def pnl(value: Decimal) -> str:
    style = "green" if value > 0 else "red" if value < 0 else "dim"
    return f"[{style}]{money(value)}[/]"


def bot_lines(config: BotConfig) -> tuple[str, str]:
    """Describe a bot in two short lines: market and size; exits and limits."""
    if config.position_size_fixed is not None:
        margin = " margin" if config.position_type.value == "futures" else ""
        size = f"{amount(config.position_size_fixed)} USDT{margin} a trade"
    elif config.position_size_perc is not None:
        size = f"{amount(config.position_size_perc)}% of free USDT a trade"
    else:
        size = "25 USDT a trade"
    rules = [
        f"{label} {amount(value)}%"
        for label, value in (
            ("stop loss", config.custom_stop_loss),
            ("take profit", config.custom_take_profit),
            ("trailing stop", config.custom_trailing_stop),
        )
        if value is not None
    ]
    if config.max_daily_trades is not None:
        rules.append(f"max {config.max_daily_trades} entries a day")
    if config.max_daily_loss is not None:
        rules.append(f"daily loss limit {amount(config.max_daily_loss)} USDT")
    if config.daily_profit_target is not None:
        rules.append(f"daily target {amount(config.daily_profit_target)} USDT")
    return f"{market(config)}, {size}", " · ".join(rules) or "no exits, no limits"


def last_signal(report: BotReport) -> str:
    state = report.state
    if state.last_signal is None or state.last_signal_at is None:
        return "-"
    at = datetime.fromtimestamp(state.last_signal_at, tz=UTC).strftime("%H:%M")
    return f"{state.last_signal.name} {at}"


def bots_table(reports: list[BotReport]) -> Table:
    """The dashboard's table: a bot per row, two lines each, as the database has it now.

    Cells never wrap (long reasons end in an ellipsis), so the view keeps its height.
    """
    table = Table(box=box.SIMPLE_HEAD, expand=True, highlight=False, pad_edge=False)
    table.add_column("bot\nmarket", no_wrap=True)
    table.add_column("status\nwhy", overflow="ellipsis", no_wrap=True, ratio=1, min_width=10)
    table.add_column("last\nsignal", no_wrap=True)
    table.add_column("position\nentry", no_wrap=True)
    table.add_column("pnl today\npnl total", justify="right", no_wrap=True)
    table.add_column("fills\nwon/lost", justify="right", no_wrap=True)
    for r in reports:
        table.add_row(
            f"[bold]{r.name}[/]\n[dim]{short_market(r.bot.config)}[/]",
            f"{status(r.state)}\n[dim]{escape(r.state.reason or '')}[/]",
            last_signal(r),
            _position(r),
            f"{pnl(r.realized_today)}\n{pnl(r.realized_pnl)}",
            f"{r.trades}\n{r.wins}/{r.losses}",
        )
    return table


def short_market(config: BotConfig) -> str:
    """Say the market in few letters: `BTCUSDT spot 1m`, `BTCUSDT fut 10x 1m`."""
    if config.position_type.value == "futures":
        return f"{config.symbol} fut {config.leverage}x {config.timeframe}"
    return f"{config.symbol} {config.position_type.value} {config.timeframe}"


def _position(report: BotReport) -> str:
    held = report.state.position
    if held is None:
        return "-"
    return f"{held.side.value} {amount(held.quantity)}\n@ {amount(held.entry_price)}"


def wallets_text(wallets: Wallets | None, transfer_note: str) -> Text:
    """Say what the demo account holds, and where the futures margin came from."""
    if wallets is None:
        return Text("")
    held = "".join(f" + {amount(qty)} {asset}" for asset, qty in wallets.held.items() if qty)
    line = Text.from_markup(
        f"account: spot [bold]{wallets.spot_usdt:,.2f}[/] USDT{held}  ·  "
        f"futures wallet [bold]{wallets.futures_usdt:,.2f}[/] USDT  "
    )
    line.append(f"({transfer_note})", style="dim")
    return line


def dashboard(
    title: str,
    progress: Progress,
    reports: list[BotReport],
    wallets: Wallets | None,
    transfer_note: str,
) -> RenderableType:
    """Compose the live view: title and simulated clock, progress, bots, wallets."""
    bar = Table.grid(padding=(0, 2), expand=True)
    bar.add_column(ratio=1)
    bar.add_column(no_wrap=True, justify="right")
    rate = progress.ticks / progress.seconds if progress.seconds > 0 else 0.0
    share = progress.slots_done / max(1, progress.slots_total)
    bar.add_row(
        ProgressBar(total=max(1, progress.slots_total), completed=progress.slots_done),
        f"{share:4.0%}  {progress.slots_done:,}/{progress.slots_total:,} min  "
        f"{progress.ticks:,} ticks  {rate:,.0f}/s  {progress.seconds:.0f} s",
    )
    heading = Text.from_markup(f"[bold]{escape(title)}[/]  ·  simulated clock ")
    heading.append(clock_text(progress.now), style="bold cyan")
    return Group(heading, bar, bots_table(reports), wallets_text(wallets, transfer_note))


def hour_line(progress: Progress, reports: list[BotReport]) -> str:
    """One line for each simulated hour when there is no live display."""
    share = progress.slots_done / max(1, progress.slots_total)
    bots = "  ".join(
        f"{r.name} {_plain_status(r)}, {r.trades} fills, {money(r.realized_pnl)}" for r in reports
    )
    return f"{clock_text(progress.now)} {share:4.0%}  {bots}"


def _plain_status(report: BotReport) -> str:
    text = report.state.status.value.replace("_", " ")
    pause = report.state.pause_reason
    return text if pause is None else f"{text} ({pause.value})"


def summary_table(reports: list[BotReport]) -> Table:
    """The closing summary, a column per bot: its whole history, read from the database."""
    table = Table(
        title="what each bot did (read back from the database)", box=box.SIMPLE_HEAD,
        title_justify="left", highlight=False,
    )  # fmt: skip
    table.add_column("", style="bold", no_wrap=True)
    for r in reports:
        table.add_column(r.name, ratio=1)
    rows: dict[str, list[str]] = {
        "market": [market(r.bot.config) for r in reports],
        "fills": [_fills(r) for r in reports],
        "won / lost": [f"{r.wins} / {r.losses}" for r in reports],
        "realized pnl": [f"{pnl(r.realized_pnl)} USDT" for r in reports],
        "fees": [_fees(r) for r in reports],
        "exits by": [_exits(r) for r in reports],
        "orders": [_orders(r) for r in reports],
        "final state": [
            status(r.state) + (f": {r.state.reason}" if r.state.reason else "") for r in reports
        ],
        "open position": [position(r.state.position) for r in reports],
    }
    for label, cells in rows.items():
        table.add_row(label, *cells)
    return table


def _fills(report: BotReport) -> str:
    entries = "entry" if report.entries == 1 else "entries"
    exits = "exit" if report.exits == 1 else "exits"
    return f"{report.trades} ({report.entries} {entries}, {report.exits} {exits})"


def _fees(report: BotReport) -> str:
    """Each fee asset to its own precision: a spot buy may pay its fee in the base asset."""
    fees = sorted(report.fees.items())
    return ", ".join(money_text(v, asset) for asset, v in fees) or "-"


def _exits(report: BotReport) -> str:
    """Count the exits by reason, named as in backtests, trade files and notifications."""
    parts = [f"{reason.value} {n}" for reason, n in report.exits_by.most_common()]
    return ", ".join(parts) or "-"


def _orders(report: BotReport) -> str:
    """Count the bot's orders by status, so cancels and rejects show too."""
    parts = [f"{n} {s.value.lower()}" for s, n in report.orders_by_status.most_common()]
    return ", ".join(parts) or "-"

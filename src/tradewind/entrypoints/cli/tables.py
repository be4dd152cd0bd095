"""Rich tables for users, accounts, bots, their state, orders and trades."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rich import box
from rich.table import Table

from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import Account, User
from tradewind.domain.bots import BotState, BotStatus, OpenPosition
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.services.overview import BotView, History

_STATUS_STYLE = {
    BotStatus.IDLE: "dim",
    BotStatus.WAITING: "cyan",
    BotStatus.IN_POSITION: "green",
    BotStatus.PAUSED: "yellow",
    BotStatus.ERROR: "bold red",
    BotStatus.STOPPED: "dim",
}


def when(ts: int | None) -> str:
    """Show Unix seconds as a UTC time."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def amount(value: Decimal | None) -> str:
    """Show an exact amount without trailing zeros or exponent."""
    if value is None:
        return "-"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def signed(value: Decimal | None) -> str:
    if value is None:
        return "-"
    shown = amount(value)
    style = "green" if value > 0 else "red" if value < 0 else ""
    return f"[{style}]{shown}[/]" if style else shown


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", highlight=False)
    for column in columns:
        if column in _NUMERIC:
            table.add_column(column, justify="right", overflow="fold")
        else:
            table.add_column(column, overflow="fold")
    return table


_NUMERIC = {"id", "balance", "requested", "filled", "avg price", "fee", "quantity", "price",
            "quote", "pnl", "entries today", "pnl today", "slot"}  # fmt: skip


def users_table(users: list[User]) -> Table:
    table = _table("users", "id", "email", "name", "since")
    for user in users:
        table.add_row(str(user.id), user.email, user.name or "-", when(user.created_at))
    return table


def accounts_table(email: str, accounts: list[Account]) -> Table:
    table = _table(f"exchange accounts of {email}", "id", "name", "kind", "api key", "balance")
    for account in accounts:
        kind = account.kind.value + (" (testnet)" if account.testnet else "")
        balances = ", ".join(
            f"{wallet.value} {amount(value)} {asset}"
            for wallet, assets in account.paper_balances.items()
            for asset, value in assets.items()
        )
        key = "stored (encrypted)" if account.has_api_key else "-"
        table.add_row(str(account.id), account.name, kind, key, balances or "-")
    return table


def market(config: BotConfig) -> str:
    """Say which market a bot trades: `BTCUSDT spot 1m`, `BTCUSDT futures 10x 1m`."""
    lever = f" {config.leverage}x" if config.position_type.value == "futures" else ""
    return f"{config.symbol} {config.position_type.value}{lever} {config.timeframe}"


def status(state: BotState) -> str:
    style = _STATUS_STYLE.get(state.status, "")
    text = state.status.value.replace("_", " ")
    if state.pause_reason is not None:
        text += f" ({state.pause_reason.value})"
    return f"[{style}]{text}[/]" if style else text


def position(open_position: OpenPosition | None) -> str:
    if open_position is None:
        return "-"
    side = open_position.side.value
    return f"{side} {amount(open_position.quantity)} @ {amount(open_position.entry_price)}"


def signal(state: BotState) -> str:
    if state.last_signal is None:
        return "-"
    return f"{state.last_signal.name} {when(state.last_signal_at)}"


def bots_table(views: list[BotView]) -> Table:
    table = _table(
        "bots", "id", "name", "owner", "account", "market", "status", "position",
        "last signal", "entries today", "pnl today",
    )  # fmt: skip
    for view in views:
        bot = view.bot
        table.add_row(
            str(bot.id), bot.config.name, view.owner, view.account, market(bot.config),
            status(bot.state), position(bot.state.position), signal(bot.state),
            f"{view.today.entries}{view.today_label()}", signed(view.today.realized_pnl),
        )  # fmt: skip
    return table


def bot_detail(view: BotView) -> list[Table]:
    """Return the bot's config and its state as two key/value tables."""
    bot = view.bot
    config = _table(f"bot {bot.config.name} (id {bot.id})", "setting", "value")
    config.add_row("owner", view.owner)
    config.add_row("account", view.account)
    config.add_row("active", "yes" if bot.active else "no")
    for name, value in config_rows(bot.config):
        config.add_row(name, value)
    return [config, states_table([view], title="state")]


def config_rows(config: BotConfig) -> list[tuple[str, str]]:
    """Return every setting of a bot config as (name, shown value); the strategy's
    parameters as `strategy.<parameter>` after the strategy's name."""
    rows = []
    for name, value in config.model_dump().items():
        if name == "strategy":
            rows.append(("strategy", config.strategy.name))
            rows += [(f"strategy.{k}", str(v)) for k, v in config.strategy.param_values().items()]
            continue
        shown = "-" if value is None else amount(value) if isinstance(value, Decimal) else value
        rows.append((name, str(getattr(shown, "value", shown))))
    return rows


def states_table(views: list[BotView], title: str = "bot states") -> Table:
    table = _table(
        title, "id", "bot", "status", "why", "last run", "slot", "last signal", "position",
        "protection", "entries today", "pnl today",
    )  # fmt: skip
    for view in views:
        state = view.bot.state
        protection = "-"
        if state.position is not None and state.position.protection:
            protection = ", ".join(
                f"{purpose.value} {client_id}"
                for purpose, client_id in state.position.protection.items()
            )
        table.add_row(
            str(view.bot.id), view.bot.config.name, status(state), state.reason or "-",
            when(state.last_run_at), when(state.last_slot), signal(state),
            position(state.position), protection, f"{view.today.entries}{view.today_label()}",
            signed(view.today.realized_pnl),
        )  # fmt: skip
    return table


def orders_table(history: History[OrderRecord]) -> Table:
    table = _table(
        "orders (newest first)", "time", "bot", "client order id", "side", "purpose", "status",
        "requested", "filled", "avg price", "fee", "reason",
    )  # fmt: skip
    for order in history.records:
        fee = "-" if not order.fee else f"{amount(order.fee)} {order.fee_asset or ''}".strip()
        table.add_row(
            when(order.updated_at or order.created_at), history.bot_name(order.bot_id),
            order.client_order_id, order.side.value, order.purpose.value, order.status.value,
            amount(order.requested_qty), amount(order.filled_qty), amount(order.avg_price),
            fee, order.reason or "",
        )  # fmt: skip
    return table


def trades_table(history: History[TradeRecord]) -> Table:
    table = _table(
        "trades (newest first)", "time", "bot", "symbol", "side", "purpose", "quantity",
        "price", "quote", "fee", "pnl",
    )  # fmt: skip
    for trade in history.records:
        table.add_row(
            when(trade.timestamp), history.bot_name(trade.bot_id), trade.symbol,
            trade.side.value, trade.purpose.value, amount(trade.quantity), amount(trade.price),
            amount(trade.quote_quantity), f"{amount(trade.fee)} {trade.fee_asset}",
            signed(trade.realized_pnl),
        )  # fmt: skip
    return table

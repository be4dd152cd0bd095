"""Rich tables for notification channels, routes and deliveries. Secrets are never shown."""

from __future__ import annotations

from urllib.parse import urlsplit

from rich import box
from rich.table import Table

from tradewind.domain.notifications import ROUTABLE, ChannelKind, DeliveryStatus
from tradewind.entrypoints.cli.tables import when
from tradewind.ports import Channel, DeliveryView, Route
from tradewind.services.notify.configure import NotifySettings

_STATUS_STYLE = {
    DeliveryStatus.PENDING: "yellow",
    DeliveryStatus.DELIVERED: "green",
    DeliveryStatus.DEAD: "bold red",
}


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", highlight=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def shown_target(channel: Channel) -> str:
    """Show where a channel goes; a URL's query string (often a token) is left out."""
    if channel.kind is not ChannelKind.WEBHOOK:
        return channel.target
    parts = urlsplit(channel.target)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


def events(route: Route) -> str:
    if not route.events:
        return "none"
    if set(route.events) == set(ROUTABLE):
        return "all"
    return ", ".join(kind.value for kind in route.events)


def settings_tables(settings: NotifySettings) -> list[Table]:
    """Return the user's channels, then which events of which bots go to each."""
    channels = _table(
        f"notification channels of {settings.user.email}", "id", "name", "kind", "target",
        "secret", "since",
    )  # fmt: skip
    for channel in settings.channels:
        secret = "stored (encrypted)" if channel.has_secret else "-"
        channels.add_row(
            str(channel.id), channel.name, channel.kind.value, shown_target(channel), secret,
            when(channel.created_at),
        )  # fmt: skip
    routes = _table("routes (a bot's own route replaces the one for all bots)", "channel",
                    "bots", "events")  # fmt: skip
    names = {channel.id: channel.name for channel in settings.channels}
    for route in settings.routes:
        bots = "all bots" if route.bot_id is None else settings.bot_names.get(route.bot_id, "?")
        routes.add_row(names.get(route.channel_id, "?"), bots, events(route))
    return [channels, routes]


def deliveries_table(views: list[DeliveryView], bot_names: dict[int, str]) -> Table:
    table = _table(
        "deliveries (newest first)", "event", "type", "bot", "channel", "status", "tries",
        "next try / delivered", "last error",
    )  # fmt: skip
    for view in views:
        style = _STATUS_STYLE[view.status]
        if view.status is DeliveryStatus.DELIVERED:
            moment = when(view.delivered_at)
        elif view.status is DeliveryStatus.PENDING:
            moment = when(view.next_attempt_at)
        else:
            moment = "-"
        bot = "-" if view.bot_id is None else bot_names.get(view.bot_id, str(view.bot_id))
        table.add_row(
            view.event_id, view.event_type, bot, view.channel,
            f"[{style}]{view.status.value}[/]", str(view.attempts), moment,
            view.last_error or "",
        )  # fmt: skip
    return table

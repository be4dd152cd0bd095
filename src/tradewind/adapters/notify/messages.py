"""Notifications in words: a headline per event, and the mail with text and HTML parts."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from tradewind.domain.notifications import EventType
from tradewind.ports import Notification

_TRIGGERS = {
    EventType.STOP_LOSS_HIT: "stop-loss hit",
    EventType.TAKE_PROFIT_HIT: "take-profit hit",
    EventType.TRAILING_STOP_HIT: "trailing stop hit",
}
# Shown first, in this order; the rest of the payload follows as it came.
_LEADING = ("bot", "symbol", "side", "quantity", "price", "entry_price", "exit_price",
            "realized_pnl", "reason", "limit", "cause", "error", "day")  # fmt: skip


def _get(payload: Mapping[str, object], key: str, default: str = "?") -> str:
    value = payload.get(key)
    return default if value is None else str(value)


def headline(notification: Notification) -> str:
    """Return what happened, in one line."""
    p = notification.payload
    try:
        kind: EventType | None = EventType(notification.event_type)
    except ValueError:
        kind = None
    if kind is EventType.ORDER_FILLED:
        verb = "bought" if _get(p, "side") == "BUY" else "sold"
        return f"{verb} {_get(p, 'quantity')} {_get(p, 'symbol')} at {_get(p, 'price')}"
    if kind is EventType.POSITION_CLOSED:
        why = _get(p, "reason").replace("_", " ")
        return f"position closed ({why}): realized PnL {_get(p, 'realized_pnl')}"
    if kind in _TRIGGERS:
        return f"{_TRIGGERS[kind]} at {_get(p, 'exit_price')}: PnL {_get(p, 'realized_pnl')}"
    if kind is EventType.BOT_PAUSED:
        return f"paused: {_get(p, 'limit').replace('_', ' ')} reached today"
    if kind is EventType.BOT_RESUMED:
        return "resumed: new entries allowed again"
    if kind is EventType.BOT_ERROR:
        return f"needs you ({_get(p, 'cause', 'error').replace('_', ' ')}): {_get(p, 'error')}"
    if kind is EventType.DAILY_SUMMARY:
        return (
            f"{_get(p, 'day')}: {_get(p, 'entries')} entries, {_get(p, 'exits')} exits, "
            f"realized PnL {_get(p, 'realized_pnl')}"
        )
    if kind is EventType.TEST:
        return "test notification: this channel works"
    return notification.event_type.replace("_", " ")


def subject(notification: Notification) -> str:
    bot = notification.payload.get("bot")
    who = f"{bot}: " if bot is not None else ""
    return f"[tradewind] {who}{headline(notification)}"


def details(notification: Notification) -> list[tuple[str, str]]:
    """Return the event's fields as (label, value), the telling ones first."""
    p = notification.payload
    keys = [k for k in _LEADING if k in p] + [k for k in p if k not in _LEADING]
    rows = [(key.replace("_", " "), _shown(p[key])) for key in keys]
    when = datetime.fromtimestamp(notification.created_at, tz=UTC)
    rows += [("time", when.strftime("%Y-%m-%d %H:%M:%S UTC")), ("event id", notification.event_id)]
    return rows


def _shown(value: object) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_shown(v)}" for k, v in value.items()) or "-"
    return "-" if value is None else str(value)


def email_message(notification: Notification, sender: str, to: str) -> EmailMessage:
    """Return the mail of a notification: a plain-text part and an HTML part."""
    message = EmailMessage()
    message["Subject"] = subject(notification)
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(datetime.now(tz=UTC))
    domain = sender.rpartition("@")[2] or "tradewind"
    # The same on every try, so a mail client can drop a second copy.
    recipient = to.replace("@", "=").replace(" ", "")
    message["Message-ID"] = f"<{notification.event_id}.{recipient}@{domain}>"
    message["X-Tradewind-Event-Id"] = notification.event_id
    message["X-Tradewind-Event-Type"] = notification.event_type
    rows = details(notification)
    width = max(len(label) for label, _ in rows)
    text = [headline(notification), ""] + [f"{label:<{width}}  {value}" for label, value in rows]
    message.set_content("\n".join(text) + "\n")
    cells = "".join(
        f"<tr><th align='left'>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    message.add_alternative(
        "<!doctype html><html><body>"
        f"<h2>{html.escape(headline(notification))}</h2>"
        f"<table cellpadding='4'>{cells}</table>"
        "<p style='color:#888'>sent by tradewind</p></body></html>",
        subtype="html",
    )
    return message

"""Outbox events the tick writes, in the transaction of the change they report."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradewind.domain.records import OutboxEvent
from tradewind.ports import Bot


def _json(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    return value


def event(bot: Bot, event_type: str, at: int, **payload: Any) -> OutboxEvent:
    """Build an outbox event about `bot`; Decimals become strings so nothing is rounded."""
    body: dict[str, object] = {"bot": bot.config.name, "symbol": bot.config.symbol}
    body.update({k: _json(v) for k, v in payload.items()})
    return OutboxEvent(
        event_type=event_type, user_id=bot.user_id, bot_id=bot.id, payload=body, created_at=at
    )

"""What owners are told and how: the outbox, channels, routes and deliveries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tradewind.adapters.db.tables.base import Base
from tradewind.adapters.db.types import BigId, JsonDoc


class OutboxRow(Base):
    """An event to tell its owner about, written in the transaction of the change it reports.

    `delivered_at` is when the dispatcher handed the event to its channels (one
    `notification_deliveries` row each, possibly none); each delivery then has its own
    status. `dedupe_key` names an event that must be written at most once (a bot's daily
    summary, the alert about one order); ordinary events have none.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "uq_outbox_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("dedupe_key IS NOT NULL"),
            postgresql_where=text("dedupe_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    bot_id: Mapped[int | None] = mapped_column(ForeignKey("bot_configs.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_at: Mapped[int] = mapped_column(BigInteger)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # routing passes (unused: 0)
    dedupe_key: Mapped[str | None] = mapped_column(String(120))


class NotificationChannelRow(Base):
    """Where a user's notifications can go: a webhook endpoint or an email address."""

    __tablename__ = "notification_channels"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # ChannelKind
    target: Mapped[str] = mapped_column(Text)  # the webhook URL or the email address
    secret_enc: Mapped[str | None] = mapped_column(Text)  # webhook secret under the master key
    created_at: Mapped[int] = mapped_column(BigInteger)


class NotificationRouteRow(Base):
    """Which events of a bot (or of all the user's bots, `bot_id` NULL) go to a channel.

    A route for a bot replaces the user-wide route of the same channel for that bot.
    """

    __tablename__ = "notification_routes"
    __table_args__ = (UniqueConstraint("channel_id", "bot_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="CASCADE")
    )
    bot_id: Mapped[int | None] = mapped_column(
        ForeignKey("bot_configs.id", ondelete="CASCADE"), index=True
    )
    events: Mapped[str] = mapped_column(Text)  # comma-separated EventType values; "" = none
    created_at: Mapped[int] = mapped_column(BigInteger)


class NotificationDeliveryRow(Base):
    """One event on its way to one channel: tried until delivered or out of tries.

    A try claims the row by moving `next_attempt_at` past the time the try can take, so
    a dispatcher that dies mid-try leaves the row due again once that time has passed.
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "channel_id"),
        Index("ix_notification_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))  # DeliveryStatus
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)

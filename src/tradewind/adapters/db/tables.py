"""The database schema as typed SQLAlchemy models. Times are Unix seconds (UTC) in BIGINT.

Money is `Money` (exact Decimal). Enum-like values are short strings holding the enum's
value, so a new status never needs a schema change. The Alembic migrations in
`migrations/versions` create exactly this schema (a test compares the two).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tradewind.adapters.db.types import BigId, JsonDoc, Money

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


metadata = Base.metadata


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[int] = mapped_column(BigInteger)


class AccountRow(Base):
    __tablename__ = "exchange_accounts"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # ExchangeKind
    testnet: Mapped[bool] = mapped_column(Boolean)
    api_key_enc: Mapped[str] = mapped_column(Text)  # Fernet token under the master key
    api_secret_enc: Mapped[str] = mapped_column(Text)
    has_api_key: Mapped[bool] = mapped_column(Boolean)
    # {"spot": {"USDT": "10000"}, "futures": {...}}: decimal strings, exact.
    paper_balances: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_at: Mapped[int] = mapped_column(BigInteger)


class BotConfigRow(Base):
    """Every `BotConfig` field as a column of the same name (the strategy as its name and
    `strategy_params`), plus ownership and lifecycle."""

    __tablename__ = "bot_configs"
    __table_args__ = (
        # Names are unique among a user's bots that are not deleted, so a retired bot's
        # name can be reused while its orders and trades stay attached to it.
        Index(
            "uq_bot_configs_user_id_name_live",
            "user_id",
            "name",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("exchange_accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    symbol: Mapped[str] = mapped_column(String(20))
    timeframe: Mapped[str] = mapped_column(String(4))
    position_type: Mapped[str] = mapped_column(String(8))
    strategy: Mapped[str] = mapped_column(String(16))  # the strategy's registry name
    # Its parameters by their own names ({"ema_fast": 8, ...}): numbers of the indicators,
    # never money. Validated by the strategy's settings model on every read and write.
    strategy_params: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    leverage: Mapped[int] = mapped_column(Integer)
    custom_stop_loss: Mapped[Decimal | None] = mapped_column(Money)
    custom_take_profit: Mapped[Decimal | None] = mapped_column(Money)
    custom_trailing_stop: Mapped[Decimal | None] = mapped_column(Money)
    position_size_fixed: Mapped[Decimal | None] = mapped_column(Money)
    position_size_perc: Mapped[Decimal | None] = mapped_column(Money)
    max_daily_trades: Mapped[int | None] = mapped_column(Integer)
    max_daily_loss: Mapped[Decimal | None] = mapped_column(Money)
    daily_profit_target: Mapped[Decimal | None] = mapped_column(Money)
    auto_transfer_funds: Mapped[bool] = mapped_column(Boolean)
    transfer_amount: Mapped[Decimal | None] = mapped_column(Money)
    active: Mapped[bool] = mapped_column(Boolean, index=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[int | None] = mapped_column(BigInteger)


class BotStateRow(Base):
    __tablename__ = "bot_states"

    bot_id: Mapped[int] = mapped_column(
        ForeignKey("bot_configs.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))  # BotStatus
    reason: Mapped[str | None] = mapped_column(Text)
    pause_reason: Mapped[str | None] = mapped_column(String(32))  # PauseReason
    last_run_at: Mapped[int | None] = mapped_column(BigInteger)
    last_slot: Mapped[int | None] = mapped_column(BigInteger)
    last_signal: Mapped[str | None] = mapped_column(String(8))  # Signal name
    last_signal_at: Mapped[int | None] = mapped_column(BigInteger)
    position_side: Mapped[str | None] = mapped_column(String(8))  # PositionSide
    position_quantity: Mapped[Decimal | None] = mapped_column(Money)
    position_entry_price: Mapped[Decimal | None] = mapped_column(Money)
    position_entry_time: Mapped[int | None] = mapped_column(BigInteger)
    position_entry_fee: Mapped[Decimal | None] = mapped_column(Money)
    position_entry_client_order_id: Mapped[str | None] = mapped_column(String(36))
    # {"stop_loss": "<client order id>", ...}: the protective orders resting on the exchange.
    position_protection: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    # CloseRequest: the owner asked to close the position now (set and cleared on its own).
    close_requested: Mapped[str | None] = mapped_column(String(8))


class UserChangeRow(Base):
    """How many committed transactions changed a user's bots, their state, orders, trades
    or counters: the live-updates stream reads this one row to know whether to read more.

    Bumped at commit, in the transaction of the change (see `changes.publish`). A run
    recorded by a tick's claim alone (`last_run_at`) is not counted as a change, unless
    it moves the bot to another UTC day: its "today" moves (see `tick_load._ran`).
    """

    __tablename__ = "user_changes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger)


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_bot_id_status", "bot_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_order_id: Mapped[str] = mapped_column(String(36), unique=True)
    exchange_order_id: Mapped[str | None] = mapped_column(String(64))
    bot_id: Mapped[int] = mapped_column(ForeignKey("bot_configs.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    symbol: Mapped[str] = mapped_column(String(20))
    position_type: Mapped[str] = mapped_column(String(8))
    side: Mapped[str] = mapped_column(String(4))
    purpose: Mapped[str] = mapped_column(String(16))  # OrderPurpose
    status: Mapped[str] = mapped_column(String(16))  # OrderStatus
    requested_qty: Mapped[Decimal] = mapped_column(Money)
    filled_qty: Mapped[Decimal] = mapped_column(Money)
    avg_price: Mapped[Decimal | None] = mapped_column(Money)
    quote_qty: Mapped[Decimal] = mapped_column(Money)
    fee: Mapped[Decimal] = mapped_column(Money)
    fee_asset: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)  # the venue's last answer
    slot: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int | None] = mapped_column(BigInteger)


class TradeRow(Base):
    __tablename__ = "trades"
    # Keyed by our client order id (one trade per order): a venue that starts afresh may
    # hand out an exchange order id again, never one of ours.
    __table_args__ = (
        Index("ix_trades_user_id_timestamp", "user_id", "timestamp"),
        Index("ix_trades_bot_id_timestamp", "bot_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bot_configs.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    exchange_order_id: Mapped[str] = mapped_column(String(64))
    client_order_id: Mapped[str] = mapped_column(String(36), index=True, unique=True)
    symbol: Mapped[str] = mapped_column(String(20))
    side: Mapped[str] = mapped_column(String(4))
    order_type: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    price: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[Decimal] = mapped_column(Money)
    quote_quantity: Mapped[Decimal] = mapped_column(Money)
    fee: Mapped[Decimal] = mapped_column(Money)
    fee_asset: Mapped[str] = mapped_column(String(16))
    realized_pnl: Mapped[Decimal | None] = mapped_column(Money)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class DailyCounterRow(Base):
    __tablename__ = "daily_counters"

    bot_id: Mapped[int] = mapped_column(
        ForeignKey("bot_configs.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # UTC calendar day
    entries: Mapped[int] = mapped_column(Integer)
    realized_pnl: Mapped[Decimal] = mapped_column(Money)


class TickSlotRow(Base):
    __tablename__ = "tick_slots"

    bot_id: Mapped[int] = mapped_column(
        ForeignKey("bot_configs.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    claimed_at: Mapped[int] = mapped_column(BigInteger)


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


class LoginRow(Base):
    """How a user signs in: an Argon2id password hash, a role, and whether they may."""

    __tablename__ = "user_logins"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))  # access.Role
    disabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class WebSessionRow(Base):
    """A signed-in browser, found by the SHA-256 of its cookie (the cookie is never stored)."""

    __tablename__ = "web_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class ApiTokenRow(Base):
    """A personal API token, found by the SHA-256 of its secret (shown once, never stored)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(64))  # comma-separated TokenScope values
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)


class TwoFactorRow(Base):
    """A user's TOTP secret, a Fernet token under the master key; not asked at sign-in
    until confirmed. `last_step`: the time step of the last code accepted (used once)."""

    __tablename__ = "user_two_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    confirmed_at: Mapped[int | None] = mapped_column(BigInteger)
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCodeRow(Base):
    """A recovery code, by its SHA-256 (64 random bits; shown once), usable once."""

    __tablename__ = "user_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[int | None] = mapped_column(BigInteger)


class LoginAttemptRow(Base):
    """A failed sign-in, by account and by address: the rate limits count these, so every
    API process behind a load balancer sees the same counts."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))  # "account:<email>" or "address:<ip>"
    at: Mapped[int] = mapped_column(BigInteger, index=True)

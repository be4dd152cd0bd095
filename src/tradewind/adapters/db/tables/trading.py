"""Users, exchange accounts, bots and what they trade: state, orders, trades, counters, slots."""

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
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tradewind.adapters.db.tables.base import Base
from tradewind.adapters.db.types import BigId, JsonDoc, Money


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

"""The bot engine's tables: users, accounts, bots and their state, orders, trades,
daily counters, taken tick slots and the notification outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tradewind.adapters.db.types import Money

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKey:
    return sa.ForeignKey(
        f"{target}.id", name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _money(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, Money(), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _text(name: str, length: int | None, nullable: bool = False) -> sa.Column[object]:
    kind = sa.Text() if length is None else sa.String(length)
    return sa.Column(name, kind, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer()),
        _text("email", 254),
        _text("name", 100, nullable=True),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "exchange_accounts",
        sa.Column("id", sa.Integer()),
        sa.Column(
            "user_id",
            sa.Integer(),
            _fk("exchange_accounts", "user_id", "users"),
            nullable=False,
        ),
        _text("name", 100),
        _text("kind", 16),
        sa.Column("testnet", sa.Boolean(), nullable=False),
        _text("api_key_enc", None),
        _text("api_secret_enc", None),
        sa.Column("has_api_key", sa.Boolean(), nullable=False),
        sa.Column("paper_balances", JSON, nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_accounts")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_exchange_accounts_user_id_name")),
    )
    op.create_index(op.f("ix_exchange_accounts_user_id"), "exchange_accounts", ["user_id"])
    _create_bot_configs()
    _create_bot_states()
    _create_orders()
    _create_trades()
    op.create_table(
        "daily_counters",
        sa.Column(
            "bot_id",
            sa.Integer(),
            _fk("daily_counters", "bot_id", "bot_configs", "CASCADE"),
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        _money("realized_pnl"),
        sa.PrimaryKeyConstraint("bot_id", "day", name=op.f("pk_daily_counters")),
    )
    op.create_table(
        "tick_slots",
        sa.Column("bot_id", sa.Integer(), _fk("tick_slots", "bot_id", "bot_configs", "CASCADE")),
        _time("slot"),
        _time("claimed_at"),
        sa.PrimaryKeyConstraint("bot_id", "slot", name=op.f("pk_tick_slots")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID),
        _text("event_type", 64),
        sa.Column("user_id", sa.Integer(), _fk("outbox", "user_id", "users"), nullable=False),
        sa.Column("bot_id", sa.Integer(), _fk("outbox", "bot_id", "bot_configs"), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        _time("created_at"),
        _time("delivered_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_delivered_at"), "outbox", ["delivered_at"])


def _create_bot_configs() -> None:
    op.create_table(
        "bot_configs",
        sa.Column("id", sa.Integer()),
        sa.Column("user_id", sa.Integer(), _fk("bot_configs", "user_id", "users"), nullable=False),
        sa.Column(
            "account_id",
            sa.Integer(),
            _fk("bot_configs", "account_id", "exchange_accounts"),
            nullable=False,
        ),
        _text("name", 100),
        _text("symbol", 20),
        _text("timeframe", 4),
        _text("position_type", 8),
        _text("strategy", 16),
        sa.Column("leverage", sa.Integer(), nullable=False),
        sa.Column("custom_ema_slow", sa.Integer(), nullable=False),
        sa.Column("custom_ema_fast", sa.Integer(), nullable=False),
        sa.Column("custom_rsi_period", sa.Integer(), nullable=False),
        sa.Column("custom_rsi_overbought", sa.Double(), nullable=False),
        sa.Column("custom_rsi_oversold", sa.Double(), nullable=False),
        _money("custom_stop_loss", nullable=True),
        _money("custom_take_profit", nullable=True),
        _money("custom_trailing_stop", nullable=True),
        _money("position_size_fixed", nullable=True),
        _money("position_size_perc", nullable=True),
        sa.Column("max_daily_trades", sa.Integer(), nullable=True),
        _money("max_daily_loss", nullable=True),
        _money("daily_profit_target", nullable=True),
        sa.Column("auto_transfer_funds", sa.Boolean(), nullable=False),
        _money("transfer_amount", nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("created_at"),
        _time("deleted_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_configs")),
    )
    for column in ("account_id", "active", "user_id"):
        op.create_index(op.f(f"ix_bot_configs_{column}"), "bot_configs", [column])
    live = sa.text("deleted_at IS NULL")
    op.create_index(
        "uq_bot_configs_user_id_name_live",
        "bot_configs",
        ["user_id", "name"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )


def _create_bot_states() -> None:
    op.create_table(
        "bot_states",
        sa.Column("bot_id", sa.Integer(), _fk("bot_states", "bot_id", "bot_configs", "CASCADE")),
        _text("status", 16),
        _text("reason", None, nullable=True),
        _text("pause_reason", 32, nullable=True),
        _time("last_run_at", nullable=True),
        _time("last_slot", nullable=True),
        _text("last_signal", 8, nullable=True),
        _time("last_signal_at", nullable=True),
        _text("position_side", 8, nullable=True),
        _money("position_quantity", nullable=True),
        _money("position_entry_price", nullable=True),
        _time("position_entry_time", nullable=True),
        _money("position_entry_fee", nullable=True),
        _text("position_entry_client_order_id", 36, nullable=True),
        sa.Column("position_protection", JSON, nullable=True),
        sa.PrimaryKeyConstraint("bot_id", name=op.f("pk_bot_states")),
    )


def _create_orders() -> None:
    op.create_table(
        "orders",
        sa.Column("id", BIG_ID),
        _text("client_order_id", 36),
        _text("exchange_order_id", 64, nullable=True),
        sa.Column("bot_id", sa.Integer(), _fk("orders", "bot_id", "bot_configs"), nullable=False),
        sa.Column("user_id", sa.Integer(), _fk("orders", "user_id", "users"), nullable=False),
        _text("symbol", 20),
        _text("position_type", 8),
        _text("side", 4),
        _text("purpose", 16),
        _text("status", 16),
        _money("requested_qty"),
        _money("filled_qty"),
        _money("avg_price", nullable=True),
        _money("quote_qty"),
        _money("fee"),
        _text("fee_asset", 16, nullable=True),
        _text("reason", None, nullable=True),
        sa.Column("raw", JSON, nullable=True),
        _time("slot"),
        _time("created_at"),
        _time("updated_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_orders_client_order_id")),
    )
    op.create_index("ix_orders_bot_id_status", "orders", ["bot_id", "status"])
    op.create_index(op.f("ix_orders_user_id"), "orders", ["user_id"])


def _create_trades() -> None:
    op.create_table(
        "trades",
        sa.Column("id", BIG_ID),
        sa.Column("bot_id", sa.Integer(), _fk("trades", "bot_id", "bot_configs"), nullable=False),
        sa.Column("user_id", sa.Integer(), _fk("trades", "user_id", "users"), nullable=False),
        _text("exchange_order_id", 64),
        _text("client_order_id", 36),
        _text("symbol", 20),
        _text("side", 4),
        _text("order_type", 16),
        _text("purpose", 16),
        _money("price"),
        _money("quantity"),
        _money("quote_quantity"),
        _money("fee"),
        _text("fee_asset", 16),
        _money("realized_pnl", nullable=True),
        _time("timestamp"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
        sa.UniqueConstraint(
            "bot_id", "exchange_order_id", name=op.f("uq_trades_bot_id_exchange_order_id")
        ),
    )
    op.create_index(op.f("ix_trades_client_order_id"), "trades", ["client_order_id"])
    op.create_index("ix_trades_user_id_timestamp", "trades", ["user_id", "timestamp"])


def downgrade() -> None:
    for table in (
        "outbox",
        "tick_slots",
        "daily_counters",
        "trades",
        "orders",
        "bot_states",
        "bot_configs",
        "exchange_accounts",
        "users",
    ):
        op.drop_table(table)

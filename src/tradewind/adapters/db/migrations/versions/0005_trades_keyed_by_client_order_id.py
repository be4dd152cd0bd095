"""Trades keyed by our client order id, not by the venue's order id.

A venue that starts afresh (a paper venue whose state was lost, an exchange that renumbers)
can hand out an order id again: keyed on (bot, exchange order id), the second real fill
was skipped as "recorded already". The client order id is ours, unique in `orders`, so a
fill reported twice is still recorded once. An index on (bot, time) replaces the one the
old key gave the bot's trades.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OLD_KEY = "uq_trades_bot_id_exchange_order_id"
_CLIENT_ID_INDEX = "ix_trades_client_order_id"
_BOT_TIME_INDEX = "ix_trades_bot_id_timestamp"


def upgrade() -> None:
    op.drop_index(op.f(_CLIENT_ID_INDEX), table_name="trades")
    op.create_index(op.f(_CLIENT_ID_INDEX), "trades", ["client_order_id"], unique=True)
    op.create_index(_BOT_TIME_INDEX, "trades", ["bot_id", "timestamp"])
    with op.batch_alter_table("trades") as batch:
        batch.drop_constraint(op.f(_OLD_KEY), type_="unique")


def downgrade() -> None:
    reused = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT bot_id, exchange_order_id FROM trades "
                "GROUP BY bot_id, exchange_order_id HAVING COUNT(*) > 1"
            )
        )
        .first()
    )
    if reused is not None:
        # The old key cannot hold them: dropping a real fill is worse than staying here.
        raise RuntimeError(
            f"cannot downgrade below 0005: bot {reused.bot_id} has several trades with "
            f"exchange order id {reused.exchange_order_id!r} (a venue reused it)"
        )
    with op.batch_alter_table("trades") as batch:
        batch.create_unique_constraint(op.f(_OLD_KEY), ["bot_id", "exchange_order_id"])
    op.drop_index(_BOT_TIME_INDEX, table_name="trades")
    op.drop_index(op.f(_CLIENT_ID_INDEX), table_name="trades")
    op.create_index(op.f(_CLIENT_ID_INDEX), "trades", ["client_order_id"])

"""Notifications: channels per user, routes per bot, one delivery per event and channel,
and a key on the outbox for events written at most once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKey:
    return sa.ForeignKey(
        f"{target}.id", name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.add_column("outbox", sa.Column("dedupe_key", sa.String(120), nullable=True))
    keyed = sa.text("dedupe_key IS NOT NULL")
    op.create_index(
        "uq_outbox_dedupe_key",
        "outbox",
        ["dedupe_key"],
        unique=True,
        sqlite_where=keyed,
        postgresql_where=keyed,
    )
    channels = "notification_channels"
    op.create_table(
        channels,
        sa.Column("id", sa.Integer()),
        sa.Column("user_id", sa.Integer(), _fk(channels, "user_id", "users"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{channels}")),
        sa.UniqueConstraint("user_id", "name", name=op.f(f"uq_{channels}_user_id_name")),
    )
    op.create_index(op.f(f"ix_{channels}_user_id"), channels, ["user_id"])
    routes = "notification_routes"
    op.create_table(
        routes,
        sa.Column("id", sa.Integer()),
        sa.Column(
            "channel_id",
            sa.Integer(),
            _fk(routes, "channel_id", channels, "CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "bot_id", sa.Integer(), _fk(routes, "bot_id", "bot_configs", "CASCADE"), nullable=True
        ),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{routes}")),
        sa.UniqueConstraint("channel_id", "bot_id", name=op.f(f"uq_{routes}_channel_id_bot_id")),
    )
    op.create_index(op.f(f"ix_{routes}_bot_id"), routes, ["bot_id"])
    deliveries = "notification_deliveries"
    op.create_table(
        deliveries,
        sa.Column("id", BIG_ID),
        sa.Column(
            "event_id", BIG_ID, _fk(deliveries, "event_id", "outbox", "CASCADE"), nullable=False
        ),
        sa.Column(
            "channel_id",
            sa.Integer(),
            _fk(deliveries, "channel_id", channels, "CASCADE"),
            nullable=False,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{deliveries}")),
        sa.UniqueConstraint(
            "event_id", "channel_id", name=op.f(f"uq_{deliveries}_event_id_channel_id")
        ),
    )
    op.create_index(op.f(f"ix_{deliveries}_channel_id"), deliveries, ["channel_id"])
    op.create_index(
        f"ix_{deliveries}_status_next_attempt_at", deliveries, ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    for table in ("notification_deliveries", "notification_routes", "notification_channels"):
        op.drop_table(table)
    op.drop_index("uq_outbox_dedupe_key", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("dedupe_key")

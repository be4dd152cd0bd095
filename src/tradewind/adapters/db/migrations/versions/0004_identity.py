"""Signing in: logins (password hash, role), browser sessions, API tokens, failed attempts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _user_fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("users.id", name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE")


def upgrade() -> None:
    logins = "user_logins"
    op.create_table(
        logins,
        sa.Column("user_id", sa.Integer(), _user_fk(logins), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f(f"pk_{logins}")),
    )
    sessions = "web_sessions"
    op.create_table(
        sessions,
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), _user_fk(sessions), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f(f"pk_{sessions}")),
    )
    op.create_index(op.f(f"ix_{sessions}_user_id"), sessions, ["user_id"])
    op.create_index(op.f(f"ix_{sessions}_expires_at"), sessions, ["expires_at"])
    tokens = "api_tokens"
    op.create_table(
        tokens,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), _user_fk(tokens), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("scopes", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{tokens}")),
        sa.UniqueConstraint("secret_hash", name=op.f(f"uq_{tokens}_secret_hash")),
    )
    op.create_index(op.f(f"ix_{tokens}_user_id"), tokens, ["user_id"])
    attempts = "login_attempts"
    op.create_table(
        attempts,
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{attempts}")),
    )
    op.create_index("ix_login_attempts_key_at", attempts, ["key", "at"])
    op.create_index(op.f(f"ix_{attempts}_at"), attempts, ["at"])


def downgrade() -> None:
    op.drop_table("login_attempts")
    op.drop_table("api_tokens")
    op.drop_table("web_sessions")
    op.drop_table("user_logins")

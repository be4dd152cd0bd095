"""Two-factor sign-in: users' TOTP secrets (encrypted) and recovery codes (hashed).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("users.id", name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE")


def upgrade() -> None:
    second = "user_two_factor"
    op.create_table(
        second,
        sa.Column("user_id", sa.Integer(), _user_fk(second), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("confirmed_at", sa.BigInteger(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f(f"pk_{second}")),
    )
    codes = "user_recovery_codes"
    op.create_table(
        codes,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), _user_fk(codes), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{codes}")),
    )
    op.create_index(op.f(f"ix_{codes}_user_id"), codes, ["user_id"])


def downgrade() -> None:
    op.drop_table("user_recovery_codes")
    op.drop_table("user_two_factor")

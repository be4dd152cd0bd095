"""Close the position now: `bot_states.close_requested`, the owner's pending request.

A nullable column: SQLite adds it in place (ALTER TABLE), no copy of the table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bot_states", sa.Column("close_requested", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_column("bot_states", "close_requested")

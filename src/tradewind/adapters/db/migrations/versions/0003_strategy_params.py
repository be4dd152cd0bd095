"""Strategies as plugins: a bot's strategy parameters in one JSON column.

`bot_configs.strategy_params` holds the parameters of the strategy named in
`bot_configs.strategy`, by the strategy's own names. Every bot so far trades ema_rsi, so
its five `custom_ema_*`/`custom_rsi_*` columns move into the JSON and are dropped.

Both steps are plain ALTER TABLE statements, which SQLite (3.35 and later) runs in place:
copying the table instead (Alembic's batch mode) would drop the old `bot_configs`, and
with foreign keys on, SQLite deletes the rows that refer to it (states, orders, trades)
before dropping a table. SQLite adds a NOT NULL column only with a default, so there the
column keeps a default of `{}`; tradewind always writes it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# The ema_rsi parameters as the 0002 schema held them: column -> (parameter, type).
MOVED: dict[str, tuple[str, type[int] | type[float]]] = {
    "custom_ema_fast": ("ema_fast", int),
    "custom_ema_slow": ("ema_slow", int),
    "custom_rsi_period": ("rsi_period", int),
    "custom_rsi_oversold": ("rsi_oversold", float),
    "custom_rsi_overbought": ("rsi_overbought", float),
}
_COLUMN_TYPES: dict[type, sa.types.TypeEngine[Any]] = {int: sa.Integer(), float: sa.Double()}
_bots = sa.table(
    "bot_configs",
    sa.column("id", sa.Integer()),
    sa.column("strategy", sa.String(16)),
    sa.column("strategy_params", JSON),
    *(sa.column(name, _COLUMN_TYPES[kind]) for name, (_, kind) in MOVED.items()),
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        op.add_column(
            "bot_configs",
            sa.Column("strategy_params", JSON, nullable=False, server_default=sa.text("'{}'")),
        )
    else:
        op.add_column("bot_configs", sa.Column("strategy_params", JSON, nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_bots.c.id, *(_bots.c[name] for name in MOVED))).all()
    for row in rows:
        params = {param: kind(row._mapping[name]) for name, (param, kind) in MOVED.items()}
        connection.execute(
            _bots.update().where(_bots.c.id == row.id).values(strategy_params=params)
        )
    if not _sqlite():
        op.alter_column("bot_configs", "strategy_params", existing_type=JSON, nullable=False)
    for name in MOVED:
        op.drop_column("bot_configs", name)


def downgrade() -> None:
    connection = op.get_bind()
    others = connection.execute(
        sa.select(sa.func.count()).where(_bots.c.strategy != "ema_rsi")
    ).scalar_one()
    if others:
        raise RuntimeError(
            f"{others} bots trade a strategy other than ema_rsi, which revision 0002 cannot "
            "hold; delete them before downgrading"
        )
    defaults: dict[str, Any] = {"ema_fast": 8, "ema_slow": 21, "rsi_period": 7,
                                "rsi_oversold": 35.0, "rsi_overbought": 65.0}  # fmt: skip
    for name, (param, kind) in MOVED.items():
        # SQLite adds a NOT NULL column only with a default: the strategy's own.
        default = sa.text(repr(defaults[param])) if _sqlite() else None
        op.add_column(
            "bot_configs",
            sa.Column(name, _COLUMN_TYPES[kind], nullable=default is None, server_default=default),
        )
    rows = connection.execute(sa.select(_bots.c.id, _bots.c.strategy_params)).all()
    for row in rows:
        params = {**defaults, **(row.strategy_params or {})}
        connection.execute(
            _bots.update()
            .where(_bots.c.id == row.id)
            .values({name: params[param] for name, (param, _) in MOVED.items()})
        )
    if not _sqlite():
        for name, (_, kind) in MOVED.items():
            op.alter_column("bot_configs", name, existing_type=_COLUMN_TYPES[kind], nullable=False)
    op.drop_column("bot_configs", "strategy_params")

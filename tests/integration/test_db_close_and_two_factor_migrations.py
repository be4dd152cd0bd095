"""Migrations 0006 (a bot's close request) and 0007 (two-factor sign-in) go up, down and
up again on SQLite and PostgreSQL, and end on exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from tests.integration.test_db_strategy_migration import alembic, empty_engine  # noqa: F401
from tradewind.adapters.db.engine import HEAD_REVISION
from tradewind.adapters.db.tables import metadata


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _state_columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("bot_states")}


def test_up_down_and_up_again(empty_engine: Engine) -> None:  # noqa: F811
    alembic(empty_engine, "upgrade", "head")
    assert {"user_two_factor", "user_recovery_codes"} <= _tables(empty_engine)
    assert "close_requested" in _state_columns(empty_engine)

    alembic(empty_engine, "downgrade", "0005")
    assert not {"user_two_factor", "user_recovery_codes"} & _tables(empty_engine)
    assert "close_requested" not in _state_columns(empty_engine)

    alembic(empty_engine, "upgrade", "head")
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == HEAD_REVISION

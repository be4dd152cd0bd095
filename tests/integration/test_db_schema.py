"""The schema: migrations match the models, the start check, exact money columns."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, inspect, select, text

from tradewind.adapters.db.engine import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    ensure_migrated,
    make_engine,
    migrate,
)
from tradewind.adapters.db.tables import BotConfigRow, metadata
from tradewind.adapters.db.types import Money
from tradewind.bot_config import BotConfig
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.strategies import STRATEGIES


def test_the_migrations_create_exactly_the_schema_of_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_the_start_check_knows_the_latest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_a_migrated_database_passes_the_start_check_and_migrating_again_changes_nothing(
    engine: Engine,
) -> None:
    ensure_migrated(engine)
    assert migrate(engine) == (HEAD_REVISION, HEAD_REVISION)


def test_a_database_behind_the_code_is_refused_with_the_command_that_fixes_it(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    try:
        with pytest.raises(ConfigurationError, match=r"is not migrated: run `tradewind init`"):
            ensure_migrated(engine)
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE alembic_version SET version_num = '{HEAD_REVISION}'"))


def test_a_database_ahead_of_the_code_asks_for_a_newer_tradewind(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        with pytest.raises(ConfigurationError, match="migrated by a newer tradewind"):
            ensure_migrated(engine)
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE alembic_version SET version_num = '{HEAD_REVISION}'"))


def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "tradewind.db"
    engine = make_engine(f"sqlite:///{path}")
    with pytest.raises(ConfigurationError, match=r"not migrated: run `tradewind init`"):
        ensure_migrated(engine)
    engine.dispose()
    assert not path.exists()


def test_an_empty_sqlite_file_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tradewind.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE unrelated (id INTEGER)"))
    with pytest.raises(ConfigurationError, match="not migrated"):
        ensure_migrated(engine)
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tradewind.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    engine.dispose()


def test_every_bot_config_field_has_a_column_of_its_name() -> None:
    columns = set(BotConfigRow.__table__.columns.keys())
    assert set(BotConfig.model_fields) <= columns


def test_every_registered_strategy_name_fits_the_strategy_column() -> None:
    width = BotConfigRow.__table__.c.strategy.type.length
    assert all(len(name) <= width for name in STRATEGIES)


def test_money_columns_are_exact_decimals_never_floats(engine: Engine) -> None:
    for table in inspect(engine).get_table_names():
        for column in inspect(engine).get_columns(table):
            kind = str(column["type"]).upper()
            assert "FLOAT" not in kind, f"{table}.{column['name']} is a float"
            assert "DOUBLE" not in kind, f"{table}.{column['name']} is a float"


_probe = Table(
    "money_probe", MetaData(), Column("id", Integer, primary_key=True), Column("amount", Money)
)


@pytest.fixture
def probe(engine: Engine) -> Iterator[Table]:
    """Yield a scratch table with one money column."""
    _probe.create(engine)
    yield _probe
    _probe.drop(engine)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amount=st.decimals(
        min_value=Decimal("-1e17"),
        max_value=Decimal("1e17"),
        places=18,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_any_amount_with_up_to_18_decimals_survives_a_round_trip_exactly(
    engine: Engine, probe: Table, amount: Decimal
) -> None:
    with engine.begin() as connection:
        row_id = connection.execute(
            insert(probe).values(amount=amount).returning(probe.c.id)
        ).scalar_one()
        stored = connection.execute(select(probe.c.amount).where(probe.c.id == row_id)).scalar()
    assert stored == amount
    assert isinstance(stored, Decimal)


def test_a_tenth_stays_a_tenth_and_extra_decimals_round_half_even(
    engine: Engine, probe: Table
) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(probe),
            [
                {"id": 1, "amount": Decimal("0.1")},
                {"id": 2, "amount": Decimal("0.0000000000000000025")},
                {"id": 3, "amount": Decimal("10000")},
            ],
        )
        stored = dict(connection.execute(select(probe.c.id, probe.c.amount)).all())
    assert str(stored[1]) == "0.1"
    assert stored[2] == Decimal("0.000000000000000002")
    assert str(stored[3]) == "10000"


def test_a_float_is_refused_as_money(engine: Engine, probe: Table) -> None:
    with pytest.raises(Exception, match="money must be a Decimal"), engine.begin() as connection:
        connection.execute(insert(probe).values(amount=0.1))

"""Migration 0003: bots stored with flat `custom_*` columns (revision 0002) come out of the
upgrade with the same config, their parameters in `strategy_params`, nothing else lost;
and the downgrade gives the columns back. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from psycopg import sql
from sqlalchemy import Engine, MetaData, insert, inspect, select

from tests.integration.conftest import POSTGRES_ADMIN, POSTGRES_URL
from tradewind.adapters.db.engine import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    make_engine,
    migrate,
    session_factory,
)
from tradewind.adapters.db.secrets import SecretBox, generate_key
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.bot_config import BotConfig

T0 = 1_700_000_000
# Two bots as revision 0002 held them: defaults, and every parameter changed.
FLAT = [
    {"custom_ema_fast": 8, "custom_ema_slow": 21, "custom_rsi_period": 7,
     "custom_rsi_oversold": 35.0, "custom_rsi_overbought": 65.0},
    {"custom_ema_fast": 3, "custom_ema_slow": 400, "custom_rsi_period": 14,
     "custom_rsi_oversold": 20.5, "custom_rsi_overbought": 80.25},
]  # fmt: skip
IDENTITY = {"symbol": "BTCUSDT", "timeframe": "5m", "position_type": "spot"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Yield an engine on a database with no schema at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as e:
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432 as user postgres: {e}")
    name = f"tradewind_migration_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        engine = make_engine(POSTGRES_URL.format(name=name))
        try:
            yield engine
        finally:
            engine.dispose()
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def alembic(engine: Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def seed_at_0002(engine: Engine) -> list[int]:
    """Migrate to 0002 and store a user, an account and the FLAT bots with their states."""
    alembic(engine, "upgrade", "0002")
    tables = MetaData()
    tables.reflect(engine)
    users, accounts = tables.tables["users"], tables.tables["exchange_accounts"]
    configs, states = tables.tables["bot_configs"], tables.tables["bot_states"]
    with engine.begin() as db:
        user = db.execute(
            insert(users).values(email="old@example.com", created_at=T0).returning(users.c.id)
        ).scalar_one()
        account = db.execute(
            insert(accounts)
            .values(user_id=user, name="paper", kind="paper", testnet=False, api_key_enc="",
                    api_secret_enc="", has_api_key=False, paper_balances={}, created_at=T0)
            .returning(accounts.c.id)
        ).scalar_one()  # fmt: skip
        ids = []
        for number, flat in enumerate(FLAT):
            bot = db.execute(
                insert(configs)
                .values(user_id=user, account_id=account, name=f"bot{number}", **IDENTITY,
                        strategy="ema_rsi", leverage=1, custom_stop_loss="1.5",
                        auto_transfer_funds=False, active=True, created_at=T0, **flat)
                .returning(configs.c.id)
            ).scalar_one()  # fmt: skip
            db.execute(insert(states).values(bot_id=bot, status="waiting", last_slot=T0))
            ids.append(bot)
    return ids


def test_bots_of_revision_0002_read_back_the_same_config_after_the_upgrade(
    empty_engine: Engine,
) -> None:
    ids = seed_at_0002(empty_engine)
    assert migrate(empty_engine) == ("0002", HEAD_REVISION)

    secrets = SecretBox.from_keys([generate_key()], "the test key")
    with SqlManageUnitOfWork(session_factory(empty_engine), secrets) as uow:
        bots = [uow.bots.get(bot_id) for bot_id in ids]
    for bot, flat, number in zip(bots, FLAT, range(len(FLAT)), strict=True):
        assert bot is not None
        expected = BotConfig.model_validate(
            {"name": f"bot{number}", **IDENTITY, "custom_stop_loss": "1.5", **flat}
        )
        assert bot.config == expected
        assert bot.state.last_slot == T0  # the states survived the change of bot_configs
        assert bot.active
    columns = {c["name"] for c in inspect(empty_engine).get_columns("bot_configs")}
    assert "strategy_params" in columns
    assert not any(name.startswith(("custom_ema", "custom_rsi")) for name in columns)


def test_the_downgrade_gives_the_flat_columns_back(empty_engine: Engine) -> None:
    ids = seed_at_0002(empty_engine)
    migrate(empty_engine)
    alembic(empty_engine, "downgrade", "0002")
    tables = MetaData()
    tables.reflect(empty_engine)
    configs = tables.tables["bot_configs"]
    with empty_engine.connect() as db:
        rows = db.execute(
            select(*(configs.c[name] for name in FLAT[0])).where(configs.c.id.in_(ids))
            .order_by(configs.c.id)
        ).all()  # fmt: skip
    assert [dict(row._mapping) for row in rows] == FLAT
    assert "strategy_params" not in configs.c

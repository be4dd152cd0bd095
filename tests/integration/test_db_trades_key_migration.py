"""Migration 0005: trades keyed by our client order id. Rows of revision 0004 come through
the upgrade whole; afterwards an exchange order id may come back (a venue started afresh)
but a client order id may not; the downgrade gives the old key back, and refuses, naming
the rows, while two trades of a bot share an exchange order id. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from tests.integration.test_db_strategy_migration import alembic, empty_engine  # noqa: F401
from tradewind.adapters.db.engine import HEAD_REVISION, migrate

T0 = 1_700_000_000


def trade(bot: int, user: int, exchange_id: str, client_id: str) -> dict[str, Any]:
    return {
        "bot_id": bot, "user_id": user, "exchange_order_id": exchange_id,
        "client_order_id": client_id, "symbol": "BTCUSDT", "side": "BUY",
        "order_type": "MARKET", "purpose": "entry", "price": "27123.45",
        "quantity": "0.00123", "quote_quantity": "33.3618435", "fee": "0.0333618435",
        "fee_asset": "USDT", "realized_pnl": None, "timestamp": T0,
    }  # fmt: skip


def seed_at_0004(engine: Engine) -> tuple[int, int]:
    """Migrate to 0004 and store a user, an account, a bot and two of its trades."""
    alembic(engine, "upgrade", "0004")
    tables = MetaData()
    tables.reflect(engine)
    users, accounts = tables.tables["users"], tables.tables["exchange_accounts"]
    configs, trades = tables.tables["bot_configs"], tables.tables["trades"]
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
        bot = db.execute(
            insert(configs)
            .values(user_id=user, account_id=account, name="bot", symbol="BTCUSDT",
                    timeframe="5m", position_type="spot", strategy="ema_rsi", leverage=1,
                    auto_transfer_funds=False, active=True, created_at=T0,
                    strategy_params={})
            .returning(configs.c.id)
        ).scalar_one()  # fmt: skip
        db.execute(insert(trades), [trade(bot, user, "1001", "tw1-60-e0"),
                                    trade(bot, user, "1002", "tw1-120-c0")])  # fmt: skip
    return bot, user


def trades_of(engine: Engine) -> tuple[Table, list[tuple[str, str]]]:
    tables = MetaData()
    tables.reflect(engine)
    trades = tables.tables["trades"]
    with engine.connect() as db:
        rows = db.execute(
            select(trades.c.exchange_order_id, trades.c.client_order_id).order_by(trades.c.id)
        )
        return trades, [(e, c) for e, c in rows]


def test_trades_go_up_whole_and_then_are_keyed_by_client_order_id(
    empty_engine: Engine,  # noqa: F811
) -> None:
    bot, user = seed_at_0004(empty_engine)
    assert migrate(empty_engine) == ("0004", HEAD_REVISION)
    trades, rows = trades_of(empty_engine)
    assert rows == [("1001", "tw1-60-e0"), ("1002", "tw1-120-c0")]
    with empty_engine.begin() as db:  # a venue started afresh hands out 1001 again
        db.execute(insert(trades).values(trade(bot, user, "1001", "tw1-180-e0")))
    with pytest.raises(IntegrityError), empty_engine.begin() as db:
        db.execute(insert(trades).values(trade(bot, user, "9999", "tw1-60-e0")))
    assert len(trades_of(empty_engine)[1]) == 3


def test_the_downgrade_restores_the_old_key_and_refuses_while_an_id_was_reused(
    empty_engine: Engine,  # noqa: F811
) -> None:
    bot, user = seed_at_0004(empty_engine)
    migrate(empty_engine)
    trades, _ = trades_of(empty_engine)
    reused = trade(bot, user, "1001", "tw1-180-e0")
    with empty_engine.begin() as db:
        db.execute(insert(trades).values(reused))
    with pytest.raises(RuntimeError, match="exchange order id '1001'"):
        alembic(empty_engine, "downgrade", "0004")
    assert len(trades_of(empty_engine)[1]) == 3  # nothing half done
    with empty_engine.begin() as db:
        db.execute(delete(trades).where(trades.c.client_order_id == "tw1-180-e0"))
    alembic(empty_engine, "downgrade", "0004")
    trades, rows = trades_of(empty_engine)
    assert rows == [("1001", "tw1-60-e0"), ("1002", "tw1-120-c0")]
    with pytest.raises(IntegrityError), empty_engine.begin() as db:
        db.execute(insert(trades).values(reused))

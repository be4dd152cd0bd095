"""What the tick benchmark runs on: databases, users and bots, a market, timing wrappers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, event, text

from tradewind.adapters.db.engine import make_engine, migrate, session_factory
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.types import PositionType
from tradewind.ports import AccountAccess, Exchange, ExchangeProvider, NewAccount
from tradewind.settings import Settings

POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
START = datetime(2024, 3, 1, tzinfo=UTC)
# symbol -> (start price, tick size) of its generated market
SYMBOLS = {
    "BTCUSDT": (42_000, "0.01"),
    "ETHUSDT": (2_300, "0.01"),
    "SOLUSDT": (110, "0.01"),
    "BNBUSDT": (380, "0.01"),
    "XRPUSDT": ("0.62", "0.0001"),
}
# One user's bots: the mix repeats every len(MIX) bots; periods vary per user below.
MIX: list[dict[str, object]] = [
    {"symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot", "custom_stop_loss": 1,
     "custom_take_profit": "1.5", "position_size_fixed": "100"},
    {"symbol": "ETHUSDT", "timeframe": "5m", "position_type": "spot",
     "custom_trailing_stop": "0.8", "position_size_perc": 5},
    {"symbol": "SOLUSDT", "timeframe": "1m", "position_type": "spot", "custom_stop_loss": 2,
     "custom_take_profit": 3, "position_size_fixed": "50", "max_daily_trades": 10},
    {"symbol": "BNBUSDT", "timeframe": "3m", "position_type": "spot",
     "position_size_fixed": "25"},
    {"symbol": "BTCUSDT", "timeframe": "1m", "position_type": "futures", "leverage": 10,
     "custom_stop_loss": 1, "custom_take_profit": 2, "position_size_fixed": "50"},
    {"symbol": "ETHUSDT", "timeframe": "5m", "position_type": "futures", "leverage": 5,
     "custom_trailing_stop": 1, "auto_transfer_funds": True, "position_size_fixed": "100"},
    {"symbol": "SOLUSDT", "timeframe": "1m", "position_type": "futures", "leverage": 3,
     "custom_stop_loss": "1.5", "max_daily_loss": 50, "position_size_fixed": "40"},
    {"symbol": "XRPUSDT", "timeframe": "15m", "position_type": "spot", "custom_stop_loss": 1,
     "position_size_fixed": "30"},
]  # fmt: skip


@dataclass
class BenchDatabase:
    """A database made for one run, and how to drop it."""

    name: str
    url: str
    drop: Callable[[], None]

    @classmethod
    def create(cls, kind: str, tmp: Path) -> BenchDatabase | None:
        """Create an empty, migrated database; None when PostgreSQL cannot be reached."""
        if kind == "sqlite":
            database = cls("sqlite", f"sqlite:///{tmp / 'bench.db'}", lambda: None)
        elif kind == "postgresql":
            created = _create_postgres()
            if created is None:
                return None
            database = cls("postgresql", *created)
        else:
            raise SystemExit(f"unknown database {kind!r}: use sqlite or postgresql")
        engine = make_engine(database.url)
        try:
            migrate(engine)
        finally:
            engine.dispose()
        return database


def _create_postgres() -> tuple[str, Callable[[], None]] | None:
    import psycopg
    from psycopg import sql

    try:
        psycopg.connect(POSTGRES_ADMIN, connect_timeout=3).close()
    except psycopg.OperationalError:
        return None
    name = f"tradewind_bench_{uuid.uuid4().hex[:12]}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(statement)

    def drop() -> None:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))

    return POSTGRES_URL.format(name=name), drop


def replay_market(minutes: int, seed: int) -> tuple[ReplayMarketData, int]:
    """Return a generated 1m market for every symbol of the mix, and its first open time."""
    series = {}
    for i, (symbol, (price, tick)) in enumerate(SYMBOLS.items()):
        series[symbol] = generate_market(
            minutes, 60, seed=seed + i, start_price=Decimal(str(price)), tick=Decimal(tick),
            start_time=START,
        )  # fmt: skip
    return ReplayMarketData(series), int(START.timestamp())


def populate(
    settings: Settings,
    bots: int,
    now: int,
    per_user: int = len(MIX),
    account_of: Callable[[int, int, int], NewAccount] | None = None,
) -> None:
    """Add users with one paper account each and `bots` started bots (`per_user` each, the
    mix's size by default), in one transaction. `account_of(user number, user id, now)`
    makes each user's account instead (the live benchmark's Binance keys)."""
    engine = make_engine(settings.database_url)
    box = SecretBox.from_settings(settings)
    try:
        with SqlManageUnitOfWork(session_factory(engine), box) as uow:
            account_id = user_id = 0
            for n in range(bots):
                if n % per_user == 0:
                    user_id = uow.users.add(f"user{n // per_user}@example.com", None, now).id
                    made = account_of or (lambda _n, uid, at: _paper(uid, at))
                    account_id = uow.accounts.add(made(n // per_user, user_id, now)).id
                user = n // per_user
                periods = {"custom_ema_fast": 5 + user % 5, "custom_ema_slow": 13 + user % 11,
                           "custom_rsi_period": 6 + user % 4}  # fmt: skip
                config = BotConfig.model_validate(
                    {"name": f"bot{n}", **MIX[n % len(MIX)], **periods}
                )
                bot = uow.bots.add(user_id, account_id, config, now)
                uow.bots.set_active(bot.id, True)
            uow.commit()
    finally:
        engine.dispose()


def _paper(user_id: int, now: int) -> NewAccount:
    return NewAccount(
        user_id=user_id, name="paper", kind=ExchangeKind.PAPER, api_key=SecretStr(""),
        api_secret=SecretStr(""), created_at=now,
        paper_balances={PositionType.SPOT: {"USDT": Decimal(10_000)},
                        PositionType.FUTURES: {"USDT": Decimal(1_000)}},
    )  # fmt: skip


class Meter:
    """Seconds spent inside exchange calls since it was last zeroed."""

    seconds: float = 0.0


class TimedExchange:
    """An Exchange whose every call adds its duration to a meter."""

    def __init__(self, inner: Exchange, meter: Meter) -> None:
        self._inner = inner
        self._meter = meter

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self._meter.seconds += time.perf_counter() - started

        return timed


@dataclass
class TimedExchanges:
    """An ExchangeProvider whose exchanges (and itself) are timed."""

    inner: ExchangeProvider
    meter: Meter

    def for_account(self, access: AccountAccess) -> Exchange:
        started = time.perf_counter()
        try:
            exchange = self.inner.for_account(access)
        finally:
            self.meter.seconds += time.perf_counter() - started
        return TimedExchange(exchange, self.meter)  # type: ignore[return-value]


class SqlCounter:
    """Statements, transactions and pool checkouts seen on an engine."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.statements = self.transactions = self.checkouts = 0


def count_sql(engine: Engine) -> SqlCounter:
    """Count what the engine sends from now on."""
    counter = SqlCounter()

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE: a transaction
            counter.statements += 1

    def on_begin(*_args: Any) -> None:
        counter.transactions += 1

    def on_checkout(*_args: Any) -> None:
        counter.checkouts += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    event.listen(engine.pool, "checkout", on_checkout)
    return counter


def count_rows(engine: Engine) -> tuple[int, int]:
    """Return how many orders and trades the run wrote."""
    with engine.connect() as connection:
        orders = connection.execute(text("SELECT count(*) FROM orders")).scalar_one()
        trades = connection.execute(text("SELECT count(*) FROM trades")).scalar_one()
    return int(orders), int(trades)

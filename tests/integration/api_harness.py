"""The API served for real: uvicorn on a loopback port in a thread, over a migrated database.

Beside it runs the project's Binance-compatible server (loopback), where a Binance
account's key and secret are checked when added (`ApiWorld.binance.add_account`).
`ApiWorld` is two users, Ann and Bob, each with a password, a paper account, a bot (with
an order and a closing trade), a session and a token of each scope, built through the
services and the HTTP API as a user would. Passwords are hashed with cheap Argon2id
parameters here: the hashing is the library's, the tests are about who sees what.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import uvicorn
from argon2 import PasswordHasher

from tests.market_script import MINUTE, T0, ManualClock, flat_candles, same_candles_for_both_markets
from tradewind.adapters.auth.passwords import Argon2Passwords
from tradewind.adapters.db.secrets import generate_key
from tradewind.adapters.db.unit_of_work import SqlUnitOfWork
from tradewind.adapters.exchange.simulated import CandlesPriceFeed, SimulatedVenue
from tradewind.bootstrap.backtest import backtest_jobs
from tradewind.bootstrap.markets import generated_markets
from tradewind.bootstrap.store import Store
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.domain.types import PositionType, Side, Symbol
from tradewind.entrypoints.api.app import create_app
from tradewind.ports import MarketData
from tradewind.services import identity, manage
from tradewind.services.access import Actor, Role
from tradewind.settings import Settings
from tradewind.testkit.binance_server.server import BinanceServer

PASSWORD = "correct horse battery"
API = "/api/v1"
CHEAP = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def open_store(database_url: str, data_dir: Path, **settings: object) -> Store:
    """Open a store on the database with a fresh master key and cheap password hashing."""
    config = Settings(
        database_url=database_url, data_dir=data_dir, secret_key=generate_key().decode(),
        **settings,  # type: ignore[arg-type]
    )  # fmt: skip
    return dataclasses.replace(Store.open(config), passwords=CHEAP)


@contextmanager
def served(
    store: Store, market: MarketData | None = None, *, job_processes: bool = False
) -> Iterator[str]:
    """Serve the API on 127.0.0.1 (a free port) while the block runs; yield its base URL.

    Bot charts read `market` (by default a generated BTCUSDT market around the trades
    `record_trade` writes). Backtest jobs run on threads unless `job_processes` (the
    server's own pool of spawned processes, costly to start on a loaded machine)."""
    threads = ThreadPoolExecutor(store.settings.backtest_jobs_total)
    jobs = None if job_processes else backtest_jobs(store.settings, threads)
    app = create_app(store, market if market is not None else chart_market(), jobs)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the API server did not start")
            threading.Event().wait(0.01)
        (sock,) = [s for srv in server.servers for s in srv.sockets]
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        app.state.backtests.close()


TRADES_AT = 1_700_000_000  # when `record_trade`'s fills happen


def chart_market() -> MarketData:
    """Return a generated 1-minute BTCUSDT market of 400 minutes around TRADES_AT."""
    return generated_markets(["BTCUSDT"], TRADES_AT - 200 * 60, 400, seed=3)


def sign_in(base_url: str, email: str, password: str = PASSWORD) -> httpx.Client:
    """Return a client signed in as a browser is: the session cookie and the CSRF header."""
    client = httpx.Client(base_url=base_url, timeout=30)
    answer = client.post(f"{API}/auth/login", json={"email": email, "password": password})
    answer.raise_for_status()
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def bearer(base_url: str, secret: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {secret}"}
    )


@dataclass
class Person:
    user_id: int
    email: str
    account_id: int
    bot_id: int
    token_id: int
    session: httpx.Client
    read: httpx.Client  # a token with the read scope only
    trade: httpx.Client  # a token with read and trade
    backtest_id: str = ""  # a backtest job of theirs, when a test submitted one


@dataclass
class ApiWorld:
    store: Store
    base_url: str
    ann: Person
    bob: Person
    binance: BinanceServer


@contextmanager
def binance_server() -> Iterator[BinanceServer]:
    """Run the Binance-compatible server on 127.0.0.1 (a free port), over a flat market."""
    clock = ManualClock(T0 + MINUTE)
    feed = CandlesPriceFeed(same_candles_for_both_markets("BTCUSDT", flat_candles("40000", 10)))
    with BinanceServer(SimulatedVenue(feed, clock, seed=1), seed=1) as running:
        yield running


def _person(store: Store, base_url: str, email: str, role: Role = Role.USER) -> Person:
    user = manage.add_user(store.manage_uow, store.clock, Actor.operator(), email)
    identity.set_password(
        store.identity_uow, store.passwords, store.clock, Actor.operator(), user.id, PASSWORD,
        role=role,
    )  # fmt: skip
    session = sign_in(base_url, email)
    account = session.post(f"{API}/accounts", json={"name": "paper", "kind": "paper"})
    account.raise_for_status()
    account_id = account.json()["id"]
    config = {"name": "b1", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot"}
    bot = session.post(f"{API}/bots", json={"account_id": account_id, "config": config})
    bot.raise_for_status()
    bot_id = bot.json()["id"]
    record_trade(store, bot_id, user.id)
    tokens = {}
    for name, scopes in (("reader", ["read"]), ("trader", ["read", "trade"])):
        made = session.post(f"{API}/tokens", json={"name": name, "scopes": scopes, "days": 7})
        made.raise_for_status()
        tokens[name] = made.json()
    return Person(
        user.id, email, account_id, bot_id, tokens["reader"]["id"], session,
        bearer(base_url, tokens["reader"]["secret"]), bearer(base_url, tokens["trader"]["secret"]),
    )  # fmt: skip


def record_trade(store: Store, bot_id: int, user_id: int, number: int = 1) -> None:
    """Record an entry order and a closing trade of the bot, as a tick would."""
    order = OrderRecord(
        bot_id=bot_id, user_id=user_id, client_order_id=f"tw{bot_id}-{60 * number}-e",
        symbol=Symbol("BTCUSDT"), position_type=PositionType.SPOT, side=Side.SELL,
        purpose=OrderPurpose.CLOSE, status=OrderStatus.FILLED,
        requested_qty=Decimal("0.001"), slot=60 * number, created_at=TRADES_AT,
        filled_qty=Decimal("0.001"), avg_price=Decimal(27_000), quote_qty=Decimal(27),
    )  # fmt: skip
    trade = TradeRecord(
        bot_id=bot_id, user_id=user_id, exchange_order_id=f"{bot_id}-{number}",
        client_order_id=order.client_order_id, symbol=Symbol("BTCUSDT"), side=Side.SELL,
        order_type="MARKET", purpose=OrderPurpose.CLOSE, price=Decimal(27_000),
        quantity=Decimal("0.001"), quote_quantity=Decimal(27), fee=Decimal(0),
        fee_asset="USDT", realized_pnl=Decimal("1.25"), timestamp=TRADES_AT,
    )  # fmt: skip
    with SqlUnitOfWork(store.sessions, store.secrets) as uow:
        uow.orders.add(order)
        uow.trades.add(trade)
        uow.commit()


@contextmanager
def api_world(
    database_url: str, data_dir: Path, *, job_processes: bool = False, **settings: object
) -> Iterator[ApiWorld]:
    with (
        binance_server() as binance,
        _served_world(database_url, data_dir, binance, job_processes, **settings) as world,
    ):
        yield world


@contextmanager
def _served_world(
    database_url: str,
    data_dir: Path,
    binance: BinanceServer,
    job_processes: bool,
    **settings: object,
) -> Iterator[ApiWorld]:
    settings.setdefault("binance_url", binance.base_url)
    store = open_store(database_url, data_dir, **settings)
    try:
        with served(store, job_processes=job_processes) as base_url:
            ann = _person(store, base_url, "ann@example.com")
            bob = _person(store, base_url, "bob@example.com")
            try:
                yield ApiWorld(store, base_url, ann, bob, binance)
            finally:
                for person in (ann, bob):
                    for client in (person.session, person.read, person.trade):
                        client.close()
    finally:
        store.close()

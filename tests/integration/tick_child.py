"""A tick in a process of its own, for the concurrency tests on PostgreSQL.

    python tick_child.py race URL BOT_ID SLOT
        set everything up, print "ready", wait for "go" on stdin, run one tick at SLOT,
        print {"outcome": ..., "seconds": ...} as JSON.
    python tick_child.py block-before|block-after URL BOT_ID STATE_FILE
        tick slot after slot until the bot sends an order; that call never returns. With
        block-after the venue takes (and fills) the order first. Prints "blocked SLOT"
        once stuck, so the parent can kill the process there.

The master key comes from the environment (TICK_CHILD_KEY), never from the command line.
Every process builds the same market and a venue with the same seed, so they all see
the same prices; the parent imports `World` to build the same again.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.engine import make_engine, session_factory
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.unit_of_work import SqlUnitOfWork
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bootstrap.venues import PaperExchanges
from tradewind.domain.decide import read_closed
from tradewind.domain.orders import OrderReport, OrderRequest
from tradewind.domain.types import Signal
from tradewind.ports import AccountAccess, Bot, Exchange, ExchangeProvider, UnitOfWork
from tradewind.services.tick import TickDeps, run_tick
from tradewind.services.tick.context import INDICATOR_HISTORY

KEY_ENV = "TICK_CHILD_KEY"
START = datetime(2024, 1, 1, tzinfo=UTC)
T0 = int(START.timestamp())
MINUTES = 2 * 1440
VENUE_SEED = 3
# The bot the tests create: a spot BTCUSDT 1m bot with a stop-loss and a take-profit.
BOT_FIELDS: dict[str, object] = {
    "custom_stop_loss": 1,
    "custom_take_profit": "1.5",
    "position_size_fixed": "100",
}


class World:
    """The tick's dependencies on one database: a generated market and a paper venue."""

    def __init__(self, engine: Engine, key: bytes, now: int, state: Path | None = None) -> None:
        candles = generate_market(MINUTES, 60, seed=11, start_price=42_000, start_time=START)
        self.market = ReplayMarketData({"BTCUSDT": candles})
        self.clock = ReplayClock(now)
        self.venue = SimulatedVenue(self.market, self.clock, seed=VENUE_SEED, state_path=state)
        box = SecretBox.from_keys([key], "the test key")
        sessions = session_factory(engine)

        def uow() -> UnitOfWork:
            return SqlUnitOfWork(sessions, box)

        self.deps = TickDeps(
            uow=uow, exchanges=PaperExchanges(self.venue), market_data=self.market,
            lock=make_bot_lock(engine), clock=self.clock,
        )  # fmt: skip

    def first_buy_slot(self, bot: Bot) -> int:
        """Return the first slot at which `bot`'s strategy says BUY."""
        for slot in range(T0 + 60, T0 + MINUTES * 60, 60):
            config = bot.config
            candles = self.market.closed_candles(
                config.symbol, config.timeframe, config.position_type, slot, INDICATOR_HISTORY
            )
            reading = read_closed(config.strategy_choice(), config.timeframe, slot, candles)
            if reading.signal is Signal.BUY:
                return slot
        raise AssertionError("the generated market never gives a BUY signal")


class BlockingExchange:
    """An Exchange whose `place_market_order` never returns (the venue takes it first?)."""

    def __init__(self, inner: Exchange, venue_first: bool) -> None:
        self._inner = inner
        self._venue_first = venue_first

    def place_market_order(self, order: OrderRequest) -> OrderReport:
        if self._venue_first:
            self._inner.place_market_order(order)  # accepted, filled and saved to the file
        print(f"blocked {order.client_order_id.value}", flush=True)
        threading.Event().wait()  # until killed
        raise AssertionError("unreachable")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class BlockingExchanges:
    def __init__(self, inner: ExchangeProvider, venue_first: bool) -> None:
        self._inner = inner
        self._venue_first = venue_first

    def for_account(self, access: AccountAccess) -> Exchange:
        return BlockingExchange(self._inner.for_account(access), self._venue_first)  # type: ignore[return-value]


def race(url: str, bot_id: int, slot: int, key: bytes) -> None:
    engine = make_engine(url)
    world = World(engine, key, slot)
    with engine.connect():  # open a pooled connection now, not inside the timed tick
        pass
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    started = time.perf_counter()
    outcome = run_tick(world.deps, bot_id, slot)
    seconds = time.perf_counter() - started
    print(json.dumps({"outcome": outcome.value, "seconds": seconds}), flush=True)
    engine.dispose()


def block(url: str, bot_id: int, state: Path, key: bytes, venue_first: bool) -> None:
    engine = make_engine(url)
    world = World(engine, key, T0, state)
    deps = world.deps
    blocking = BlockingExchanges(deps.exchanges, venue_first)
    deps = TickDeps(deps.uow, blocking, deps.market_data, deps.lock, deps.clock)
    for slot in range(T0 + 60, T0 + MINUTES * 60, 60):
        world.clock.set(slot)
        run_tick(deps, bot_id, slot)
    print("never blocked", flush=True)


def main() -> None:
    mode, url, bot_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
    key = os.environ[KEY_ENV].encode()
    if mode == "race":
        race(url, bot_id, int(sys.argv[4]), key)
    else:
        block(url, bot_id, Path(sys.argv[4]), key, venue_first=mode == "block-after")


if __name__ == "__main__":
    main()

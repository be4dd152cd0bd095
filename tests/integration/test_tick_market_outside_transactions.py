"""No transaction is open while a tick waits for its candles (SQLite: its one writer).

A live bot's candles come over HTTP, with retries: during an exchange outage a fetch may
take most of a minute. While a tick (or a batch of ticks) waits for them, another
connection must be able to write to the bot — `tradewind bot stop` — at once, not fail
with "database is locked" after the busy timeout.

The market data here hangs until the test has written, so the write happens while the
tick waits; everything is ordered by events, nothing by timers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import Engine

from tests.integration.test_tick import T0, World
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.domain.bots import BotStatus
from tradewind.domain.candles import Candles
from tradewind.domain.errors import TemporaryExchangeError
from tradewind.domain.types import PositionType
from tradewind.ports import MarketData
from tradewind.services.tick import TickDeps, TickOutcome, run_tick, run_ticks

# Only a safety net so a broken run ends instead of hanging; no assertion depends on it.
NEVER_S = 120.0


class HangingMarketData:
    """Market data whose source does not answer until told to (then answers, or fails)."""

    def __init__(self, inner: MarketData, fails: bool) -> None:
        self._inner = inner
        self._fails = fails
        self.asked = threading.Event()
        self.answer = threading.Event()

    def closed_candles(
        self, symbol: str, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        self.asked.set()
        self.answer.wait(NEVER_S)
        if self._fails:
            raise TemporaryExchangeError("klines: 503 Service Unavailable (after 3 retries)")
        return self._inner.closed_candles(symbol, timeframe, position_type, until, limit)


def stop_bot(world: World) -> None:
    """Write what `tradewind bot stop` writes, on a connection of its own."""
    with world.manage_uow() as uow:
        bot = uow.bots.get(world.bot_id)
        assert bot is not None
        bot.state.status, bot.state.reason = BotStatus.STOPPED, "stopped by its owner"
        uow.bots.set_active(world.bot_id, False)
        uow.bots.save_state(world.bot_id, bot.state)
        uow.commit()


def tick_one(deps: TickDeps, bot_id: int, slot: int) -> TickOutcome:
    return run_tick(deps, bot_id, slot)


def tick_batch(deps: TickDeps, bot_id: int, slot: int) -> TickOutcome:
    return run_ticks(deps, [bot_id], slot)[bot_id].outcome


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("fails", [True, False], ids=["source-fails", "source-answers"])
@pytest.mark.parametrize("tick", [tick_one, tick_batch], ids=["run_tick", "run_ticks"])
def test_the_owner_can_stop_a_bot_while_its_tick_waits_for_candles(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    fails: bool,
    tick: Callable[[TickDeps, int, int], TickOutcome],
) -> None:
    world = World(engine, tick_uow, manage_uow)
    market = HangingMarketData(world.market, fails)
    deps = replace(world.deps, market_data=market)
    slot = T0 + 60
    world.clock.set(slot)
    with ThreadPoolExecutor(1) as pool:
        ticking = pool.submit(tick, deps, world.bot_id, slot)
        try:
            assert market.asked.wait(NEVER_S), "the tick never asked for its candles"
            stop_bot(world)  # on today's main: "database is locked" after the busy timeout
        finally:
            market.answer.set()
        outcome = ticking.result()

    if tick is tick_one:  # claimed before reading: it decides, and the stop still wins
        assert outcome is (TickOutcome.DEFERRED if fails else TickOutcome.DECIDED)
    else:  # a batch reads before it claims: it finds the bot stopped
        assert outcome is TickOutcome.INACTIVE
    assert world.state().status is BotStatus.STOPPED
    assert run_tick(world.deps, world.bot_id, slot) is TickOutcome.SLOT_TAKEN

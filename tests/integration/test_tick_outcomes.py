"""How a tick ends when nothing goes to the exchange, on SQLite and PostgreSQL.

Such a tick decides in the unit of work that claimed its slot; these tests pin down
that it still says what it decided, writes the state only when it changed, and that
a failure while deciding leaves the claim and the bot's state as a later tick expects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.integration.signals import signal_at
from tests.integration.test_tick import T0, World
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.domain.bots import BotStatus
from tradewind.domain.candles import Candles
from tradewind.domain.errors import TemporaryExchangeError
from tradewind.domain.types import PositionType, Signal
from tradewind.services.tick import TickOutcome, run_tick

TickUow = Callable[[], SqlUnitOfWork]
ManageUow = Callable[[], SqlManageUnitOfWork]


@pytest.fixture
def world(engine: Engine, tick_uow: TickUow, manage_uow: ManageUow) -> World:
    return World(engine, tick_uow, manage_uow)


def tick_at(world: World, slot: int) -> TickOutcome:
    world.clock.set(slot)
    return run_tick(world.deps, world.bot_id, slot)


def state_writes(engine: Engine) -> list[str]:
    """Collect the UPDATEs of bot_states the engine sends from now on."""
    seen: list[str] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE bot_states SET status"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_statement)
    return seen


def first_slot_saying(world: World, wanted: Signal) -> int:
    with world.manage_uow() as uow:
        bot = uow.bots.find()[0]
    for slot in range(T0 + 60, T0 + 1440 * 60, 60):
        if signal_at(world.market, bot, slot) is wanted:
            return slot
    raise AssertionError(f"the generated market never says {wanted.name}")


def test_a_tick_with_nothing_new_records_its_run_and_rewrites_no_state(
    world: World, engine: Engine
) -> None:
    assert tick_at(world, T0 + 60) is TickOutcome.DECIDED  # "market data behind": a reason
    before = world.state()
    writes = state_writes(engine)
    assert tick_at(world, T0 + 120) is TickOutcome.DECIDED
    after = world.state()
    assert writes == []
    assert (after.last_run_at, after.last_slot) == (T0 + 120, T0 + 120)
    assert replace(after, last_run_at=before.last_run_at, last_slot=before.last_slot) == before


def test_a_stopped_bot_is_skipped_and_its_state_left_alone(world: World) -> None:
    with world.manage_uow() as uow:
        uow.bots.set_active(world.bot_id, False)
        uow.commit()
    assert tick_at(world, T0 + 60) is TickOutcome.INACTIVE
    assert world.state().last_run_at is None


def test_a_flat_spot_bot_told_to_sell_says_it_has_nothing_to_sell(world: World) -> None:
    slot = first_slot_saying(world, Signal.SELL)
    assert tick_at(world, slot) is TickOutcome.DECIDED
    state = world.state()
    assert state.reason == "sell signal while flat: a spot bot has nothing to sell"
    assert (state.last_signal, state.last_signal_at) == (Signal.SELL, slot)
    assert world.orders() == []


def test_a_bot_whose_market_has_no_candles_errs_and_keeps_its_claim(
    engine: Engine, tick_uow: TickUow, manage_uow: ManageUow
) -> None:
    world = World(engine, tick_uow, manage_uow, symbol="ETHUSDT")  # the market is BTC only
    assert tick_at(world, T0 + 60) is TickOutcome.ERROR
    state = world.state()
    assert state.status is BotStatus.ERROR
    assert "ETHUSDT: no candles" in (state.reason or "")
    assert run_tick(world.deps, world.bot_id, T0 + 60) is TickOutcome.SLOT_TAKEN


class Unavailable:
    """Market data whose source does not answer."""

    def closed_candles(
        self, symbol: str, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        raise TemporaryExchangeError("klines: 503 Service Unavailable")


@pytest.mark.parametrize("slot", [T0 + 60, T0 + 120])
def test_market_data_that_does_not_answer_defers_the_decision(world: World, slot: int) -> None:
    deferring = replace(world.deps, market_data=Unavailable())
    world.clock.set(slot)
    assert run_tick(deferring, world.bot_id, slot) is TickOutcome.DEFERRED
    state = world.state()
    assert state.status is BotStatus.WAITING
    assert (state.reason or "").startswith("exchange unavailable (klines: 503")
    assert state.last_slot == slot
    world.clock.set(slot + 60)
    assert run_tick(world.deps, world.bot_id, slot + 60) is TickOutcome.DECIDED

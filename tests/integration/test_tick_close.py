"""Close the position now: the owner's request, taken by the next tick with one MARKET
order (reason `manual`), on a real database and the simulated exchange."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from tests.integration.test_tick import World
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.domain.bots import BotStatus, CloseRequest
from tradewind.domain.errors import Conflict, NotFound
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.services import manage
from tradewind.services.access import Actor


@pytest.fixture
def world(engine: Engine, tick_uow: Callable[[], SqlUnitOfWork],
          manage_uow: Callable[[], SqlManageUnitOfWork]) -> World:  # fmt: skip
    return World(engine, tick_uow, manage_uow)


def _owner(world: World) -> Actor:
    with world.manage_uow() as uow:
        bot = uow.bots.get(world.bot_id)
    assert bot is not None
    return Actor.user(bot.user_id)


def _in_position(world: World) -> None:
    world.run_until(lambda: world.state().position is not None)


def _slots(world: World, count: int) -> None:
    """Tick `count` more slots."""
    left = iter(range(count - 1, -1, -1))
    world.run_until(lambda: next(left) == 0)


def test_a_running_bot_closes_at_its_next_tick_and_keeps_running(world: World) -> None:
    _in_position(world)
    held = world.state().position
    assert held is not None
    closing = manage.close_position(world.manage_uow, _owner(world), world.bot_id)
    assert closing.state.close_requested is CloseRequest.KEEP_RUNNING
    _slots(world, 1)

    state = world.state()
    assert state.position is None
    assert state.close_requested is None
    assert state.status in (BotStatus.WAITING, BotStatus.PAUSED)
    assert state.reason is not None
    assert state.reason.startswith("closed by its owner")
    (order,) = [o for o in world.orders() if o.purpose is OrderPurpose.MANUAL]
    assert order.status is OrderStatus.FILLED
    assert order.filled_qty == held.quantity
    (trade,) = [t for t in world.trades() if t.purpose is OrderPurpose.MANUAL]
    assert trade.quantity == held.quantity
    assert trade.realized_pnl is not None
    assert trade.purpose.exit_reason is not None
    assert trade.purpose.exit_reason.value == "manual"
    with world.manage_uow() as uow:
        bot = uow.bots.get(world.bot_id)
        assert bot is not None
        assert bot.active
        # Its resting exits were cancelled before the close: none is left open.
        assert uow.orders.unresolved(world.bot_id) == []


def test_a_stopped_bot_runs_only_to_close_then_stops_again(world: World) -> None:
    _in_position(world)
    actor = _owner(world)
    manage.stop_bot(world.manage_uow, actor, world.bot_id)
    manage.close_position(world.manage_uow, actor, world.bot_id)
    manage.close_position(world.manage_uow, actor, world.bot_id)  # twice is one request
    with world.manage_uow() as uow:
        bot = uow.bots.get(world.bot_id)
        assert bot is not None
        assert bot.active
        assert bot.state.close_requested is CloseRequest.THEN_STOP

    _slots(world, 1)
    assert world.state().position is None
    with world.manage_uow() as uow:
        bot = uow.bots.get(world.bot_id)
    assert bot is not None
    assert not bot.active
    assert bot.state.status is BotStatus.STOPPED
    assert bot.state.close_requested is None
    assert len([o for o in world.orders() if o.purpose is OrderPurpose.MANUAL]) == 1
    before = len(world.orders())
    _slots(world, 30)  # stopped: no more orders
    assert len(world.orders()) == before


def test_stopping_while_a_close_waits_still_closes_then_stops(world: World) -> None:
    _in_position(world)
    actor = _owner(world)
    manage.close_position(world.manage_uow, actor, world.bot_id)
    manage.stop_bot(world.manage_uow, actor, world.bot_id)
    world.run_until(lambda: world.state().position is None)
    with world.manage_uow() as uow:
        bot = uow.bots.get(world.bot_id)
    assert bot is not None
    assert not bot.active
    assert bot.state.status is BotStatus.STOPPED
    assert len([o for o in world.orders() if o.purpose is OrderPurpose.MANUAL]) == 1


def test_a_tick_writing_its_state_does_not_lose_the_request(world: World) -> None:
    _in_position(world)
    with world.manage_uow() as uow:
        stale = uow.bots.get(world.bot_id)  # as a tick in flight loaded it
    assert stale is not None
    manage.close_position(world.manage_uow, _owner(world), world.bot_id)
    with world.deps.uow() as uow:
        uow.bots.save_state(world.bot_id, stale.state)  # the tick saves after the request
        uow.commit()
    assert world.state().close_requested is CloseRequest.KEEP_RUNNING


def test_a_flat_bot_has_nothing_to_close_and_another_user_sees_no_bot(world: World) -> None:
    with pytest.raises(Conflict, match="holds no position"):
        manage.close_position(world.manage_uow, _owner(world), world.bot_id)
    _in_position(world)
    with world.manage_uow() as uow:
        stranger = uow.users.add("stranger@example.com", None, 0)
        uow.commit()
    with pytest.raises(NotFound):
        manage.close_position(world.manage_uow, Actor.user(stranger.id), world.bot_id)
    assert world.state().close_requested is None

"""A replay's "today" is the data's day: in the bot's counters, in what its owner is shown
after the replay, and in the daily summaries (issue 12, item 7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.test_tick import T0, World
from tests.notify.desk import Desk
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.tables import OutboxRow
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.domain.limits import utc_day
from tradewind.services import overview
from tradewind.services.access import Actor
from tradewind.services.notify import BackgroundDispatcher
from tradewind.services.scheduler import run_slot, slots_between

DAY = 86_400
WALL = ReplayClock(1_796_601_600)  # 2026-12-07: long after the replayed days
OPERATOR = Actor.operator()


@pytest.fixture
def world(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> World:
    return World(engine, tick_uow, manage_uow)


def _replay(world: World, until: int) -> None:
    for slot in slots_between(world.last, until):
        world.clock.set(slot)
        run_slot(world.deps, [world.bot_id], slot)
        world.last = slot


def _summary_days(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        query = select(OutboxRow.payload).where(OutboxRow.event_type == "daily_summary")
        payloads: list[dict[str, Any]] = [p for (p,) in connection.execute(query)]
    return sorted(p["day"] for p in payloads)


def test_after_a_replay_the_owner_sees_the_replayed_days_entries_and_pnl(
    world: World, manage_uow: Callable[[], SqlManageUnitOfWork]
) -> None:
    _replay(world, T0 + DAY + 8 * 3600)  # the last slot: 2024-01-02 08:00
    last_day = date(2024, 1, 2)
    with manage_uow() as uow:
        counted = uow.counters.get(world.bot_id, last_day)
    assert counted.entries >= 1
    [view] = overview.bot_views(manage_uow, WALL, OPERATOR)
    assert view.today == counted
    assert view.today_label() == " (2024-01-02)"


def test_a_bot_on_the_wall_clock_is_shown_the_wall_clocks_day(
    world: World, manage_uow: Callable[[], SqlManageUnitOfWork]
) -> None:
    _replay(world, T0 + 3600)
    [view] = overview.bot_views(manage_uow, ReplayClock(T0 + 3600 + 30), OPERATOR)
    assert view.today.day == utc_day(T0)
    assert view.today_label() == ""


def test_every_day_a_fast_replay_crosses_between_two_passes_gets_its_summary(
    world: World, engine: Engine, sessions: sessionmaker[Session], secrets: SecretBox
) -> None:
    desk = Desk(sessions, secrets)
    dispatcher = BackgroundDispatcher(desk.deps, poll_seconds=3600, days=world.clock)
    dispatcher.run_once()  # at the replay's start
    _replay(world, T0 + 2 * DAY)  # two days end before the next pass
    dispatcher.run_once()
    desk.close()
    assert _summary_days(engine) == ["2024-01-01", "2024-01-02"]

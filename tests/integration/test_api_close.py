"""POST /bots/{id}/close over real HTTP: 409 when flat; a held position is asked to close
(once, however often asked), and the bot runs until its next tick has closed it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.api_harness import API, ApiWorld, api_world
from tradewind.adapters.db.unit_of_work import SqlUnitOfWork
from tradewind.domain.bots import BotStatus, CloseRequest, OpenPosition
from tradewind.domain.types import PositionSide


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(database_url, tmp_path) as built:
        yield built


def _hold(world: ApiWorld, bot_id: int) -> None:
    with SqlUnitOfWork(world.store.sessions, world.store.secrets) as uow:
        bot = uow.bots.get(bot_id)
        assert bot is not None
        bot.state.status = BotStatus.STOPPED
        bot.state.position = OpenPosition(
            PositionSide.LONG, Decimal("0.002"), Decimal(27_000), 1_700_000_000, Decimal(0), "e1"
        )
        uow.bots.save_state(bot_id, bot.state)
        uow.commit()


def test_a_flat_bot_is_409_and_nothing_changes(world: ApiWorld) -> None:
    ann = world.ann
    answer = ann.trade.post(f"{API}/bots/{ann.bot_id}/close")
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith("bot: 'b1' holds no position")
    bot = ann.session.get(f"{API}/bots/{ann.bot_id}").json()
    assert (bot["active"], bot["state"]["closing"]) == (False, False)


def test_a_held_position_is_asked_to_close_once_and_the_stopped_bot_runs_to_close_it(
    world: ApiWorld,
) -> None:
    ann = world.ann
    _hold(world, ann.bot_id)
    for client in (ann.session, ann.trade):  # asked twice: one request
        answer = client.post(f"{API}/bots/{ann.bot_id}/close")
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["active"] is True
        assert body["state"]["closing"] is True
        assert body["state"]["position"]["quantity"] == "0.002"
    with SqlUnitOfWork(world.store.sessions, world.store.secrets) as uow:
        bot = uow.bots.get(ann.bot_id)
    assert bot is not None
    assert bot.state.close_requested is CloseRequest.THEN_STOP
    # Bob's bot is untouched.
    assert world.bob.session.get(f"{API}/bots/{world.bob.bot_id}").json()["active"] is False

"""Conditional reads of the pages a dashboard re-reads (GET /bots, GET /bots/{id}), over
real HTTP: an ETag, 304 while nothing the page shows moved, a new page after any change
(an owner's, a tick's write, or a claim's run record alone), and never a 304 for a bot
that is not the requester's: that stays 404, tag or no tag."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from tests.integration.api_harness import API, ApiWorld, api_world, record_trade
from tradewind.adapters.db.unit_of_work import SqlUnitOfWork

SLOT = 1_796_601_600  # 2026-12-07 00:00 UTC


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(database_url, tmp_path, auth_cache_seconds=0) as built:
        yield built


def _again(client: httpx.Client, path: str, first: httpx.Response) -> httpx.Response:
    return client.get(path, headers={"If-None-Match": first.headers["etag"]})


def _claim(world: ApiWorld, bot_id: int, slot: int) -> None:
    with SqlUnitOfWork(world.store.sessions, world.store.secrets) as uow:
        claimed, _ = uow.bots.claim_and_load(bot_id, slot, slot + 2, date(2026, 12, 7))
        uow.commit()
    assert claimed


@pytest.mark.parametrize("page", ["/bots", "/bots/{bot_id}"])
def test_a_page_is_not_modified_until_what_it_shows_moves(world: ApiWorld, page: str) -> None:
    ann = world.ann
    path = API + page.format(bot_id=ann.bot_id)
    first = ann.read.get(path)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "private, no-cache"
    same = _again(ann.read, path, first)
    assert (same.status_code, same.content, same.headers["etag"]) == (
        304, b"", first.headers["etag"],
    )  # fmt: skip
    assert _again(ann.session, path, first).status_code == 304  # the browser's too
    # (a change, whether the page shows it: a new trade moves the tag, not this page)
    changes = [
        (lambda: ann.trade.post(f"{API}/bots/{ann.bot_id}/start").raise_for_status(), True),
        (lambda: record_trade(world.store, ann.bot_id, ann.user_id, number=2), False),
        (lambda: _claim(world, ann.bot_id, SLOT), True),  # its first run: a new day
        (lambda: _claim(world, ann.bot_id, SLOT + 60), True),  # a run alone: marker unmoved
    ]
    for change, shown in changes:
        change()
        fresh = _again(ann.read, path, first)
        assert fresh.status_code == 200
        assert fresh.headers["etag"] != first.headers["etag"]
        assert (fresh.json() != first.json()) is shown
        assert _again(ann.read, path, fresh).status_code == 304
        first = fresh


def test_a_tag_never_turns_another_users_bot_into_a_304(world: ApiWorld) -> None:
    ann, bob = world.ann, world.bob
    own = ann.read.get(f"{API}/bots/{ann.bot_id}")
    for tag in (own.headers["etag"], "*"):
        answer = bob.read.get(f"{API}/bots/{ann.bot_id}", headers={"If-None-Match": tag})
        assert answer.status_code == 404
        assert "etag" not in answer.headers
    listing = ann.read.get(f"{API}/bots")
    theirs = _again(bob.read, f"{API}/bots", listing)
    assert theirs.status_code == 200
    assert [bot["id"] for bot in theirs.json()] == [bob.bot_id]

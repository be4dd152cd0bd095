"""Live updates over Server-Sent Events, over real HTTP: the user's own bots and trades
as they change, nobody else's, and the stream ends when its credentials do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.api_harness import API, ApiWorld, api_world, record_trade
from tests.integration.statements import statements


@dataclass(frozen=True)
class Event:
    kind: str
    data: Any


LOOKS = 1_000  # the stream's looks to wait for an event before giving up (about 100 s)


def events(lines: Iterator[str]) -> Iterator[Event]:
    """Parse a text/event-stream into events (retry lines skipped); end the stream after
    LOOKS looks (comment lines) so that an event that never comes fails the test."""
    kind, data, looks = "message", "", 0
    for line in lines:
        if line.startswith(":"):
            looks += 1
            if looks > LOOKS:
                return
        elif line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data += line.removeprefix("data: ")
        elif line == "" and data:
            yield Event(kind, json.loads(data))
            kind, data = "message", ""


def next_event(stream: Iterator[Event], kind: str, **matching: object) -> Event:
    """Return the next event of `kind` whose data has `matching` (others are skipped)."""
    for event in stream:
        if event.kind == kind and all(event.data.get(k) == v for k, v in matching.items()):
            return event
    raise AssertionError(f"the stream ended before a {kind} event {matching}")


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(database_url, tmp_path, events_poll_seconds=0.1) as built:
        yield built


def _stream(client: httpx.Client) -> Any:
    return client.stream("GET", f"{API}/events", timeout=httpx.Timeout(30, read=60))


def test_a_stream_shows_the_users_bots_then_their_changes_and_new_trades(
    world: ApiWorld,
) -> None:
    ann = world.ann
    with _stream(ann.session) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        stream = events(answer.iter_lines())
        first = next_event(stream, "bot", id=ann.bot_id)
        assert first.data["active"] is False
        ann.trade.post(f"{API}/bots/{ann.bot_id}/start").raise_for_status()
        started = next_event(stream, "bot", id=ann.bot_id)
        assert (started.data["active"], started.data["state"]["status"]) == (True, "waiting")
        record_trade(world.store, ann.bot_id, ann.user_id, number=2)
        trade = next_event(stream, "trade", bot_id=ann.bot_id)
        assert trade.data["exchange_order_id"] == f"{ann.bot_id}-2"


IDLE_LOOKS = 5
OVERVIEW_TABLES = ("bot_configs", "bot_states", "trades", "daily_counters", "exchange_accounts")


def test_an_idle_stream_reads_only_the_change_marker_and_a_change_still_reaches_it(
    world: ApiWorld,
) -> None:
    ann = world.ann
    with _stream(ann.read) as answer:
        lines = answer.iter_lines()
        next_event(events(lines), "bot", id=ann.bot_id)  # the first look: the overview
        with statements(world.store.engine) as seen:
            looks = 0
            for line in lines:
                looks += line.startswith(":")
                if looks == IDLE_LOOKS:
                    break
        idle = list(seen)
        record_trade(world.store, ann.bot_id, ann.user_id, number=2)
        trade = next_event(events(lines), "trade", bot_id=ann.bot_id)
    assert trade.data["exchange_order_id"] == f"{ann.bot_id}-2"
    markers = [s for s in idle if "user_changes" in s]
    overview_reads = [s for s in idle if any(t in s for t in OVERVIEW_TABLES)]
    assert len(markers) >= IDLE_LOOKS - 1, idle  # the first comment may precede them
    assert overview_reads == []
    assert len(idle) <= 2 * IDLE_LOOKS, idle  # the marker, and at most a credential check


def test_a_stream_never_shows_another_users_bots(world: ApiWorld) -> None:
    ann, bob = world.ann, world.bob
    with _stream(bob.read) as answer:
        stream = events(answer.iter_lines())
        next_event(stream, "bot", id=bob.bot_id)
        ann.trade.post(f"{API}/bots/{ann.bot_id}/start").raise_for_status()
        record_trade(world.store, ann.bot_id, ann.user_id, number=2)
        bob.trade.post(f"{API}/bots/{bob.bot_id}/start").raise_for_status()
        seen = []
        for event in stream:
            seen.append(event)
            if event.kind == "bot" and event.data["active"]:
                break
        assert [e.data.get("bot_id", e.data.get("id")) for e in seen] == [bob.bot_id]


def test_a_stream_ends_when_its_token_is_revoked(world: ApiWorld) -> None:
    bob = world.bob
    with _stream(bob.read) as answer:
        stream = events(answer.iter_lines())
        next_event(stream, "bot", id=bob.bot_id)
        bob.session.delete(f"{API}/tokens/{bob.token_id}").raise_for_status()
        ended = next_event(stream, "end")
        assert "revoked" in ended.data["detail"]


def test_a_stream_needs_credentials(world: ApiWorld) -> None:
    assert httpx.get(f"{world.base_url}{API}/events").status_code == 401

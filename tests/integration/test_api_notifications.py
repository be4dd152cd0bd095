"""Notification channels, routes and deliveries through the API, over real HTTP: a
webhook's secret never comes out, routes name only the user's bots, a test is queued and
delivered to the channel's list, a dead delivery is tried again, a channel goes with its
deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.integration.api_harness import API, ApiWorld, Person, api_world
from tradewind.services.notify.dispatch import route_events

SECRET = "whsec_Q0FOQVJZa2V5LTAxMjM0NTY3ODlhYmNkZWZnaGlqa2xt"  # a 33-byte key
N = f"{API}/notifications"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(database_url, tmp_path) as built:
        yield built


def dead_delivery(world: ApiWorld, person: Person) -> tuple[int, int]:
    """Give `person` an email channel and a dead delivery of a test event to it; return
    (the channel's id, the delivery's id)."""
    made = person.session.post(
        f"{N}/channels", json={"name": "mail", "kind": "email", "to": "me@example.com"}
    )
    assert made.status_code == 201, made.text
    channel = made.json()["id"]
    assert person.session.post(f"{N}/channels/{channel}/test").status_code == 202
    route_events(world.store.notify_deps())
    with world.store.engine.begin() as db:
        db.execute(
            text("UPDATE notification_deliveries SET status = 'dead', attempts = 8 "
                 "WHERE channel_id = :channel"),
            {"channel": channel},
        )  # fmt: skip
    (delivery,) = person.session.get(f"{N}/deliveries").json()
    return channel, delivery["id"]


def test_a_webhook_is_added_and_listed_without_its_secret(world: ApiWorld) -> None:
    ann = world.ann.session
    hook = {"name": "hook", "kind": "webhook", "url": "https://hooks.example.com/tw",
            "secret": SECRET}  # fmt: skip
    made = ann.post(f"{N}/channels", json=hook)
    assert made.status_code == 201, made.text
    assert made.json()["has_secret"] is True
    assert made.json()["target"] == hook["url"]
    answers = [made, ann.get(f"{N}/channels"), ann.post(f"{N}/channels", json=hook)]
    assert answers[2].status_code == 409
    assert [c["name"] for c in answers[1].json()] == ["hook"]
    assert all(SECRET not in a.text for a in answers)
    # Every event of all Ann's bots goes there by default.
    (route,) = ann.get(f"{N}/routes").json()
    assert route["channel_id"] == made.json()["id"]
    assert route["bot_id"] is None
    assert "test" not in route["events"]
    assert "order_filled" in route["events"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "webhook", "url": "http://127.0.0.1/x", "secret": SECRET}, "url"),
        ({"kind": "webhook", "url": "https://hooks.example.com/x"}, "secret"),
        (
            {"kind": "webhook", "url": "https://a.example.com", "secret": SECRET, "to": "a@b.co"},
            "to",
        ),
        ({"kind": "email"}, "to"),
        ({"kind": "email", "to": "not an address"}, "to"),
        ({"kind": "email", "to": "a@example.com", "events": ["test"]}, "events"),
    ],
)
def test_a_bad_channel_is_422_naming_the_field(
    world: ApiWorld, body: dict[str, object], field: str
) -> None:
    answer = world.ann.session.post(f"{N}/channels", json={"name": "c", **body})
    assert answer.status_code == 422, answer.text
    assert ["body", field] in [e["loc"] for e in answer.json()["detail"]]
    assert world.ann.session.get(f"{N}/channels").json() == []


def test_routes_name_only_the_users_own_bots(world: ApiWorld) -> None:
    ann, bob = world.ann, world.bob
    channel = ann.session.post(
        f"{N}/channels", json={"name": "m", "kind": "email", "to": "a@example.com"}
    ).json()["id"]
    mine = {"channel_id": channel, "bot_id": ann.bot_id, "events": ["order_filled"]}
    answer = ann.session.put(f"{N}/routes", json=mine)
    assert answer.status_code == 200, answer.text
    assert answer.json() == mine
    theirs = ann.session.put(f"{N}/routes", json={**mine, "bot_id": bob.bot_id})
    assert theirs.status_code == 404
    assert mine in ann.session.get(f"{N}/routes").json()
    gone = ann.session.delete(f"{N}/channels/{channel}/routes/{ann.bot_id}")
    assert gone.status_code == 204
    assert mine not in ann.session.get(f"{N}/routes").json()
    assert ann.session.delete(f"{N}/channels/{channel}/routes/{ann.bot_id}").status_code == 404


def test_a_test_is_delivered_to_the_list_and_a_dead_delivery_is_tried_again(
    world: ApiWorld,
) -> None:
    ann = world.ann.session
    channel, delivery = dead_delivery(world, world.ann)
    (dead,) = ann.get(f"{N}/deliveries", params={"status": "dead"}).json()
    assert (dead["event_type"], dead["channel"], dead["attempts"]) == ("test", "mail", 8)
    assert ann.post(f"{N}/deliveries/{delivery}/retry").status_code == 204
    (again,) = ann.get(f"{N}/deliveries").json()
    assert (again["status"], again["attempts"]) == ("pending", 0)
    refused = ann.post(f"{N}/deliveries/{delivery}/retry")
    assert refused.status_code == 409
    assert "only a dead one" in refused.json()["detail"]
    assert world.bob.session.get(f"{N}/deliveries").json() == []

    assert ann.delete(f"{N}/channels/{channel}").status_code == 204
    assert ann.get(f"{N}/channels").json() == []
    assert ann.get(f"{N}/deliveries").json() == []
    assert ann.post(f"{N}/deliveries/{delivery}/retry").status_code == 404

"""Webhooks delivered by the dispatcher to a real receiver on loopback, on both databases."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.notify.desk import LOOPBACK, Desk
from tests.notify.servers import WebhookReceiver
from tests.waiting import SAFETY_S
from tradewind.adapters.clocks import ReplayClock, SystemClock
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.notify.signing import generate_secret, signed_headers
from tradewind.adapters.notify.webhook import WebhookSender
from tradewind.domain.notifications import ChannelKind, DeliveryStatus
from tradewind.domain.webhook_targets import IpAddress
from tradewind.services.access import Actor
from tradewind.services.notify import RetryPolicy, deliver_due
from tradewind.services.notify.configure import retry_dead

SECRET = generate_secret()


@pytest.fixture
def desk_of(sessions: sessionmaker[Session], secrets: SecretBox) -> Iterator[Callable[..., Desk]]:
    made: list[Desk] = []

    def make(**options: object) -> Desk:
        desk = Desk(sessions, secrets, **options)  # type: ignore[arg-type]
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.close()


def test_an_event_reaches_the_receiver_signed_once_with_its_stable_id(
    desk_of: Callable[..., Desk],
) -> None:
    desk = desk_of()
    user = desk.add_user()
    with WebhookReceiver(SECRET) as receiver:
        desk.add_webhook(receiver.url, SECRET)
        desk.write_event(user, "bot_paused", limit="max_daily_trades")
        first = deliver_due(desk.deps)
        again = deliver_due(desk.deps)
    assert (first.routed, first.delivered, again.routed, again.sent) == (1, 1, 0, 0)
    [taken] = receiver.received
    assert taken.refused is None
    assert taken.status == 204
    body = json.loads(taken.body)
    assert taken.webhook_id == body["id"] == "evt_1"
    assert body["type"] == "bot_paused"
    assert body["data"] == {
        "user_id": user, "bot_id": None, "bot": "btc", "symbol": "BTCUSDT",
        "limit": "max_daily_trades",
    }  # fmt: skip
    [delivery] = desk.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.DELIVERED, 1, None,
    )  # fmt: skip


def test_the_receiver_refuses_a_tampered_body_and_an_old_timestamp() -> None:
    with WebhookReceiver(SECRET) as receiver:
        body = b'{"id":"evt_9","type":"position_closed","data":{"realized_pnl":"1.5"}}'
        now = int(time.time())
        headers = signed_headers(SECRET, "evt_9", now, body)
        tampered = body.replace(b"1.5", b"150")
        old = signed_headers(SECRET, "evt_9", now - 600, body)
        answers = [
            httpx.post(receiver.url, content=content, headers=sent).status_code
            for content, sent in ((body, headers), (tampered, headers), (body, old))
        ]
    assert answers == [204, 401, 401]
    assert [r.refused for r in receiver.received] == [
        None, "no matching signature", "timestamp too old or too new",
    ]  # fmt: skip


def test_a_delivery_signed_with_a_stale_clock_is_refused_and_tried_again(
    desk_of: Callable[..., Desk],
) -> None:
    desk = desk_of(webhook_clock=ReplayClock(int(time.time()) - 3_600))
    user = desk.add_user()
    with WebhookReceiver(SECRET) as receiver:
        desk.add_webhook(receiver.url, SECRET)
        desk.write_event(user)
        done = deliver_due(desk.deps)
    assert (done.delivered, done.retrying) == (0, 1)
    assert receiver.received[0].refused == "timestamp too old or too new"
    [delivery] = desk.deliveries()
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.last_error == "HTTP 401 from the endpoint"


def test_a_failing_endpoint_is_tried_with_doubling_waits_then_dead_lettered(
    desk_of: Callable[..., Desk],
) -> None:
    policy = RetryPolicy(max_attempts=3, backoff_seconds=60, lease_seconds=30)
    desk = desk_of(policy=policy)
    user = desk.add_user()
    with WebhookReceiver(SECRET, mode="fail") as receiver:
        desk.add_webhook(receiver.url, SECRET)
        desk.write_event(user)
        start = desk.clock.now()
        schedule = []
        for wait in (0, 59, 1, 119, 1, 1_000):
            desk.clock.advance(wait)
            done = deliver_due(desk.deps)
            [delivery] = desk.deliveries()
            due = delivery.next_attempt_at - start if delivery.status.value == "pending" else None
            schedule.append((done.sent, delivery.attempts, delivery.status.value, due))
        assert schedule == [
            (1, 1, "pending", 60),  # first try at once, the next a minute later
            (0, 1, "pending", 60),  # not due a second early
            (1, 2, "pending", 180),  # then twice the wait
            (0, 2, "pending", 180),
            (1, 3, "dead", None),  # the third try was the last
            (0, 3, "dead", None),  # a dead letter is never tried again by itself
        ]
        assert {r.webhook_id for r in receiver.received} == {"evt_1"}
        assert len(receiver.received) == 3
        assert desk.deliveries()[0].last_error == "HTTP 500 from the endpoint"
        assert retry_dead(desk.uow, desk.clock, Actor.user(user), user) == 1
        receiver.mode = "ok"
        assert deliver_due(desk.deps).delivered == 1
    assert desk.deliveries()[0].status is DeliveryStatus.DELIVERED


def test_redirects_are_not_followed(desk_of: Callable[..., Desk]) -> None:
    desk = desk_of()  # the default timeout bounds a loaded machine's answer, never reached
    user = desk.add_user()
    with WebhookReceiver(SECRET, mode="redirect") as moved:
        desk.add_webhook(moved.url, SECRET, name="moved")
        desk.write_event(user)
        done = deliver_due(desk.deps)
    assert (done.delivered, done.retrying) == (0, 1)
    assert len(moved.received) == 1  # /elsewhere was never asked
    [delivery] = desk.deliveries()
    assert delivery.last_error == "HTTP 302: a redirect, which is not followed"


def test_a_slow_endpoint_times_out(desk_of: Callable[..., Desk]) -> None:
    # Only the receiver that never answers meets the short timeout: a loaded machine's
    # slow answer from another receiver would meet it too, so there is none here.
    desk = desk_of(timeout=0.5)
    user = desk.add_user()
    with WebhookReceiver(SECRET, mode="hang") as slow:
        desk.add_webhook(slow.url, SECRET, name="slow")
        desk.write_event(user)
        done = deliver_due(desk.deps)
    assert (done.delivered, done.retrying) == (0, 1)
    [delivery] = desk.deliveries()
    assert delivery.last_error == "no answer within 0.5 s"


def test_a_loopback_endpoint_is_refused_unless_the_operator_allows_it(
    desk_of: Callable[..., Desk],
) -> None:
    desk = desk_of(allowed=())
    user = desk.add_user()
    with WebhookReceiver(SECRET) as receiver:
        desk.add_webhook(receiver.url, SECRET)  # configured while loopback was allowed
        desk.write_event(user)
        deliver_due(desk.deps)
    assert receiver.received == []
    [delivery] = desk.deliveries()
    assert delivery.last_error == (
        "the webhook URL is refused: 127.0.0.1 is a loopback address; "
        "the operator may allow its network"
    )


def test_two_dispatchers_at_once_send_each_event_once(desk_of: Callable[..., Desk]) -> None:
    first, second = desk_of(), desk_of()
    user = first.add_user()
    with WebhookReceiver(SECRET) as receiver:
        first.add_webhook(receiver.url, SECRET)
        for n in range(40):
            first.write_event(user, "order_filled", n=n)
        barrier = threading.Barrier(2)

        def run(desk: Desk) -> None:
            barrier.wait()
            while deliver_due(desk.deps).sent:
                pass

        threads = [threading.Thread(target=run, args=(d,)) for d in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    ids = [r.webhook_id for r in receiver.received]
    assert sorted(ids) == sorted(f"evt_{n}" for n in range(1, 41))  # each once, none twice
    assert all(d.status is DeliveryStatus.DELIVERED for d in first.deliveries())


def test_a_name_is_resolved_once_checked_and_called_at_the_checked_address(
    sessions: sessionmaker[Session], secrets: SecretBox
) -> None:
    answers = {"hooks.test": [ipaddress.ip_address("127.0.0.1")],
               "rebound.test": [ipaddress.ip_address("10.9.8.7")]}  # fmt: skip
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[IpAddress]:
        asked.append(host)
        return answers[host]

    desk = Desk(sessions, secrets)
    desk.webhooks = WebhookSender(
        SystemClock(), timeout=SAFETY_S, allowed=LOOPBACK, resolver=resolver
    )  # a loaded machine may answer slowly: the timeout only bounds it
    desk.deps = replace(desk.deps, senders={ChannelKind.WEBHOOK: desk.webhooks})
    user = desk.add_user()
    with WebhookReceiver(SECRET) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        desk.add_webhook(f"http://hooks.test:{port}/tw", SECRET, name="named")
        desk.add_webhook(f"http://rebound.test:{port}/tw", SECRET, name="rebound")
        desk.write_event(user)
        done = deliver_due(desk.deps)
    desk.close()
    assert (done.delivered, done.retrying) == (1, 1)
    [taken] = receiver.received
    assert taken.host == f"hooks.test:{port}"  # the name kept, the checked address called
    assert sorted(asked) == ["hooks.test", "rebound.test"]
    errors = {d.channel: d.last_error for d in desk.deliveries()}
    assert errors["rebound"] == (
        "the webhook URL is refused: resolves to 10.9.8.7 is a private address"
    )

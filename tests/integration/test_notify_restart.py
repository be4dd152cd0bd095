"""A dispatcher killed in the middle of a try loses nothing: the event goes again, same id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tests.notify.desk import Desk
from tests.notify.dispatch_child import KEY_ENV
from tests.notify.servers import WebhookReceiver
from tradewind.adapters.db.engine import session_factory
from tradewind.adapters.db.secrets import SecretBox, generate_key
from tradewind.adapters.notify.signing import generate_secret
from tradewind.domain.notifications import DeliveryStatus
from tradewind.services.notify import RetryPolicy, deliver_due

ROOT = Path(__file__).resolve().parents[2]
SECRET = generate_secret()
LEASE = 60
SAFETY_S = 300


def test_a_dispatcher_killed_mid_try_leaves_the_event_to_be_sent_again_with_its_id(
    engine: Engine, database_url: str
) -> None:
    key = generate_key()
    desk = Desk(session_factory(engine), SecretBox.from_keys([key]),
                policy=RetryPolicy(lease_seconds=LEASE))  # fmt: skip
    user = desk.add_user()
    with WebhookReceiver(SECRET, mode="hang") as receiver:
        desk.add_webhook(receiver.url, SECRET)
        desk.write_event(user, "position_closed", realized_pnl="12.5")
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.notify.dispatch_child", database_url,
             str(desk.clock.now())],
            cwd=ROOT, env=os.environ | {KEY_ENV: key.decode()}, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            # Only a hung child waits this long; a busy machine may take its time.
            assert receiver.arrived.wait(SAFETY_S), "the child never sent the event"
        finally:
            child.send_signal(signal.SIGKILL)  # dies holding the claim, the answer unread
            child.wait(SAFETY_S)
        receiver.mode = "ok"
        receiver.release()  # the receiver still answers the dead client's request
        [claimed] = desk.deliveries()
        assert (claimed.status, claimed.attempts) == (DeliveryStatus.PENDING, 1)
        assert deliver_due(desk.deps).sent == 0  # the dead process's claim still runs
        desk.clock.advance(LEASE + 1)  # one clock for both: the lease ends exactly here
        assert deliver_due(desk.deps).delivered == 1
    desk.close()
    ids = [r.webhook_id for r in receiver.received]
    assert ids == ["evt_1", "evt_1"]  # the same event twice: the receiver drops the copy
    assert receiver.received[0].body == receiver.received[1].body
    [delivery] = desk.deliveries()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)

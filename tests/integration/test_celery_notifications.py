"""Scaled out, a real Celery worker delivers the outbox: each event once, signed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.celery_cluster import REDIS_BROKER_URL, ClusterOf, wait_for
from tests.notify.desk import Desk
from tests.notify.servers import WebhookReceiver
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.notify.signing import generate_secret
from tradewind.domain.notifications import DeliveryStatus

pytestmark = [
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
    pytest.mark.slow,
]
SECRET = generate_secret()


def test_a_worker_delivers_each_event_once_however_often_the_task_comes(
    cluster_of: ClusterOf,
    sessions: sessionmaker[Session],
    master_key: bytes,
) -> None:
    desk = Desk(sessions, SecretBox.from_keys([master_key], "the test key"))
    cluster = cluster_of(REDIS_BROKER_URL)
    try:
        user = desk.add_user()
        with WebhookReceiver(SECRET) as receiver:
            desk.add_webhook(receiver.url, SECRET)
            for limit in ("max_daily_trades", "max_daily_loss", "daily_profit_target"):
                desk.write_event(user, "bot_paused", limit=limit)
            cluster.set_time(1_714_953_600)  # the test child's clock must be set to start
            cluster.start("worker", env={"TRADEWIND_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8"})
            for _ in range(3):  # as the scheduler sends it, and twice more by redelivery
                cluster.sender.send_task("tradewind.deliver_notifications")
            wait_for(lambda: len(receiver.received) >= 3, "three deliveries")
            cluster.sender.send_task("tradewind.deliver_notifications")
            wait_for(
                lambda: all(d.status is DeliveryStatus.DELIVERED for d in desk.deliveries()),
                "every delivery settled",
            )
        limits = sorted(json.loads(r.body)["data"]["limit"] for r in receiver.received)
        assert limits == ["daily_profit_target", "max_daily_loss", "max_daily_trades"]
        assert all(r.refused is None for r in receiver.received)  # signed as the scheme says
        assert [d.attempts for d in desk.deliveries()] == [1, 1, 1]
    finally:
        desk.close()

"""A dispatcher for tests: real database, real senders, a clock the test moves."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from tests.waiting import SAFETY_S
from tradewind.adapters.clocks import SystemClock
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.unit_of_work import SqlNotifyUnitOfWork, SqlUnitOfWork
from tradewind.adapters.notify.email import EmailSender, SmtpServer
from tradewind.adapters.notify.webhook import WebhookSender
from tradewind.domain.notifications import ChannelKind, DeliveryStatus
from tradewind.domain.records import OutboxEvent
from tradewind.domain.webhook_targets import parse_networks
from tradewind.ports import ChannelSender, Clock, DeliveryView
from tradewind.services.access import Actor
from tradewind.services.notify import NotifyDeps, RetryPolicy
from tradewind.services.notify.configure import add_webhook, deliveries, parse_events

LOOPBACK = parse_networks("127.0.0.0/8")
OWNER = "owner@example.com"


class SteppedClock:
    """Real time at the start (or `start`), then only where the test moves it.

    A process the test starts gets the test's `start`: two clocks that began apart in
    real time would disagree by however slow the machine was between them.
    """

    def __init__(self, start: int | None = None) -> None:
        self._now = int(time.time()) if start is None else start

    def now(self) -> int:
        return self._now

    def advance(self, seconds: int) -> None:
        self._now += seconds


class Desk:
    """A user's notifications on a real database, delivered by `deliver_due`."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        secrets: SecretBox,
        *,
        policy: RetryPolicy | None = None,
        webhook_clock: Clock | None = None,
        allowed: tuple[object, ...] | None = None,
        timeout: float = SAFETY_S,  # bounds a hung receiver only: an answer is not waited out
        smtp: SmtpServer | None = None,
        start: int | None = None,
    ) -> None:
        self.sessions, self.secrets = sessions, secrets
        self.clock = SteppedClock(start)
        self.webhooks = WebhookSender(
            webhook_clock or SystemClock(), timeout=timeout,
            allowed=LOOPBACK if allowed is None else allowed,  # type: ignore[arg-type]
        )  # fmt: skip
        senders: dict[ChannelKind, ChannelSender] = {
            ChannelKind.WEBHOOK: self.webhooks,
            ChannelKind.EMAIL: EmailSender(smtp),
        }
        self.deps = NotifyDeps(
            uow=self.uow, senders=senders, clock=self.clock,
            policy=policy or RetryPolicy(lease_seconds=60), jitter=lambda: 1.0,
        )  # fmt: skip

    def uow(self) -> SqlNotifyUnitOfWork:
        return SqlNotifyUnitOfWork(self.sessions, self.secrets)

    def tick_uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, self.secrets)

    def add_user(self, email: str = OWNER) -> int:
        with self.uow() as uow:
            user = uow.users.add(email, None, self.clock.now())
            uow.commit()
        return user.id

    def owner_id(self, email: str = OWNER) -> int:
        """Return the id of the user `email` (added with `add_user`)."""
        with self.uow() as uow:
            user = uow.users.by_email(email)
        assert user is not None, f"add_user({email!r}) first"
        return user.id

    def add_webhook(self, url: str, secret: str, name: str = "hook", events: str = "all") -> int:
        from pydantic import SecretStr

        owner = self.owner_id()
        channel = add_webhook(
            self.uow, self.clock, Actor.user(owner), owner_id=owner, name=name, url=url,
            secret=SecretStr(secret), allowed=LOOPBACK, events=parse_events(events),
        )  # fmt: skip
        return channel.id

    def write_event(self, user_id: int, event_type: str = "bot_paused", **payload: object) -> None:
        """Write an event as the tick does, in the tick's unit of work."""
        with self.tick_uow() as uow:
            body = {"bot": "btc", "symbol": "BTCUSDT", "limit": "max_daily_trades"} | payload
            uow.outbox.add(OutboxEvent(event_type, user_id, None, body, self.clock.now()))
            uow.commit()

    def deliveries(self, status: DeliveryStatus | None = None) -> list[DeliveryView]:
        owner = self.owner_id()
        wanted = None if status is None else status.value
        found = deliveries(self.uow, Actor.user(owner), owner, wanted, 10_000)
        return sorted(found, key=lambda d: d.id)

    def close(self) -> None:
        self.webhooks.close()


DeskFactory = Callable[..., Desk]

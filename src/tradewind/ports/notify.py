"""The interfaces of notifications: channels, routes, the dispatcher's outbox and senders.

The tick only writes the outbox (`ports.OutboxRepository`). Routing and delivering its
events, and the owners' channel settings, get a unit of work of their own, here, so the
tick's ports never grow what only the dispatcher uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from pydantic import SecretStr

from tradewind.domain.notifications import ChannelKind, DeliveryStatus, EventType
from tradewind.domain.records import OutboxEvent
from tradewind.ports.manage import BotCatalog, UserRepository
from tradewind.ports.trading import Bot, Transaction


@dataclass(frozen=True, slots=True)
class NewChannel:
    """A channel to store; a webhook's secret gets encrypted on the way in."""

    user_id: int
    name: str
    kind: ChannelKind
    target: str  # the webhook URL or the email address, checked already
    secret: SecretStr | None
    created_at: int


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel as listed: everything but its secret."""

    id: int
    user_id: int
    name: str
    kind: ChannelKind
    target: str
    has_secret: bool
    created_at: int


@dataclass(frozen=True, slots=True)
class Route:
    """Which events of a bot (every bot of the channel's owner when None) go to a channel."""

    channel_id: int
    bot_id: int | None
    events: tuple[EventType, ...]


@dataclass(frozen=True, slots=True)
class Notification:
    """One event as a channel sends it; `event_id` is the same on every try."""

    id: int  # the outbox row
    event_type: str
    user_id: int
    bot_id: int | None
    payload: Mapping[str, object]
    created_at: int

    @property
    def event_id(self) -> str:
        """Return the id receivers deduplicate on: stable across tries and restarts."""
        return event_id(self.id)


def event_id(outbox_id: int) -> str:
    """Return the public id of the outbox event `outbox_id`."""
    return f"evt_{outbox_id}"


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    """Where a delivery goes, its secret decrypted."""

    channel_id: int
    name: str
    kind: ChannelKind
    target: str
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A delivery claimed for one try: the `attempts`-th."""

    delivery_id: int
    attempts: int
    notification: Notification
    channel: ChannelTarget


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """A delivery as listed."""

    id: int
    event_id: str
    event_type: str
    bot_id: int | None
    channel: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: int
    last_error: str | None
    delivered_at: int | None
    created_at: int


@dataclass(frozen=True, slots=True)
class BotDay:
    """One bot's UTC day, for its daily summary."""

    bot: Bot
    entries: int
    exits: int
    realized_pnl: Decimal


class ChannelSender(Protocol):
    """Sends notifications over one kind of channel.

    Raises `DeliveryFailed` when the receiver did not take the notification; any other
    exception is a failed try as well.
    """

    def send(self, notification: Notification, channel: ChannelTarget) -> None: ...


class ChannelRepository(Protocol):
    def add(self, channel: NewChannel) -> Channel: ...
    def get(self, channel_id: int) -> Channel | None: ...
    def by_name(self, user_id: int, name: str) -> Channel | None: ...
    def of_user(self, user_id: int) -> list[Channel]: ...

    def delete(self, channel_id: int) -> None:
        """Remove the channel with its routes and deliveries."""
        ...


class RouteRepository(Protocol):
    def set(self, route: Route, created_at: int) -> None:
        """Store the route, replacing the one of the same channel and bot."""
        ...

    def remove(self, channel_id: int, bot_id: int | None) -> bool: ...
    def of_user(self, user_id: int) -> list[Route]: ...


class NotifyOutbox(Protocol):
    """The outbox as the dispatcher sees it."""

    def add(self, event: OutboxEvent) -> int:
        """Queue an event; return its id."""
        ...

    def add_once(self, event: OutboxEvent, key: str) -> bool:
        """Queue the event unless one with this key was queued before; True if queued."""
        ...

    def claim_unrouted(self, limit: int) -> list[Notification]:
        """Return the oldest events not handed to their channels yet, locked for routing.

        Events another dispatcher is routing at the same time are skipped, not waited for.
        """
        ...

    def mark_routed(self, event_ids: list[int], at: int) -> None: ...

    def routes_of(self, user_ids: list[int]) -> tuple[list[Route], list[Channel]]:
        """Return every route and channel of these users."""
        ...


class DeliveryRepository(Protocol):
    def add_all(self, pairs: list[tuple[int, int]], at: int) -> None:
        """Queue (event id, channel id) deliveries, due at `at`; existing ones are kept."""
        ...

    def claim_due(self, now: int, until: int, limit: int) -> list[DeliveryJob]:
        """Claim pending deliveries due by `now` for one try each, lasting until `until`.

        A claimed delivery counts the try and is not due again before `until`; others'
        claims are skipped, not waited for.
        """
        ...

    def delivered(self, job: DeliveryJob, at: int) -> None: ...

    def failed(self, job: DeliveryJob, error: str, retry_at: int | None) -> None:
        """Record a failed try: due again at `retry_at`, or dead when None."""
        ...

    def recent(
        self, user_id: int, status: DeliveryStatus | None = None, limit: int = 50
    ) -> list[DeliveryView]:
        """Return the user's latest deliveries, newest first."""
        ...

    def revive(self, user_id: int, at: int) -> int:
        """Make the user's dead deliveries pending again, due at `at`; return how many."""
        ...

    def status_of(self, delivery_id: int, user_id: int) -> DeliveryStatus | None:
        """Return the status of the delivery to one of the user's channels; None when
        there is no such delivery of theirs."""
        ...

    def revive_one(self, delivery_id: int, at: int) -> bool:
        """Make the delivery pending again, due at `at`, if it is dead; say whether it was."""
        ...


class SummaryRepository(Protocol):
    def bot_days(self, day: date) -> list[BotDay]:
        """Return the bots (not deleted) that are active or traded on `day`, with its tally."""
        ...


class NotifyUnitOfWork(Transaction, Protocol):
    """One transaction for notification settings, routing and delivery."""

    users: UserRepository
    bots: BotCatalog
    channels: ChannelRepository
    routes: RouteRepository
    outbox: NotifyOutbox
    deliveries: DeliveryRepository
    summaries: SummaryRepository

"""Owners' notification settings: channels, per-bot routes, the test event, dead letters.

Every verb takes the acting user (`access.Actor`) and ids, and checks what it loads with
`access.owned`. A refusal names the field at fault (`url: …`, `to: …`, `events: …`), and
nothing is written when one is raised: `ConfigurationError` for bad input, `NotFound` for
a thing missing or another user's, `Conflict` for a clash with what is stored. A webhook
secret is stored encrypted and never handed back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address

from pydantic import SecretStr

from tradewind.domain.accounts import User
from tradewind.domain.bounds import check_name, shown
from tradewind.domain.errors import ConfigurationError, Conflict, NotFound
from tradewind.domain.notifications import (
    ROUTABLE,
    ChannelKind,
    DeliveryStatus,
    EventType,
    parse_event_types,
    webhook_key,
)
from tradewind.domain.records import OutboxEvent
from tradewind.domain.webhook_targets import IpNetwork, TargetRefused, check_target
from tradewind.ports import (
    Channel,
    Clock,
    DeliveryView,
    NewChannel,
    NotifyUnitOfWork,
    Route,
    event_id,
)
from tradewind.services.access import Actor, owned, owner
from tradewind.services.notify.routing import TEST_CHANNELS

UowFactory = Callable[[], NotifyUnitOfWork]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """A user's channels and routes, with the names of the bots the routes name."""

    user: User
    channels: list[Channel]
    routes: list[Route]
    bot_names: dict[int, str]


def parse_events(text: str) -> tuple[EventType, ...]:
    """Parse `all`, `none` or a comma-separated list of event types; refuse naming `events`."""
    if text.strip().lower() == "none":
        return ()
    try:
        return parse_event_types(text)
    except ValueError as e:
        raise ConfigurationError(f"events: {e}") from None


def add_webhook(
    uow_factory: UowFactory,
    clock: Clock,
    actor: Actor,
    *,
    owner_id: int,
    name: str,
    url: str,
    secret: SecretStr,
    allowed: Sequence[IpNetwork] = (),
    events: Sequence[EventType] = ROUTABLE,
) -> Channel:
    """Add a webhook endpoint of `owner_id`, routed `events` of all the user's bots."""
    try:
        check_target(url.strip(), allowed)
    except TargetRefused as e:
        raise ConfigurationError(f"url: {e}") from None
    try:
        webhook_key(secret.get_secret_value())
    except ValueError as e:
        raise ConfigurationError(f"secret: {e}") from None
    return _add(uow_factory, clock, actor, owner_id, name,
                (ChannelKind.WEBHOOK, url.strip(), secret), events)  # fmt: skip


def add_email(
    uow_factory: UowFactory,
    clock: Clock,
    actor: Actor,
    *,
    owner_id: int,
    name: str,
    to: str,
    events: Sequence[EventType] = ROUTABLE,
) -> Channel:
    """Add an email address of `owner_id`, routed `events` of all the user's bots."""
    return _add(uow_factory, clock, actor, owner_id, name,
                (ChannelKind.EMAIL, mail_address(to), None), events)  # fmt: skip


def mail_address(text: str) -> str:
    """Return a single plain address (`name@example.com`); refuse anything else."""
    address = text.strip()
    problem = f"to: must be one address like name@example.com (got {shown(text)})"
    if len(address) > 254 or not _EMAIL.match(address):
        raise ConfigurationError(problem)
    try:
        parsed = Address(addr_spec=address)
    except (HeaderParseError, ValueError, IndexError):
        raise ConfigurationError(problem) from None
    return parsed.addr_spec


def _add(
    uow_factory: UowFactory,
    clock: Clock,
    actor: Actor,
    owner_id: int,
    name: str,
    where: tuple[ChannelKind, str, SecretStr | None],
    events: Sequence[EventType],
) -> Channel:
    channel_name = _name(name)
    kind, target, secret = where
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(owner_id), owner_id)
        if uow.channels.by_name(user.id, channel_name) is not None:
            raise Conflict(
                f"name: {user.email} already has a notification channel named {channel_name!r}"
            )
        now = clock.now()
        channel = uow.channels.add(NewChannel(user.id, channel_name, kind, target, secret, now))
        if events:
            uow.routes.set(Route(channel.id, None, tuple(events)), now)
        uow.commit()
    return channel


def route(
    uow_factory: UowFactory,
    clock: Clock,
    actor: Actor,
    *,
    channel_id: int,
    events: Sequence[EventType],
    bot_id: int | None = None,
) -> Route:
    """Send `events` of one bot (all the channel owner's bots when None) to a channel.

    No events sends nothing of that bot there; a bot's route replaces the user-wide one.
    """
    with uow_factory() as uow:
        channel = owned(actor, uow.channels.get(channel_id), "channel", channel_id)
        routed = Route(channel.id, _bot_of(uow, channel, bot_id), tuple(events))
        uow.routes.set(routed, clock.now())
        uow.commit()
    return routed


def unroute(uow_factory: UowFactory, actor: Actor, *, channel_id: int, bot_id: int) -> bool:
    """Drop a bot's own route of a channel (it follows the user-wide route again)."""
    with uow_factory() as uow:
        channel = owned(actor, uow.channels.get(channel_id), "channel", channel_id)
        removed = uow.routes.remove(channel.id, _bot_of(uow, channel, bot_id))
        uow.commit()
    return removed


def remove_channel(uow_factory: UowFactory, actor: Actor, channel_id: int) -> Channel:
    """Delete a channel with its routes and its deliveries (sent or not)."""
    with uow_factory() as uow:
        channel = owned(actor, uow.channels.get(channel_id), "channel", channel_id)
        uow.channels.delete(channel.id)
        uow.commit()
    return channel


def settings_of(uow_factory: UowFactory, actor: Actor, owner_id: int) -> NotifySettings:
    """Return a user's channels and routes (never a secret)."""
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(owner_id), owner_id)
        bots = {b.id: b.config.name for b in uow.bots.find(user_id=user.id)}
        return NotifySettings(
            user, uow.channels.of_user(user.id), uow.routes.of_user(user.id), bots
        )


def queue_test(
    uow_factory: UowFactory,
    clock: Clock,
    actor: Actor,
    *,
    owner_id: int,
    channel_id: int | None = None,
) -> tuple[str, list[Channel]]:
    """Queue a test event to one channel (or all of the user's); return its id and them."""
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(owner_id), owner_id)
        if channel_id is None:
            targets = uow.channels.of_user(user.id)
        else:
            # As the user itself: an operator names one of this user's channels too.
            found = uow.channels.get(channel_id)
            targets = [owned(Actor.user(user.id), found, "channel", channel_id)]
        if not targets:
            raise Conflict(f"channel: {user.email} has no notification channel")
        payload: dict[str, object] = {
            "message": "a test notification from tradewind",
            TEST_CHANNELS: [c.id for c in targets],
        }
        queued = uow.outbox.add(
            OutboxEvent(EventType.TEST.value, user.id, None, payload, clock.now())
        )
        uow.commit()
    return event_id(queued), targets


def deliveries(
    uow_factory: UowFactory,
    actor: Actor,
    owner_id: int,
    status: str | None = None,
    limit: int = 50,
) -> list[DeliveryView]:
    """Return the latest deliveries of the user's events, newest first."""
    try:
        wanted = None if status is None else DeliveryStatus(status.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in DeliveryStatus)
        raise ConfigurationError(
            f"status: must be one of {known} (got {shown(str(status))})"
        ) from None
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(owner_id), owner_id)
        return uow.deliveries.recent(user.id, wanted, limit)


def retry_dead(uow_factory: UowFactory, clock: Clock, actor: Actor, owner_id: int) -> int:
    """Make the user's dead-lettered deliveries due now, with a fresh set of tries."""
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(owner_id), owner_id)
        revived = uow.deliveries.revive(user.id, clock.now())
        uow.commit()
    return revived


def retry_delivery(
    uow_factory: UowFactory, clock: Clock, actor: Actor, owner_id: int, delivery_id: int
) -> None:
    """Make one of the user's dead-lettered deliveries due now, with a fresh set of tries;
    NotFound when it is not theirs, Conflict when it is not dead (delivered, or pending)."""
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(owner_id), owner_id)
        status = uow.deliveries.status_of(delivery_id, user.id)
        if status is None:
            raise NotFound(f"delivery: there is no delivery {delivery_id}")
        if not uow.deliveries.revive_one(delivery_id, clock.now()):
            raise Conflict(
                f"delivery: {delivery_id} is {status.value}; only a dead one is tried again"
            )
        uow.commit()


# --- Checks -------------------------------------------------------------------------------


def _bot_of(uow: NotifyUnitOfWork, channel: Channel, bot_id: int | None) -> int | None:
    """Return `bot_id` when it is a bot of the channel's owner; NotFound otherwise."""
    if bot_id is None:
        return None
    # As the channel's owner, not the actor: an operator never routes one user's bot to
    # another user's channel.
    return owned(Actor.user(channel.user_id), uow.bots.get(bot_id), "bot", bot_id).id


def _name(name: str) -> str:
    return check_name("name", name)

"""Owners' notification settings: channels, per-bot routes, the test event, dead letters.

Every refusal is a `ConfigurationError` whose message starts with the field at fault
(`url: …`, `to: …`, `events: …`), and nothing is written when one is raised. A webhook
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
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.notifications import (
    ChannelKind,
    DeliveryStatus,
    EventType,
    parse_event_types,
    webhook_key,
)
from tradewind.domain.records import OutboxEvent
from tradewind.domain.webhook_targets import IpNetwork, TargetRefused, check_target
from tradewind.ports import (
    Bot,
    Channel,
    Clock,
    DeliveryView,
    NewChannel,
    NotifyUnitOfWork,
    Route,
    event_id,
)
from tradewind.services.notify.routing import TEST_CHANNELS

UowFactory = Callable[[], NotifyUnitOfWork]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """A user's channels and routes, with the names of the bots the routes name."""

    user: User
    channels: list[Channel]
    routes: list[Route]
    bot_names: dict[int, str]


def add_webhook(
    uow_factory: UowFactory,
    clock: Clock,
    *,
    user_email: str,
    name: str,
    url: str,
    secret: SecretStr,
    allowed: Sequence[IpNetwork] = (),
    events: str = "all",
) -> Channel:
    """Add a webhook endpoint, routed `events` of all the user's bots."""
    try:
        check_target(url.strip(), allowed)
    except TargetRefused as e:
        raise ConfigurationError(f"url: {e}") from None
    try:
        webhook_key(secret.get_secret_value())
    except ValueError as e:
        raise ConfigurationError(f"secret: {e}") from None
    return _add(uow_factory, clock, user_email, name, ChannelKind.WEBHOOK, url.strip(), secret,
                events)  # fmt: skip


def add_email(
    uow_factory: UowFactory,
    clock: Clock,
    *,
    user_email: str,
    name: str,
    to: str,
    events: str = "all",
) -> Channel:
    """Add an email address, routed `events` of all the user's bots."""
    return _add(uow_factory, clock, user_email, name, ChannelKind.EMAIL, mail_address(to), None,
                events)  # fmt: skip


def mail_address(text: str) -> str:
    """Return a single plain address (`name@example.com`); refuse anything else."""
    address = text.strip()
    problem = f"to: must be one address like name@example.com (got {text!r})"
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
    user_email: str,
    name: str,
    kind: ChannelKind,
    target: str,
    secret: SecretStr | None,
    events: str,
) -> Channel:
    channel_name = _name(name)
    chosen = _events(events)
    with uow_factory() as uow:
        user = _user(uow, user_email)
        if uow.channels.by_name(user.id, channel_name) is not None:
            raise ConfigurationError(
                f"name: {user.email} already has a notification channel named {channel_name!r}"
            )
        now = clock.now()
        channel = uow.channels.add(NewChannel(user.id, channel_name, kind, target, secret, now))
        if chosen:
            uow.routes.set(Route(channel.id, None, chosen), now)
        uow.commit()
    return channel


def route(
    uow_factory: UowFactory,
    clock: Clock,
    *,
    user_email: str,
    channel: str,
    events: str,
    bot: str | None = None,
) -> Route:
    """Send `events` of one bot (all the user's bots when None) to a channel.

    `none` sends nothing of that bot there; a bot's route replaces the user-wide one.
    """
    chosen = _events(events)
    with uow_factory() as uow:
        user = _user(uow, user_email)
        target = _channel(uow, user, channel)
        bot_id = None if bot is None else _bot(uow, user, bot).id
        routed = Route(target.id, bot_id, chosen)
        uow.routes.set(routed, clock.now())
        uow.commit()
    return routed


def unroute(uow_factory: UowFactory, *, user_email: str, channel: str, bot: str | None) -> bool:
    """Drop a bot's own route of a channel (it follows the user-wide route again)."""
    with uow_factory() as uow:
        user = _user(uow, user_email)
        target = _channel(uow, user, channel)
        bot_id = None if bot is None else _bot(uow, user, bot).id
        removed = uow.routes.remove(target.id, bot_id)
        uow.commit()
    return removed


def remove_channel(uow_factory: UowFactory, *, user_email: str, name: str) -> Channel:
    """Delete a channel with its routes and its deliveries (sent or not)."""
    with uow_factory() as uow:
        user = _user(uow, user_email)
        channel = _channel(uow, user, name)
        uow.channels.delete(channel.id)
        uow.commit()
    return channel


def settings_of(uow_factory: UowFactory, user_email: str) -> NotifySettings:
    with uow_factory() as uow:
        user = _user(uow, user_email)
        bots = {b.id: b.config.name for b in uow.bots.find(user_id=user.id)}
        return NotifySettings(
            user, uow.channels.of_user(user.id), uow.routes.of_user(user.id), bots
        )


def queue_test(
    uow_factory: UowFactory, clock: Clock, *, user_email: str, channel: str | None = None
) -> tuple[str, list[Channel]]:
    """Queue a test event to one channel (or all of the user's); return its id and them."""
    with uow_factory() as uow:
        user = _user(uow, user_email)
        targets = [_channel(uow, user, channel)] if channel else uow.channels.of_user(user.id)
        if not targets:
            raise ConfigurationError(
                f"channel: {user.email} has no notification channel; add one with "
                "`tradewind notify webhook add` or `tradewind notify email add`"
            )
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
    uow_factory: UowFactory, user_email: str, status: str | None = None, limit: int = 50
) -> list[DeliveryView]:
    try:
        wanted = None if status is None else DeliveryStatus(status.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in DeliveryStatus)
        raise ConfigurationError(f"status: must be one of {known} (got {status!r})") from None
    with uow_factory() as uow:
        return uow.deliveries.recent(_user(uow, user_email).id, wanted, limit)


def retry_dead(uow_factory: UowFactory, clock: Clock, user_email: str) -> int:
    """Make the user's dead-lettered deliveries due now, with a fresh set of tries."""
    with uow_factory() as uow:
        revived = uow.deliveries.revive(_user(uow, user_email).id, clock.now())
        uow.commit()
    return revived


# --- Lookups and checks -------------------------------------------------------------------


def _user(uow: NotifyUnitOfWork, email: str) -> User:
    user = uow.users.by_email(email.strip().lower())
    if user is None:
        raise ConfigurationError(
            f"user: no user with email {email.strip()}; add one with `tradewind user add`"
        )
    return user


def _channel(uow: NotifyUnitOfWork, user: User, name: str) -> Channel:
    channel = uow.channels.by_name(user.id, name.strip())
    if channel is None:
        names = ", ".join(c.name for c in uow.channels.of_user(user.id)) or "none yet"
        raise ConfigurationError(
            f"channel: {user.email} has no notification channel {name.strip()!r} "
            f"(channels: {names})"
        )
    return channel


def _bot(uow: NotifyUnitOfWork, user: User, name: str) -> Bot:
    bot = uow.bots.by_name(user.id, name.strip())
    if bot is None:
        raise ConfigurationError(f"bot: {user.email} has no bot named {name.strip()!r}")
    return bot


def _name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > _MAX_NAME:
        raise ConfigurationError(f"name: must be 1 to {_MAX_NAME} characters (got {name!r})")
    return cleaned


def _events(text: str) -> tuple[EventType, ...]:
    if text.strip().lower() == "none":
        return ()
    try:
        return parse_event_types(text)
    except ValueError as e:
        raise ConfigurationError(f"events: {e}") from None

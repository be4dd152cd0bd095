"""Notification channels (webhook, email), routes and deliveries: yours only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tradewind.domain.errors import ConfigurationError, NotFound
from tradewind.domain.notifications import ROUTABLE, ChannelKind, DeliveryStatus, EventType
from tradewind.domain.webhook_targets import parse_networks
from tradewind.entrypoints.api.deps import CurrentUser, StoreDep
from tradewind.entrypoints.api.notify_schemas import (
    ChannelCreate,
    ChannelPublic,
    DeliveryPublic,
    RoutePublic,
    RouteSet,
    TestQueued,
)
from tradewind.entrypoints.api.schemas import Id
from tradewind.ports import Channel, DeliveryView, Route
from tradewind.services.notify import configure

router = APIRouter(prefix="/notifications", tags=["notifications"])
_ANSWERS: dict[int | str, dict[str, object]] = {401: {}, 403: {}}
_BY_ID: dict[int | str, dict[str, object]] = {**_ANSWERS, 404: {}}


def _channel(channel: Channel) -> ChannelPublic:
    return ChannelPublic(
        id=channel.id, name=channel.name, kind=channel.kind, target=channel.target,
        has_secret=channel.has_secret, created_at=channel.created_at,
    )  # fmt: skip


def _route(route: Route) -> RoutePublic:
    return RoutePublic(channel_id=route.channel_id, bot_id=route.bot_id, events=list(route.events))


def _delivery(v: DeliveryView) -> DeliveryPublic:
    return DeliveryPublic(
        id=v.id, event_id=v.event_id, event_type=v.event_type, bot_id=v.bot_id,
        channel=v.channel, status=v.status, attempts=v.attempts,
        next_attempt_at=v.next_attempt_at, last_error=v.last_error,
        delivered_at=v.delivered_at, created_at=v.created_at,
    )  # fmt: skip


def _events(events: list[EventType] | None) -> tuple[EventType, ...]:
    if events is None:
        return ROUTABLE
    if EventType.TEST in events:
        raise ConfigurationError("events: test is not routed (POST …/test sends one)")
    return tuple(dict.fromkeys(events))


@router.get("/channels", responses=_ANSWERS)
def list_channels(store: StoreDep, who: CurrentUser) -> list[ChannelPublic]:
    """Your notification channels (never a webhook's secret)."""
    found = configure.settings_of(store.notify_uow, who.actor, who.user_id)
    return [_channel(c) for c in found.channels]


@router.post("/channels", status_code=201, responses={**_ANSWERS, 409: {}})
def add_channel(body: ChannelCreate, store: StoreDep, who: CurrentUser) -> ChannelPublic:
    """Add a webhook (signed with `secret`, to a public address) or an email address;
    every event of all your bots goes there unless `events` says which."""
    events = _events(body.events)
    if body.kind is ChannelKind.WEBHOOK:
        if body.to is not None:
            raise ConfigurationError("to: only an email channel has an address")
        if body.url is None or body.secret is None:
            raise ConfigurationError(
                "url: a webhook needs a url and a secret" if body.url is None
                else "secret: a webhook needs a signing secret"
            )  # fmt: skip
        channel = configure.add_webhook(
            store.notify_uow, store.clock, who.actor, owner_id=who.user_id, name=body.name,
            url=body.url, secret=body.secret, events=events,
            allowed=parse_networks(store.settings.webhook_allow_networks),
        )  # fmt: skip
    else:
        if body.url is not None or body.secret is not None:
            raise ConfigurationError("url: only a webhook channel has a url and a secret")
        if body.to is None:
            raise ConfigurationError("to: an email channel needs an address")
        channel = configure.add_email(
            store.notify_uow, store.clock, who.actor, owner_id=who.user_id, name=body.name,
            to=body.to, events=events,
        )  # fmt: skip
    return _channel(channel)


@router.delete("/channels/{channel_id}", status_code=204, responses=_BY_ID)
def delete_channel(channel_id: Id, store: StoreDep, who: CurrentUser) -> None:
    """Delete a channel with its routes and deliveries."""
    configure.remove_channel(store.notify_uow, who.actor, channel_id)


@router.post("/channels/{channel_id}/test", status_code=202, responses=_BY_ID)
def test_channel(channel_id: Id, store: StoreDep, who: CurrentUser) -> TestQueued:
    """Queue a test notification to the channel; its delivery is listed with the others."""
    queued, targets = configure.queue_test(
        store.notify_uow, store.clock, who.actor, owner_id=who.user_id, channel_id=channel_id
    )
    return TestQueued(event_id=queued, channel_ids=[c.id for c in targets])


@router.get("/routes", responses=_ANSWERS)
def list_routes(store: StoreDep, who: CurrentUser) -> list[RoutePublic]:
    """Which events go to which of your channels: per bot, or for all your bots."""
    found = configure.settings_of(store.notify_uow, who.actor, who.user_id)
    return [_route(r) for r in found.routes]


@router.put("/routes", responses=_BY_ID)
def set_route(body: RouteSet, store: StoreDep, who: CurrentUser) -> RoutePublic:
    """Send these events of one bot (all your bots without `bot_id`) to a channel; no
    events sends nothing of that bot there. A bot's route replaces the one for all."""
    routed = configure.route(
        store.notify_uow, store.clock, who.actor, channel_id=body.channel_id,
        events=_events(body.events), bot_id=body.bot_id,
    )  # fmt: skip
    return _route(routed)


@router.delete("/channels/{channel_id}/routes/{bot_id}", status_code=204, responses=_BY_ID)
def delete_route(channel_id: Id, bot_id: Id, store: StoreDep, who: CurrentUser) -> None:
    """Drop a bot's own route to a channel: the route for all your bots applies again."""
    removed = configure.unroute(store.notify_uow, who.actor, channel_id=channel_id, bot_id=bot_id)
    if not removed:
        raise NotFound(f"route: there is no route of bot {bot_id} to channel {channel_id}")


@router.get("/deliveries", responses=_ANSWERS)
def list_deliveries(
    store: StoreDep,
    who: CurrentUser,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[DeliveryPublic]:
    """Your latest deliveries, newest first: sent, waiting for a try, or dead."""
    views = configure.deliveries(
        store.notify_uow, who.actor, who.user_id, None if status is None else status.value, limit
    )
    return [_delivery(v) for v in views]


@router.post("/deliveries/{delivery_id}/retry", status_code=204, responses={**_BY_ID, 409: {}})
def retry_delivery(delivery_id: Id, store: StoreDep, who: CurrentUser) -> None:
    """Try a dead delivery again from now, with a fresh set of tries (409 unless dead)."""
    configure.retry_delivery(store.notify_uow, store.clock, who.actor, who.user_id, delivery_id)

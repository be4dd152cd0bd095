"""What the notification resources read and write: channels, routes, deliveries.

A webhook's signing secret is write-only (`SecretStr`, never echoed); a channel as listed
says only whether it has one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from tradewind.domain.notifications import ChannelKind, DeliveryStatus, EventType
from tradewind.entrypoints.api.schemas import Id, Input, Secret, Text

Events = Annotated[list[EventType], Field(max_length=len(EventType))]


class ChannelCreate(Input):
    """A webhook (`url` and `secret`) or an email address (`to`)."""

    name: Annotated[Text, Field(min_length=1, max_length=100)]
    kind: ChannelKind
    url: Annotated[Text, Field(min_length=1, max_length=2_000)] | None = Field(
        default=None, description="Webhook only: an https or http URL of a public address."
    )
    secret: Secret | None = Field(
        default=None, description="Webhook only: the HMAC signing key; write-only."
    )
    to: Annotated[Text, Field(min_length=1, max_length=254)] | None = Field(
        default=None, description="Email only: one address."
    )
    events: Events | None = Field(
        default=None, description="The events of all your bots sent here (default: all)."
    )


class ChannelPublic(BaseModel):
    id: int
    name: str
    kind: ChannelKind
    target: str
    has_secret: bool
    created_at: int


class RouteSet(Input):
    """Which events of one bot (of every bot when `bot_id` is absent) go to a channel."""

    channel_id: Id
    bot_id: Id | None = None
    events: Events


class RoutePublic(BaseModel):
    channel_id: int
    bot_id: int | None
    events: list[EventType]


class DeliveryPublic(BaseModel):
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


class TestQueued(BaseModel):
    """A test event queued: the notifier sends it to these channels."""

    event_id: str
    channel_ids: list[int]

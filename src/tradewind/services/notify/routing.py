"""Which channels an event goes to: the bot's own route of a channel, else the user's."""

from __future__ import annotations

from collections.abc import Sequence

from tradewind.domain.notifications import EventType
from tradewind.ports import Channel, Notification, Route

TEST_CHANNELS = "channel_ids"  # the test event's payload names the channels it goes to


def channels_for(
    notification: Notification, routes: Sequence[Route], channels: Sequence[Channel]
) -> list[int]:
    """Return the ids of the channels that get `notification`, in channel order.

    For each of the owner's channels, a route for the event's bot decides; without one,
    the channel's route for all the user's bots does; without either, nothing goes there.
    The test event goes to the channels it names, whatever the routes say.
    """
    own = [c for c in channels if c.user_id == notification.user_id]
    if notification.event_type == EventType.TEST.value:
        named = notification.payload.get(TEST_CHANNELS)
        wanted = {int(i) for i in named} if isinstance(named, list) else None
        return [c.id for c in own if wanted is None or c.id in wanted]
    chosen: list[int] = []
    for channel in sorted(own, key=lambda c: c.id):
        mine = [r for r in routes if r.channel_id == channel.id]
        route = next((r for r in mine if r.bot_id == notification.bot_id), None)
        if route is None and notification.bot_id is not None:
            route = next((r for r in mine if r.bot_id is None), None)
        if route is not None and notification.event_type in route.events:
            chosen.append(channel.id)
    return chosen

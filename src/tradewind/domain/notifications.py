"""What owners are told about: the event types, the channel kinds, the retry schedule.

Pure rules: which events exist, how long to wait before the next try of a delivery, and
which network addresses a webhook may reach (`webhook_targets`).
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum

WEBHOOK_SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64


class EventType(StrEnum):
    """Every event the outbox carries; the value is the `type` a receiver sees."""

    ORDER_FILLED = "order_filled"  # an entry order filled
    POSITION_CLOSED = "position_closed"  # with the realized PnL
    STOP_LOSS_HIT = "stop_loss_hit"
    TAKE_PROFIT_HIT = "take_profit_hit"
    TRAILING_STOP_HIT = "trailing_stop_hit"
    BOT_PAUSED = "bot_paused"  # which daily limit
    BOT_RESUMED = "bot_resumed"
    BOT_ERROR = "bot_error"  # cause: credentials, configuration, repeated_rejects, …
    DAILY_SUMMARY = "daily_summary"
    TEST = "test"  # `tradewind notify test`: goes to the channels asked, whatever the routes


# What a bot's owner can route; the test event is not routed, it is sent on demand.
ROUTABLE = tuple(t for t in EventType if t is not EventType.TEST)


class ChannelKind(StrEnum):
    """Where a notification goes."""

    WEBHOOK = "webhook"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    """Where one event stands with one channel."""

    PENDING = "pending"  # due at `next_attempt_at` (or being tried until then)
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after the last allowed try; `tradewind notify retry` revives it


class ErrorCause(StrEnum):
    """Why a `bot_error` event was written."""

    CREDENTIALS = "credentials"  # the exchange refused the key (the bot stops)
    CONFIGURATION = "configuration"  # the bot's config or account is unusable (the bot stops)
    REPEATED_REJECTS = "repeated_rejects"  # orders refused again and again (the bot goes on)
    OUTCOME_UNKNOWN = "outcome_unknown"  # an order's outcome is still unknown (the bot waits)
    VENUE_MISMATCH = "venue_mismatch"  # the venue does not hold the bot's position (it stops)
    ORPHAN_ORDERS = "orphan_orders"  # its orders the database lacked were cancelled (it goes on)
    FOREIGN_ORDERS = "foreign_orders"  # orders not ours share its futures position (it goes on)


def parse_event_types(text: str) -> tuple[EventType, ...]:
    """Parse `all` or a comma-separated list of event types; ValueError names the bad one."""
    words = [word.strip().lower() for word in text.split(",") if word.strip()]
    if not words:
        raise ValueError("give `all` or a comma-separated list of event types")
    if words == ["all"]:
        return ROUTABLE
    chosen: list[EventType] = []
    for word in words:
        try:
            kind = EventType(word)
        except ValueError:
            known = ", ".join(t.value for t in ROUTABLE)
            raise ValueError(f"unknown event type {word!r} (known: all, {known})") from None
        if kind is EventType.TEST:
            raise ValueError("the test event is not routed: `tradewind notify test` sends it")
        if kind not in chosen:
            chosen.append(kind)
    return tuple(chosen)


def retry_delay(attempts: int, base: float, cap: float, jitter: float) -> float:
    """Return the seconds to wait after the `attempts`-th failed try (1 = the first).

    Exponential: base, 2·base, 4·base, … up to `cap`, then scaled by `jitter` (a factor
    near 1, drawn by the caller) so receivers that came back are not hit all at once.
    """
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    exponent = min(attempts - 1, 60)  # 2**60 · base is past any cap
    return min(cap, base * 2.0**exponent) * jitter


def webhook_key(secret: str) -> bytes:
    """Return the HMAC key of a Standard Webhooks secret (`whsec_` + base64 of the key).

    ValueError says what is wrong with it, never what it is.
    """
    if not secret.startswith(WEBHOOK_SECRET_PREFIX):
        raise ValueError(f"must start with {WEBHOOK_SECRET_PREFIX} (the Standard Webhooks form)")
    try:
        key = base64.b64decode(secret[len(WEBHOOK_SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"must be {WEBHOOK_SECRET_PREFIX} followed by base64") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(f"must hold {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes of key")
    return key

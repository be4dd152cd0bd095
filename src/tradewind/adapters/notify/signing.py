"""The Standard Webhooks signature: HMAC-SHA256 over `id.timestamp.body`, base64, `v1,`.

The endpoint's secret is `whsec_` followed by the base64 of the key bytes, as the
scheme's reference libraries expect (https://www.standardwebhooks.com/).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from tradewind.domain.notifications import WEBHOOK_SECRET_PREFIX, webhook_key

GENERATED_KEY_BYTES = 32


def generate_secret() -> str:
    """Return a fresh endpoint secret."""
    key = secrets.token_bytes(GENERATED_KEY_BYTES)
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(key).decode("ascii")


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Return the `webhook-signature` value of a message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(webhook_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Return the three Standard Webhooks headers of a message."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }

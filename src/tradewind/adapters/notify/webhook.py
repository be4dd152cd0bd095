"""Webhooks: a JSON POST signed per Standard Webhooks, to vetted addresses only.

The URL's host is resolved when the request is made, every address it resolves to must
be allowed (see `domain.webhook_targets`), and the request goes to the address that was
checked (the name kept for the Host header and TLS), so DNS cannot swap in another one
between the check and the connection. Redirects are not followed; proxies from the
environment are not used; the answer's body is never read.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from tradewind.adapters.notify.signing import signed_headers
from tradewind.domain.errors import DeliveryFailed
from tradewind.domain.webhook_targets import (
    IpAddress,
    IpNetwork,
    TargetRefused,
    check_resolved,
    check_target,
    literal_address,
)
from tradewind.ports import ChannelTarget, Clock, Notification

USER_AGENT = "tradewind-webhooks/1"
Resolver = Callable[[str, int], Sequence[IpAddress]]


def resolve(host: str, port: int) -> list[IpAddress]:
    """Return the addresses `host` resolves to for a TCP connection."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IpAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = literal_address(str(sockaddr[0]))
        if address is not None and address not in found:
            found.append(address)
    return found


def webhook_body(notification: Notification) -> bytes:
    """Return the JSON body: id, type, the event's time, and its data."""
    data: dict[str, Any] = {"user_id": notification.user_id, "bot_id": notification.bot_id}
    data.update(notification.payload)
    when = datetime.fromtimestamp(notification.created_at, tz=UTC)
    document = {
        "id": notification.event_id,
        "type": notification.event_type,
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": data,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


class WebhookSender:
    """Sends notifications to webhook endpoints (ports.ChannelSender)."""

    def __init__(
        self,
        clock: Clock,
        *,
        timeout: float,
        allowed: Sequence[IpNetwork] = (),
        resolver: Resolver = resolve,
    ) -> None:
        self._clock = clock
        self._timeout = timeout
        self._allowed = tuple(allowed)
        self._resolve = resolver
        self._client = httpx.Client(
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            trust_env=False,  # an HTTP(S)_PROXY would connect for us, past the address check
            headers={"user-agent": USER_AGENT, "content-type": "application/json"},
        )

    def close(self) -> None:
        self._client.close()

    def send(self, notification: Notification, channel: ChannelTarget) -> None:
        """POST the event, signed; DeliveryFailed unless the endpoint answers 2xx."""
        if channel.secret is None:
            raise DeliveryFailed("the webhook has no secret to sign with")
        url, headers, extensions = self._pinned(channel.target)
        body = webhook_body(notification)
        headers |= signed_headers(channel.secret, notification.event_id, self._clock.now(), body)
        try:
            with self._client.stream(
                "POST", url, content=body, headers=headers, extensions=extensions
            ) as response:
                status = response.status_code
        except httpx.TimeoutException:
            raise DeliveryFailed(f"no answer within {self._timeout:g} s") from None
        except httpx.HTTPError as e:
            raise DeliveryFailed(f"could not reach the endpoint ({type(e).__name__})") from None
        if 300 <= status < 400:
            raise DeliveryFailed(f"HTTP {status}: a redirect, which is not followed")
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status} from the endpoint")

    def _pinned(self, target: str) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
        """Return the URL on the checked address, with the Host header and TLS name."""
        try:
            parts = check_target(target, self._allowed)
            host = (parts.hostname or "").rstrip(".")
            port = parts.port or (443 if parts.scheme == "https" else 80)
            literal = literal_address(host)
            if literal is not None:
                address = check_resolved([literal], self._allowed)
            else:
                try:
                    found = self._resolve(host, port)
                except OSError:
                    raise DeliveryFailed(f"cannot resolve the endpoint's host {host}") from None
                address = check_resolved(found, self._allowed)
        except TargetRefused as e:
            raise DeliveryFailed(f"the webhook URL is refused: {e}") from None
        url = httpx.URL(target).copy_with(host=str(address))
        extensions: dict[str, Any] = {}
        if parts.scheme == "https" and literal is None:
            extensions["sni_hostname"] = host  # TLS checks the certificate for the name
        return url, {"host": parts.netloc}, extensions

"""What wraps every request: the security headers, same-origin changes, and forgetting
the credentials' lookups once a change is done. One plain ASGI middleware: Starlette's
`BaseHTTPMiddleware` costs a task group and a copy of every body per layer, and it
watched each live-updates stream for a disconnect three times over.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradewind.entrypoints.api.deps import SAFE_METHODS
from tradewind.entrypoints.api.principals import PrincipalCache

# The dashboard is the site's own files only: no inline script, no other origin, no frames.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_FOREIGN_ORIGIN = json.dumps(
    {"detail": "origin: changes are accepted only from this site's own pages"}
).encode()


class Guard:
    def __init__(self, app: ASGIApp, principals: PrincipalCache) -> None:
        self.app = app
        self.principals = principals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, with_headers)
            return
        if not _same_origin(scope):
            await _refuse(with_headers)
            return
        try:
            await self.app(scope, receive, with_headers)
        finally:
            # A change may have revoked, ended or disabled what a read looked up
            # meanwhile: once it is done, this process's reads look credentials up afresh.
            self.principals.clear()


def _same_origin(scope: Scope) -> bool:
    # A browser names the page's origin on every cross-site request that changes state;
    # refusing a foreign one protects the sign-in form too, which has no session (and so
    # no CSRF token) yet. Scripts send no Origin and are not affected.
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if origin is None:
        return True
    return origin.rstrip("/") == f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"


async def _refuse(send: Send) -> None:
    await send({
        "type": "http.response.start", "status": 403,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(_FOREIGN_ORIGIN)).encode())],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": _FOREIGN_ORIGIN})

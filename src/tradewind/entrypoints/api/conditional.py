"""Conditional reads: an ETag on the pages a dashboard re-reads, and 304 when it still holds.

The tag comes from one small query (`overview.views_tag`: the user's change marker and the
bots' run records), read before the page; a client that sends it back in If-None-Match
and is told 304 saves the server the page's queries and the answer's body. The answers
are `private, no-cache`: a browser keeps them for the one who signed in and asks the
server each time (its fetch sends the tag by itself), a shared cache keeps nothing.
"""

from __future__ import annotations

from fastapi import Request, Response

CACHING = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {"description": "Not Modified: the ETag sent in If-None-Match is still current."}
}


def _sent(request: Request) -> set[str]:
    header = request.headers.get("if-none-match", "")
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def unchanged(request: Request, response: Response, tag: str) -> Response | None:
    """Return a 304 when the request names `tag`; else None, with the tag set on
    `response` (the 200 the route goes on to build)."""
    headers = CACHING | {"ETag": f'"{tag}"'}
    sent = _sent(request)
    if f'"{tag}"' in sent or "*" in sent:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return None

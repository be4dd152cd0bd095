"""Who asks, and what with: the dependencies every route declares (`Annotated` aliases).

A request signs in with `Authorization: Bearer <token>` (scripts) or the session cookie
(the browser). A state change (any method but GET, HEAD, OPTIONS) needs the `trade` scope,
and from a session also the session's CSRF token in the X-CSRF-Token header: a page of
another site can make the browser send the cookie, never read the token.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from tradewind.bootstrap.store import Store
from tradewind.domain.errors import Forbidden, NotAuthenticated
from tradewind.domain.identity import TokenScope
from tradewind.entrypoints.api.principals import PrincipalCache
from tradewind.services.identity import (
    Principal,
    SignInLimits,
    Via,
    session_principal,
    token_principal,
)

SESSION_COOKIE = "tradewind_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _limits(request: Request) -> SignInLimits:
    limits: SignInLimits = request.app.state.limits
    return limits


StoreDep = Annotated[Store, Depends(_store)]
LimitsDep = Annotated[SignInLimits, Depends(_limits)]


def authenticate(request: Request, store: Store) -> Principal:
    """Return who makes the request, and check its scope and (from a session) CSRF token.

    A read may use who the credentials signed in a moment ago (`PrincipalCache`); a change
    always asks the database, and makes this process forget what it remembered.
    """
    cache: PrincipalCache = request.app.state.principals
    reading = request.method in SAFE_METHODS
    if not reading:
        cache.clear()  # and again once the change is done (`guard.Guard`)
    generation = cache.generation
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticated("authorization: send 'Bearer <token>'")
        key = cache.key("token", secret.strip())
        principal = (reading and cache.get(key)) or token_principal(
            store.reading_identity_uow, store.clock, secret.strip()
        )
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise NotAuthenticated(
                "not signed in: sign in, or send a token as 'Authorization: Bearer <token>'"
            )
        key = cache.key("session", cookie)
        principal = (reading and cache.get(key)) or session_principal(
            store.reading_identity_uow, store.clock, cookie
        )
        if not reading:
            sent = request.headers.get(CSRF_HEADER, "")
            expected = principal.csrf_token or ""
            if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
                raise Forbidden(f"csrf: a change from the browser needs the {CSRF_HEADER} header")
    principal.require(TokenScope.READ if reading else TokenScope.TRADE)
    if reading:
        cache.put(key, principal, generation)
    return principal


def _principal(request: Request, store: StoreDep) -> Principal:
    return authenticate(request, store)


def _session_only(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
    if principal.via is not Via.SESSION:
        raise Forbidden("token: tokens are managed from a signed-in session or the command line")
    return principal


CurrentUser = Annotated[Principal, Depends(_principal)]
SessionUser = Annotated[Principal, Depends(_session_only)]

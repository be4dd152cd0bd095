"""Signing in and out, signing up (where open), and personal API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from tradewind.domain.errors import Forbidden, NotAuthenticated
from tradewind.domain.identity import ApiToken
from tradewind.entrypoints.api.deps import (
    SESSION_COOKIE,
    CurrentUser,
    LimitsDep,
    SessionUser,
    StoreDep,
)
from tradewind.entrypoints.api.schemas import (
    Id,
    SessionPublic,
    SignIn,
    SignUp,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserPublic,
)
from tradewind.services import identity

router = APIRouter(tags=["identity"])


def _user(store: StoreDep, user_id: int, role: str) -> UserPublic:
    with store.manage_uow() as uow:
        user = uow.users.get(user_id)
    if user is None:  # deleted while signed in
        raise NotAuthenticated("user: this user may not sign in")
    return UserPublic(id=user.id, email=user.email, name=user.name, role=role)


@router.post("/auth/login", responses={401: {}, 429: {}})
def sign_in(
    body: SignIn, request: Request, response: Response, store: StoreDep, limits: LimitsDep
) -> SessionPublic:
    """Sign in with email and password (and `code`, for a user with two-factor sign-in on:
    without it the answer is 401 naming `code`): sets the session cookie (HTTP-only,
    SameSite=Lax, Secure over TLS) and returns the CSRF token to send as X-CSRF-Token with
    every change."""
    address = request.client.host if request.client else "unknown"
    opened = identity.sign_in(
        store.identity_uow, store.passwords, store.clock, limits,
        email=body.email, password=body.password.get_secret_value(), address=address,
        code=None if body.code is None else body.code.get_secret_value(), totp=store.totp,
    )  # fmt: skip
    response.set_cookie(
        SESSION_COOKIE,
        opened.secret,
        max_age=limits.session_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    user = UserPublic(
        id=opened.user.id, email=opened.user.email, name=opened.user.name, role=opened.role
    )
    return SessionPublic(
        user=user, csrf_token=opened.csrf_token, expires_at=opened.expires_at, via="session"
    )


@router.post("/auth/logout", status_code=204, responses={401: {}, 403: {}})
def sign_out(request: Request, response: Response, store: StoreDep, who: SessionUser) -> None:
    """End this browser's session."""
    identity.sign_out(store.identity_uow, request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


@router.post("/auth/signup", status_code=201, responses={403: {}, 409: {}})
def sign_up(body: SignUp, store: StoreDep) -> UserPublic:
    """Register with an email and a password, where sign-up is open (TRADEWIND_SIGNUP=open)."""
    if store.settings.signup != "open":
        raise Forbidden("signup: users are invited here; ask an operator for an account")
    user = identity.sign_up(
        store.identity_uow, store.passwords, store.clock, body.email,
        body.password.get_secret_value(), body.name,
    )  # fmt: skip
    return UserPublic(id=user.id, email=user.email, name=user.name, role="user")


@router.get("/auth/me", responses={401: {}})
def me(store: StoreDep, who: CurrentUser) -> SessionPublic:
    """Who is signed in (and this session's CSRF token)."""
    return SessionPublic(
        user=_user(store, who.user_id, who.actor.role.value),
        csrf_token=who.csrf_token,
        expires_at=None,
        via=who.via.value,
    )


def _token(token: ApiToken) -> TokenPublic:
    return TokenPublic(
        id=token.id, name=token.name, prefix=token.prefix, scopes=sorted(token.scopes),
        created_at=token.created_at, expires_at=token.expires_at, revoked_at=token.revoked_at,
    )  # fmt: skip


@router.get("/tokens", responses={401: {}, 403: {}})
def list_tokens(store: StoreDep, who: CurrentUser) -> list[TokenPublic]:
    """Your personal API tokens (never their secrets)."""
    return [_token(t) for t in identity.list_tokens(store.identity_uow, who.actor, who.user_id)]


@router.post("/tokens", status_code=201, responses={401: {}, 403: {}})
def create_token(body: TokenCreate, store: StoreDep, who: SessionUser) -> TokenCreated:
    """Create a token; its secret is in this answer only. From a signed-in session only."""
    created = identity.create_token(
        store.identity_uow, store.clock, who.actor, owner_id=who.user_id, name=body.name,
        scopes=frozenset(body.scopes), days=body.days, max_days=store.settings.token_max_days,
    )  # fmt: skip
    return TokenCreated(**_token(created.token).model_dump(), secret=created.secret)


@router.delete("/tokens/{token_id}", responses={401: {}, 403: {}, 404: {}})
def revoke_token(token_id: Id, store: StoreDep, who: SessionUser) -> TokenPublic:
    """Revoke a token at once."""
    return _token(identity.revoke_token(store.identity_uow, store.clock, who.actor, token_id))

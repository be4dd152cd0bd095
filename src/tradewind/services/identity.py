"""Signing in and acting as someone: passwords, browser sessions, personal API tokens.

A request is made by a `Principal`: the acting user (`access.Actor`), the scopes it may use,
and how it came (a browser session, with its CSRF token, or a token). Sessions and tokens
are random secrets of 256 bits; only their SHA-256 is stored. Passwords are stored as
Argon2id hashes (`ports.PasswordHasher`). Failed sign-ins are counted in the database, per
account and per address, so every API process behind a load balancer sees the same counts.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from tradewind.domain.accounts import User
from tradewind.domain.errors import (
    ConfigurationError,
    Conflict,
    Forbidden,
    NotAuthenticated,
    TooManyAttempts,
)
from tradewind.domain.identity import ApiToken, Login, TokenScope, WebSession
from tradewind.ports import Clock, IdentityUnitOfWork, NewToken, PasswordHasher, TotpCodes
from tradewind.services import two_factor
from tradewind.services.access import Actor, Role, owned, owner, require_operator
from tradewind.services.manage import checked_email, checked_name

IdentityUowFactory = Callable[[], IdentityUnitOfWork]

MIN_PASSWORD = 10
MAX_PASSWORD = 1_024  # Argon2 takes any length; a cap keeps one request from costing much
TOKEN_PREFIX = "tw_"
_WRONG = "email or password is wrong"
# Checked against when the email is unknown, so both answers take as long.
_DUMMY_PASSWORD = "a password no one has"
ALL_SCOPES = frozenset(TokenScope)


class Via(StrEnum):
    SESSION = "session"
    TOKEN = "token"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a request, what it may do, and how it came."""

    actor: Actor
    user_id: int
    scopes: frozenset[TokenScope]
    via: Via
    csrf_token: str | None = None  # a session's, which every state change must echo

    def require(self, scope: TokenScope) -> None:
        """Refuse (`Forbidden`) unless the principal holds `scope`."""
        if scope not in self.scopes:
            raise Forbidden(f"scope: this token lacks the {scope.value!r} scope")


@dataclass(frozen=True, slots=True)
class SignInLimits:
    """How many failed sign-ins are allowed per account and per address in a window."""

    per_account: int
    per_address: int
    window_seconds: int
    session_seconds: int


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just opened: the cookie's secret (shown once) and its CSRF token."""

    secret: str
    csrf_token: str
    expires_at: int
    user: User
    role: Role


@dataclass(frozen=True, slots=True)
class CreatedToken:
    """A token just created: its secret is shown this once and never again."""

    token: ApiToken
    secret: str


def secret_hash(secret: str) -> str:
    """Return the SHA-256 (hex) a session's or token's secret is stored and found by."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_password(password: str) -> str:
    """Return `password` when it is acceptable; else a `ConfigurationError` naming the rule."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ConfigurationError(
            f"password: must be {MIN_PASSWORD} to {MAX_PASSWORD} characters (got {len(password)})"
        )
    return password


# --- Passwords and roles -----------------------------------------------------------------


def set_password(
    uow_factory: IdentityUowFactory,
    hasher: PasswordHasher,
    clock: Clock,
    actor: Actor,
    user_id: int,
    password: str,
    *,
    role: Role | None = None,
) -> None:
    """Set the user's password (the user themself, or an operator), signing them out
    everywhere; only an operator gives a role."""
    if role is not None:
        require_operator(actor, "role", "give roles")
    password_hash = hasher.hash(check_password(password))
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(user_id), user_id)
        login = uow.logins.get(user.id) or Login(user.id, None, Role.USER.value, False)
        new_role = login.role if role is None else role.value
        uow.logins.save(Login(user.id, password_hash, new_role, login.disabled), clock.now())
        uow.sessions.delete_of_user(user.id)
        uow.commit()


def set_disabled(
    uow_factory: IdentityUowFactory, clock: Clock, actor: Actor, user_id: int, disabled: bool
) -> None:
    """Disable (or enable) a user's sign-in: their sessions end and tokens stop at once."""
    require_operator(actor, "user", "disable users")
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(user_id), user_id)
        login = uow.logins.get(user.id) or Login(user.id, None, Role.USER.value, False)
        uow.logins.save(Login(user.id, login.password_hash, login.role, disabled), clock.now())
        if disabled:
            uow.sessions.delete_of_user(user.id)
        uow.commit()


def logins(uow_factory: IdentityUowFactory, actor: Actor) -> dict[int, Login]:
    """Return every user's login by user id (users without one are missing); an operator's."""
    require_operator(actor, "user", "list users")
    with uow_factory() as uow:
        found = (uow.logins.get(user.id) for user in uow.users.all())
        return {login.user_id: login for login in found if login is not None}


def sign_up(
    uow_factory: IdentityUowFactory,
    hasher: PasswordHasher,
    clock: Clock,
    email: str,
    password: str,
    name: str | None = None,
) -> User:
    """Register a user with a password (where sign-up is open: the caller checks)."""
    address = checked_email(email)
    shown_name = None if name is None else checked_name("name", name)
    password_hash = hasher.hash(check_password(password))
    with uow_factory() as uow:
        if uow.users.by_email(address) is not None:
            raise Conflict(f"email: a user with email {address} already exists")
        user = uow.users.add(address, shown_name, clock.now())
        uow.logins.save(Login(user.id, password_hash, Role.USER.value, False), clock.now())
        uow.commit()
    return user


# --- Sessions ----------------------------------------------------------------------------


def sign_in(
    uow_factory: IdentityUowFactory,
    hasher: PasswordHasher,
    clock: Clock,
    limits: SignInLimits,
    *,
    email: str,
    password: str,
    address: str,
    code: str | None = None,
    totp: TotpCodes | None = None,
) -> NewSession:
    """Check the email and password (and the two-factor `code`, when the user has it on)
    and open a session; count a failure against the account and the address, refusing
    (`TooManyAttempts`) past either limit. A right password without the code needed is
    refused naming `code`, and counts nothing: the browser asks for the code next."""
    now = clock.now()
    account_key = f"account:{email.strip().lower()[:254]}"
    address_key = f"address:{address[:100]}"
    with uow_factory() as uow:
        since = now - limits.window_seconds
        for key, limit in ((account_key, limits.per_account), (address_key, limits.per_address)):
            failures = uow.attempts.since(key, since)
            if len(failures) >= limit:
                retry_after = max(1, failures[-limit] + limits.window_seconds - now)
                raise TooManyAttempts(
                    "sign-in: too many failed attempts; try again later", retry_after
                )
        user = uow.users.by_email(email.strip().lower())
        login = None if user is None else uow.logins.get(user.id)
        stored = None if login is None else login.password_hash
        matches = hasher.verify(stored or hasher.hash(_DUMMY_PASSWORD), password[:MAX_PASSWORD])
        if user is None or login is None or stored is None or not matches or login.disabled:
            uow.attempts.add([account_key, address_key], now)
            uow.attempts.forget_before(now - limits.window_seconds)
            uow.commit()
            raise NotAuthenticated(_WRONG)
        second = uow.two_factor.get(user.id)
        if second is not None and second.enabled:
            if not code or totp is None:
                raise NotAuthenticated(two_factor.CODE_NEEDED)
            if not two_factor.passes(uow, totp, second, code, now):
                uow.attempts.add([account_key, address_key], now)
                uow.commit()
                raise NotAuthenticated(two_factor.CODE_WRONG)
        if hasher.needs_rehash(stored):
            uow.logins.save(Login(user.id, hasher.hash(password), login.role, login.disabled), now)
        uow.attempts.forget(account_key)
        uow.sessions.delete_expired(now)
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires_at = now + limits.session_seconds
        uow.sessions.add(WebSession(secret_hash(secret), user.id, csrf, now, expires_at))
        uow.commit()
    return NewSession(secret, csrf, expires_at, user, Role(login.role))


def session_principal(uow_factory: IdentityUowFactory, clock: Clock, secret: str) -> Principal:
    """Return who a session cookie signs in; `NotAuthenticated` when it is unknown or expired."""
    with uow_factory() as uow:
        found = uow.sessions.with_login(secret_hash(secret))
    if found is None or found[0].expires_at <= clock.now():
        raise NotAuthenticated("session: not signed in, or the session has expired")
    web, login = found
    usable = _usable(login)
    return Principal(_actor(usable), usable.user_id, ALL_SCOPES, Via.SESSION, web.csrf_token)


def sign_out(uow_factory: IdentityUowFactory, secret: str) -> None:
    """End the session (signing out twice is fine)."""
    with uow_factory() as uow:
        uow.sessions.delete(secret_hash(secret))
        uow.commit()


# --- Personal API tokens -----------------------------------------------------------------


def create_token(
    uow_factory: IdentityUowFactory,
    clock: Clock,
    actor: Actor,
    *,
    owner_id: int,
    name: str,
    scopes: frozenset[TokenScope],
    days: int,
    max_days: int,
) -> CreatedToken:
    """Create a token for `owner_id` that expires in `days`; its secret is shown once."""
    token_name = checked_name("name", name)
    if not scopes:
        raise ConfigurationError("scopes: give at least one of read, trade")
    if not 1 <= days <= max_days:
        raise ConfigurationError(f"days: must be 1 to {max_days} (got {days})")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(owner_id), owner_id)
        token = uow.tokens.add(
            NewToken(
                user.id, token_name, secret_hash(secret), secret[:10], scopes, now,
                now + days * 86_400,
            )
        )  # fmt: skip
        uow.commit()
    return CreatedToken(token, secret)


def list_tokens(uow_factory: IdentityUowFactory, actor: Actor, owner_id: int) -> list[ApiToken]:
    """Return the user's tokens, revoked and expired ones too (never their secrets)."""
    with uow_factory() as uow:
        return uow.tokens.of_user(owner(actor, uow.users.get(owner_id), owner_id).id)


def revoke_token(
    uow_factory: IdentityUowFactory, clock: Clock, actor: Actor, token_id: int
) -> ApiToken:
    """Revoke the token at once (revoking twice is fine); NotFound when another user's."""
    with uow_factory() as uow:
        token = owned(actor, uow.tokens.get(token_id), "token", token_id)
        uow.tokens.revoke(token.id, clock.now())
        uow.commit()
        revoked = uow.tokens.get(token.id)
    assert revoked is not None
    return revoked


def token_principal(uow_factory: IdentityUowFactory, clock: Clock, secret: str) -> Principal:
    """Return who a token acts for; `NotAuthenticated` when unknown, expired or revoked."""
    with uow_factory() as uow:
        found = uow.tokens.with_login(secret_hash(secret))
    if found is None or not found[0].usable_at(clock.now()):
        raise NotAuthenticated("token: unknown, expired or revoked")
    token, login = found
    usable = _usable(login)
    return Principal(_actor(usable), usable.user_id, token.scopes, Via.TOKEN)


def _usable(login: Login | None) -> Login:
    if login is None or login.disabled:
        raise NotAuthenticated("user: this user may not sign in")
    return login


def _actor(login: Login) -> Actor:
    if login.role == Role.OPERATOR.value:
        return Actor.operator(login.user_id)
    return Actor.user(login.user_id)

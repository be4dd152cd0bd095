"""Who may sign in, and how: passwords, browser sessions and personal API tokens.

Only hashes are kept: a password's Argon2id hash, and the SHA-256 of a session's or an
API token's random secret (both carry 256 bits of randomness, so a fast hash is enough;
a password needs a slow one). The secrets themselves are shown once and never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class TokenScope(StrEnum):
    """What a personal API token may do."""

    READ = "read"  # look: every GET
    TRADE = "trade"  # change: create, edit, start and stop bots, add accounts


@dataclass(frozen=True, slots=True)
class Login:
    """How a user signs in: a password hash, the role they act with, and whether they may."""

    user_id: int
    password_hash: str | None  # None: no password set yet (the user cannot sign in)
    role: str  # access.Role's value
    disabled: bool


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser: found by the hash of its cookie, with its CSRF token."""

    key_hash: str
    user_id: int
    csrf_token: str
    created_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A personal API token as listed: never its secret."""

    id: int
    user_id: int
    name: str
    prefix: str  # the first characters of the secret, to tell tokens apart
    scopes: frozenset[TokenScope]
    created_at: int
    expires_at: int
    revoked_at: int | None

    def usable_at(self, now: int) -> bool:
        """Tell whether the token still opens the API at `now`."""
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class TwoFactor:
    """A user's second factor: a TOTP secret (RFC 6238), stored encrypted.

    Asked at sign-in only once confirmed with a code; `last_step` is the time step of the
    code last accepted, so each code opens one session only.
    """

    user_id: int
    secret: str = field(repr=False)  # base32, never in a repr (so never in a log line)
    created_at: int
    confirmed_at: int | None
    last_step: int | None

    @property
    def enabled(self) -> bool:
        return self.confirmed_at is not None

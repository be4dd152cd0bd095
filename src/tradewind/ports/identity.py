"""The interfaces of signing in: logins, browser sessions, API tokens, failed attempts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tradewind.domain.identity import ApiToken, Login, TokenScope, TwoFactor, WebSession
from tradewind.ports.manage import UserRepository
from tradewind.ports.trading import Transaction


class PasswordHasher(Protocol):
    """Hashes passwords slowly (Argon2id) and checks them in constant time."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Tell whether `password` is the one hashed; False (never an error) when not."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Tell whether the hash was made with weaker parameters than today's."""
        ...


class LoginRepository(Protocol):
    def get(self, user_id: int) -> Login | None: ...

    def save(self, login: Login, updated_at: int) -> None:
        """Insert or replace the user's login."""
        ...


class SessionRepository(Protocol):
    def add(self, session: WebSession) -> None: ...
    def get(self, key_hash: str) -> WebSession | None: ...

    def with_login(self, key_hash: str) -> tuple[WebSession, Login | None] | None:
        """Return the session and its user's login (None if they have none) in one query:
        what every request signed in by a session asks."""
        ...

    def delete(self, key_hash: str) -> None: ...

    def delete_of_user(self, user_id: int) -> int:
        """Sign the user out everywhere; return how many sessions ended."""
        ...

    def delete_expired(self, now: int) -> int: ...


@dataclass(frozen=True, slots=True)
class NewToken:
    user_id: int
    name: str
    secret_hash: str
    prefix: str
    scopes: frozenset[TokenScope]
    created_at: int
    expires_at: int


class TokenRepository(Protocol):
    def add(self, token: NewToken) -> ApiToken: ...
    def get(self, token_id: int) -> ApiToken | None: ...
    def by_hash(self, secret_hash: str) -> ApiToken | None: ...

    def with_login(self, secret_hash: str) -> tuple[ApiToken, Login | None] | None:
        """Return the token and its user's login (None if they have none) in one query:
        what every request signed in by a token asks."""
        ...

    def of_user(self, user_id: int) -> list[ApiToken]: ...
    def revoke(self, token_id: int, revoked_at: int) -> None: ...


class AttemptRepository(Protocol):
    """Failed sign-ins by key (`account:<email>`, `address:<ip>`), for rate limits."""

    def add(self, keys: list[str], at: int) -> None: ...

    def since(self, key: str, since: int) -> list[int]:
        """Return the times of the key's failures at or after `since`, oldest first."""
        ...

    def forget(self, key: str) -> None: ...
    def forget_before(self, before: int) -> int: ...


class TotpCodes(Protocol):
    """Time-based one-time codes (RFC 6238: 6 digits, 30-second steps)."""

    def new_secret(self) -> str:
        """Return a fresh random secret (base32)."""
        ...

    def uri(self, secret: str, account: str, issuer: str) -> str:
        """Return the otpauth:// URI an authenticator app reads (as a QR code or text)."""
        ...

    def step_of(self, secret: str, code: str, now: int) -> int | None:
        """Return the time step `code` belongs to, within one step of `now`; None if no
        step's code is `code`."""
        ...


class TwoFactorRepository(Protocol):
    """Users' TOTP secrets, encrypted at rest under the master key."""

    def get(self, user_id: int) -> TwoFactor | None: ...

    def save(self, second: TwoFactor) -> None:
        """Insert or replace the user's second factor."""
        ...

    def delete(self, user_id: int) -> None: ...


class RecoveryCodeRepository(Protocol):
    """Users' recovery codes, by their SHA-256 only; each opens one session."""

    def replace(self, user_id: int, code_hashes: list[str], created_at: int) -> None: ...

    def use(self, user_id: int, code_hash: str, used_at: int) -> bool:
        """Mark the unused code as used; False when there is no such unused code."""
        ...

    def unused(self, user_id: int) -> int: ...
    def delete(self, user_id: int) -> None: ...


class IdentityUnitOfWork(Transaction, Protocol):
    """One transaction over users, logins, sessions, tokens and failed attempts."""

    users: UserRepository
    logins: LoginRepository
    sessions: SessionRepository
    tokens: TokenRepository
    attempts: AttemptRepository
    two_factor: TwoFactorRepository
    recovery_codes: RecoveryCodeRepository

"""Two-factor sign-in: a TOTP code (RFC 6238) after the password, or a recovery code.

Enrolling shows the secret and its otpauth:// URI once; the second factor is asked at
sign-in only after a code from the authenticator confirmed it, which also makes the ten
recovery codes (shown once, stored as SHA-256: each carries 64 random bits, and each
opens one session). A code is accepted once: the time step of the last one is kept.
Confirming and disabling count wrong codes as failed sign-ins of the account, so the
password's rate limit holds for the code too. The secret is stored encrypted under the
master key (the repository's concern), so a database dump does not hold it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace

from tradewind.domain.errors import ConfigurationError, Conflict, NotFound, TooManyAttempts
from tradewind.domain.identity import TwoFactor
from tradewind.ports import Clock, IdentityUnitOfWork, TotpCodes
from tradewind.services.access import Actor, owner, require_operator

IdentityUowFactory = Callable[[], IdentityUnitOfWork]

RECOVERY_CODES = 10
ISSUER = "tradewind"
MAX_CODE = 64  # longer input is no code of ours; a cap keeps hashing it cheap
CODE_NEEDED = "code: this account signs in with a two-factor code too (or a recovery code)"
CODE_WRONG = "code: the two-factor code is wrong, or was used already"


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A second factor being set up: shown this once, to put in an authenticator app."""

    secret: str
    uri: str


@dataclass(frozen=True, slots=True)
class TwoFactorStatus:
    enabled: bool
    pending: bool  # enrolled, not yet confirmed with a code
    recovery_codes_left: int


@dataclass(frozen=True, slots=True)
class AttemptLimit:
    """How many wrong codes the account may send in a window (the password's limit)."""

    per_account: int
    window_seconds: int


def recovery_hash(code: str) -> str:
    """Return the SHA-256 a recovery code is stored and found by (dashes, spaces and case
    do not count)."""
    plain = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(plain.encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = secrets.token_hex(8)  # 64 bits
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _attempt_key(user_id: int) -> str:
    return f"two-factor:{user_id}"


def status(uow_factory: IdentityUowFactory, user_id: int) -> TwoFactorStatus:
    with uow_factory() as uow:
        second = uow.two_factor.get(user_id)
        left = uow.recovery_codes.unused(user_id) if second is not None else 0
    if second is None:
        return TwoFactorStatus(False, False, 0)
    return TwoFactorStatus(second.enabled, not second.enabled, left)


def enroll(
    uow_factory: IdentityUowFactory, totp: TotpCodes, clock: Clock, user_id: int
) -> Enrollment:
    """Start setting up a second factor (again, if one was being set up); Conflict when
    one is on already."""
    with uow_factory() as uow:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound(f"user: there is no user {user_id}")
        current = uow.two_factor.get(user_id)
        if current is not None and current.enabled:
            raise Conflict("two_factor: it is on already; disable it first to enroll again")
        secret = totp.new_secret()
        uow.two_factor.save(TwoFactor(user_id, secret, clock.now(), None, None))
        uow.commit()
    return Enrollment(secret, totp.uri(secret, user.email, ISSUER))


def confirm(
    uow_factory: IdentityUowFactory,
    totp: TotpCodes,
    clock: Clock,
    limit: AttemptLimit,
    user_id: int,
    code: str,
) -> list[str]:
    """Turn the enrolled second factor on with a code from the authenticator; return the
    recovery codes (shown this once)."""
    now = clock.now()
    key = _attempt_key(user_id)
    with uow_factory() as uow:
        _throttle(uow, key, limit, now)
        current = uow.two_factor.get(user_id)
        if current is None or current.enabled:
            raise Conflict("two_factor: enroll first; nothing is waiting for a code")
        step = totp.step_of(current.secret, code.strip()[:MAX_CODE], now)
        if step is None:
            _fail(uow, key, now)
            raise ConfigurationError("code: not the code the authenticator shows now")
        codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
        uow.two_factor.save(replace(current, confirmed_at=now, last_step=step))
        uow.recovery_codes.replace(user_id, [recovery_hash(c) for c in codes], now)
        uow.attempts.forget(key)
        uow.commit()
    return codes


def disable(
    uow_factory: IdentityUowFactory,
    totp: TotpCodes,
    clock: Clock,
    limit: AttemptLimit,
    user_id: int,
    code: str,
) -> None:
    """Turn the second factor off, with a code (or a recovery code); Conflict when off."""
    now = clock.now()
    key = _attempt_key(user_id)
    with uow_factory() as uow:
        _throttle(uow, key, limit, now)
        current = uow.two_factor.get(user_id)
        if current is None or not current.enabled:
            raise Conflict("two_factor: it is not on")
        if not passes(uow, totp, current, code, now):
            _fail(uow, key, now)
            raise ConfigurationError(CODE_WRONG)
        uow.two_factor.delete(user_id)
        uow.recovery_codes.delete(user_id)
        uow.attempts.forget(key)
        uow.commit()


def reset(uow_factory: IdentityUowFactory, actor: Actor, user_id: int) -> bool:
    """Turn a user's second factor off (they lost their phone and their codes); an
    operator's verb. Return whether there was one."""
    require_operator(actor, "user", "reset a user's two-factor sign-in")
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(user_id), user_id)
        had = uow.two_factor.get(user.id) is not None
        uow.two_factor.delete(user.id)
        uow.recovery_codes.delete(user.id)
        uow.commit()
    return had


def passes(
    uow: IdentityUnitOfWork, totp: TotpCodes, second: TwoFactor, code: str, now: int
) -> bool:
    """Accept a TOTP code of a later step than the last accepted, or an unused recovery
    code; written in `uow` (the caller commits) so neither works twice."""
    text = code.strip()[:MAX_CODE]
    step = totp.step_of(second.secret, text, now)
    if step is not None:
        if second.last_step is not None and step <= second.last_step:
            return False
        uow.two_factor.save(replace(second, last_step=step))
        return True
    return uow.recovery_codes.use(second.user_id, recovery_hash(text), now)


def _throttle(uow: IdentityUnitOfWork, key: str, limit: AttemptLimit, now: int) -> None:
    failures = uow.attempts.since(key, now - limit.window_seconds)
    if len(failures) >= limit.per_account:
        retry_after = max(1, failures[-limit.per_account] + limit.window_seconds - now)
        raise TooManyAttempts("code: too many wrong codes; try again later", retry_after)


def _fail(uow: IdentityUnitOfWork, key: str, now: int) -> None:
    uow.attempts.add([key], now)
    uow.commit()

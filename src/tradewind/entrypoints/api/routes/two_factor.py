"""Two-factor sign-in (TOTP): enroll, confirm with a code, disable; from a session only."""

from __future__ import annotations

from fastapi import APIRouter

from tradewind.entrypoints.api.deps import LimitsDep, SessionUser, StoreDep
from tradewind.entrypoints.api.schemas import (
    RecoveryCodes,
    TwoFactorCode,
    TwoFactorEnrollment,
    TwoFactorPublic,
)
from tradewind.services import two_factor
from tradewind.services.identity import SignInLimits

router = APIRouter(tags=["identity"])
_ANSWERS: dict[int | str, dict[str, object]] = {401: {}, 403: {}}


def _limit(limits: SignInLimits) -> two_factor.AttemptLimit:
    return two_factor.AttemptLimit(limits.per_account, limits.window_seconds)


@router.get("/auth/2fa", responses=_ANSWERS)
def two_factor_status(store: StoreDep, who: SessionUser) -> TwoFactorPublic:
    """Whether two-factor sign-in is on, and how many recovery codes are left."""
    found = two_factor.status(store.identity_uow, who.user_id)
    return TwoFactorPublic(
        enabled=found.enabled, pending=found.pending, recovery_codes_left=found.recovery_codes_left
    )


@router.post("/auth/2fa/enroll", status_code=201, responses={**_ANSWERS, 409: {}})
def enroll_two_factor(store: StoreDep, who: SessionUser) -> TwoFactorEnrollment:
    """Start setting up two-factor sign-in: the secret and its otpauth:// URI, shown once.
    It is asked at sign-in only once confirmed with a code."""
    enrollment = two_factor.enroll(store.identity_uow, store.totp, store.clock, who.user_id)
    return TwoFactorEnrollment(secret=enrollment.secret, otpauth_uri=enrollment.uri)


@router.post("/auth/2fa/confirm", responses={**_ANSWERS, 409: {}, 429: {}})
def confirm_two_factor(
    body: TwoFactorCode, store: StoreDep, limits: LimitsDep, who: SessionUser
) -> RecoveryCodes:
    """Turn two-factor sign-in on with a code from the authenticator; the answer holds
    the ten recovery codes, shown this once. Wrong codes are rate-limited as passwords."""
    codes = two_factor.confirm(
        store.identity_uow, store.totp, store.clock, _limit(limits), who.user_id,
        body.code.get_secret_value(),
    )  # fmt: skip
    return RecoveryCodes(recovery_codes=codes)


@router.post("/auth/2fa/disable", status_code=204, responses={**_ANSWERS, 409: {}, 429: {}})
def disable_two_factor(
    body: TwoFactorCode, store: StoreDep, limits: LimitsDep, who: SessionUser
) -> None:
    """Turn two-factor sign-in off, with a code from the authenticator or a recovery code."""
    two_factor.disable(
        store.identity_uow, store.totp, store.clock, _limit(limits), who.user_id,
        body.code.get_secret_value(),
    )  # fmt: skip

"""Time-based one-time codes with pyotp (RFC 6238: SHA-1, 6 digits, 30-second steps), the
settings every authenticator app reads."""

from __future__ import annotations

import pyotp
from pyotp.exceptions import OTPVerificationError

# One step either side: a phone's clock a little off, or a code typed as it changes.
WINDOW = 1


class PyOtpCodes:
    def new_secret(self) -> str:
        return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends

    def uri(self, secret: str, account: str, issuer: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)

    def step_of(self, secret: str, code: str, now: int) -> int | None:
        if not (len(code) == 6 and code.isdigit()):
            return None
        try:
            return pyotp.TOTP(secret).verify_and_get_timecode(
                code, for_time=now, valid_window=WINDOW
            )
        except OTPVerificationError:
            return None

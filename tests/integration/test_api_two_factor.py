"""Two-factor sign-in over real HTTP: enroll, confirm with a code, sign in with a code or
a recovery code (each once), rate-limited as the password, disable; the secret and the
recovery codes are not readable from the database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pyotp
import pytest
from sqlalchemy import text

from tests.integration.api_harness import API, PASSWORD, ApiWorld, api_world


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(database_url, tmp_path, login_failures_per_account=4) as built:
        yield built


def _login(world: ApiWorld, code: str | None = None) -> httpx.Response:
    body = {"email": world.ann.email, "password": PASSWORD}
    if code is not None:
        body["code"] = code
    return httpx.post(f"{world.base_url}{API}/auth/login", json=body)


def _code(secret: str, at: float, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(at, counter_offset=steps_ahead)


def _turn_on(world: ApiWorld, at: float | None = None) -> tuple[str, list[str]]:
    ann = world.ann.session
    enrolled = ann.post(f"{API}/auth/2fa/enroll")
    assert enrolled.status_code == 201, enrolled.text
    secret = enrolled.json()["secret"]
    code = _code(secret, time.time() if at is None else at)
    confirmed = ann.post(f"{API}/auth/2fa/confirm", json={"code": code})
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


def test_enrolling_shows_the_secret_once_and_asks_nothing_until_confirmed(
    world: ApiWorld,
) -> None:
    ann = world.ann.session
    enrolled = ann.post(f"{API}/auth/2fa/enroll").json()
    uri = enrolled["otpauth_uri"]
    assert uri.startswith("otpauth://totp/tradewind:")
    assert quote(world.ann.email) in uri
    assert f"secret={enrolled['secret']}" in uri
    assert "issuer=tradewind" in uri
    assert ann.get(f"{API}/auth/2fa").json() == {
        "enabled": False, "pending": True, "recovery_codes_left": 0,
    }  # fmt: skip
    assert _login(world).status_code == 200  # not asked before it is confirmed
    wrong = ann.post(f"{API}/auth/2fa/confirm", json={"code": "12345x"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "code"]
    assert ann.get(f"{API}/auth/2fa").json()["enabled"] is False


def test_once_on_sign_in_needs_a_code_each_accepted_once(world: ApiWorld) -> None:
    confirmed_at = time.time()  # codes are of steps counted from this one
    secret, recovery = _turn_on(world, confirmed_at)
    assert len(recovery) == len(set(recovery)) == 10
    assert all(len(code) == 19 and code.count("-") == 3 for code in recovery)

    without = _login(world)
    assert without.status_code == 401
    assert without.json()["detail"].startswith("code: this account signs in with")
    assert _login(world, _code(secret, confirmed_at)).status_code == 401  # confirm used it
    assert _login(world, _code(secret, confirmed_at, 1)).status_code == 200
    assert _login(world, _code(secret, confirmed_at, 1)).status_code == 401  # used once
    assert _login(world, recovery[0].upper()).status_code == 200
    assert _login(world, recovery[0]).status_code == 401  # used up
    status = world.ann.session.get(f"{API}/auth/2fa").json()
    assert status == {"enabled": True, "pending": False, "recovery_codes_left": 9}


def test_wrong_codes_are_rate_limited_as_passwords(world: ApiWorld) -> None:
    _, recovery = _turn_on(world)
    answers = [_login(world, "000000x").status_code for _ in range(4)]
    assert answers == [401] * 4
    limited = _login(world, recovery[1])  # even the right code waits now
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0


def test_the_secret_and_the_recovery_codes_are_not_in_the_database(world: ApiWorld) -> None:
    secret, recovery = _turn_on(world)
    with world.store.engine.connect() as db:
        rows = [
            str(row)
            for table in ("user_two_factor", "user_recovery_codes")
            for row in db.execute(text(f"SELECT * FROM {table}"))
        ]
    dump = "\n".join(rows)
    assert len(rows) == 11
    assert secret not in dump
    assert not [code for code in recovery if code in dump or code.replace("-", "") in dump]


def test_disabling_needs_a_code_then_sign_in_needs_none(world: ApiWorld) -> None:
    _, recovery = _turn_on(world)
    ann = world.ann.session
    wrong = ann.post(f"{API}/auth/2fa/disable", json={"code": "not-a-code"})
    assert wrong.status_code == 422
    assert _login(world).status_code == 401
    assert ann.post(f"{API}/auth/2fa/disable", json={"code": recovery[2]}).status_code == 204
    assert _login(world).status_code == 200
    assert ann.get(f"{API}/auth/2fa").json()["enabled"] is False
    assert ann.post(f"{API}/auth/2fa/disable", json={"code": recovery[3]}).status_code == 409


def test_a_token_cannot_manage_two_factor(world: ApiWorld) -> None:
    assert world.ann.trade.post(f"{API}/auth/2fa/enroll").status_code == 403
    assert world.ann.trade.get(f"{API}/auth/2fa").status_code == 403

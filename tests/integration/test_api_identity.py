"""Signing in over real HTTP: sessions, rate limits, tokens, sign-up, disabled users."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.api_harness import API, PASSWORD, bearer, open_store, served, sign_in
from tradewind.bootstrap.store import Store
from tradewind.services import identity, manage
from tradewind.services.access import Actor, Role

START = 1_800_000_000


class SteppedClock:
    """The time, moved on by the test."""

    def __init__(self) -> None:
        self.at = START

    def now(self) -> int:
        return self.at


@dataclasses.dataclass
class Site:
    store: Store
    url: str
    clock: SteppedClock

    def add(self, email: str, role: Role = Role.USER) -> int:
        user = manage.add_user(self.store.manage_uow, self.clock, Actor.operator(), email)
        identity.set_password(
            self.store.identity_uow, self.store.passwords, self.clock, Actor.operator(),
            user.id, PASSWORD, role=role,
        )  # fmt: skip
        return user.id

    def login(self, email: str, password: str) -> httpx.Response:
        body = {"email": email, "password": password}
        return httpx.post(f"{self.url}{API}/auth/login", json=body)


def _site(database_url: str, data_dir: Path, **settings: object) -> Iterator[Site]:
    clock = SteppedClock()
    store = dataclasses.replace(open_store(database_url, data_dir, **settings), clock=clock)
    try:
        with served(store) as url:
            yield Site(store, url, clock)
    finally:
        store.close()


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    yield from _site(
        database_url, tmp_path, login_failures_per_account=3, login_failures_per_address=5,
        login_window_seconds=600, session_hours=1,
    )  # fmt: skip


def test_signing_in_sets_an_http_only_same_site_cookie_and_returns_the_csrf_token(
    site: Site,
) -> None:
    site.add("ann@example.com")
    answer = site.login("ann@example.com", PASSWORD)
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    assert "secure" not in cookie  # plain HTTP on loopback; Secure over TLS
    body = answer.json()
    assert body["user"]["email"] == "ann@example.com"
    assert len(body["csrf_token"]) >= 40
    session_secret = answer.cookies["tradewind_session"]
    assert session_secret not in answer.text


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(site: Site) -> None:
    site.add("ann@example.com")
    wrong = site.login("ann@example.com", "not the password")
    unknown = site.login("nobody@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "email or password is wrong"}


def test_failed_sign_ins_are_limited_per_account_then_allowed_after_the_window(
    site: Site,
) -> None:
    site.add("ann@example.com")
    site.add("bob@example.com")
    for _ in range(3):
        assert site.login("ann@example.com", "guess guess guess").status_code == 401
    refused = site.login("ann@example.com", PASSWORD)  # even the right password
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 600
    assert site.login("bob@example.com", PASSWORD).status_code == 200  # another account
    site.clock.at += 601
    assert site.login("ann@example.com", PASSWORD).status_code == 200


def test_failed_sign_ins_are_limited_per_address_across_accounts(site: Site) -> None:
    site.add("bob@example.com")
    for n in range(5):
        assert site.login(f"guess{n}@example.com", "guess guess guess").status_code == 401
    assert site.login("bob@example.com", PASSWORD).status_code == 429


def test_a_session_expires_and_signing_out_ends_it(site: Site) -> None:
    site.add("ann@example.com")
    browser = sign_in(site.url, "ann@example.com")
    assert browser.get(f"{API}/auth/me").json()["user"]["email"] == "ann@example.com"
    assert browser.post(f"{API}/auth/logout").status_code == 204
    cookies = httpx.Cookies({"tradewind_session": "gone"})
    assert httpx.get(f"{site.url}{API}/bots", cookies=cookies).status_code == 401
    again = sign_in(site.url, "ann@example.com")
    site.clock.at += 3601
    assert again.get(f"{API}/bots").status_code == 401


def test_a_token_is_shown_once_works_until_revoked_or_expired(site: Site) -> None:
    site.add("ann@example.com")
    browser = sign_in(site.url, "ann@example.com")
    made = browser.post(f"{API}/tokens", json={"name": "ci", "scopes": ["read"], "days": 1})
    assert made.status_code == 201
    secret = made.json()["secret"]
    listed = browser.get(f"{API}/tokens").json()
    assert secret not in str(listed)
    assert listed[0]["prefix"] == secret[:10]
    script = bearer(site.url, secret)
    assert script.get(f"{API}/bots").status_code == 200
    site.clock.at += 86_401
    assert script.get(f"{API}/bots").status_code == 401
    site.clock.at = START
    assert browser.delete(f"{API}/tokens/{made.json()['id']}").status_code == 200
    assert script.get(f"{API}/bots").status_code == 401


def test_a_token_cannot_make_or_revoke_tokens(site: Site) -> None:
    site.add("ann@example.com")
    browser = sign_in(site.url, "ann@example.com")
    made = browser.post(f"{API}/tokens", json={"name": "ci", "scopes": ["read", "trade"]})
    script = bearer(site.url, made.json()["secret"])
    assert script.post(f"{API}/tokens", json={"name": "x", "scopes": ["read"]}).status_code == 403
    assert script.delete(f"{API}/tokens/{made.json()['id']}").status_code == 403


def test_a_disabled_user_is_signed_out_and_their_tokens_stop(site: Site) -> None:
    ann = site.add("ann@example.com")
    browser = sign_in(site.url, "ann@example.com")
    made = browser.post(f"{API}/tokens", json={"name": "ci", "scopes": ["read"]}).json()
    identity.set_disabled(site.store.identity_uow, site.clock, Actor.operator(), ann, True)
    assert browser.get(f"{API}/bots").status_code == 401
    assert bearer(site.url, made["secret"]).get(f"{API}/bots").status_code == 401
    assert site.login("ann@example.com", PASSWORD).status_code == 401


def test_an_operator_sees_every_users_bots(site: Site) -> None:
    site.add("ann@example.com")
    site.add("op@example.com", Role.OPERATOR)
    ann = sign_in(site.url, "ann@example.com")
    account = ann.post(f"{API}/accounts", json={"name": "p", "kind": "paper"}).json()
    config = {"name": "b1", "symbol": "BTCUSDT", "timeframe": "1h", "position_type": "spot"}
    bot = ann.post(f"{API}/bots", json={"account_id": account["id"], "config": config}).json()
    operator = sign_in(site.url, "op@example.com")
    assert operator.get(f"{API}/auth/me").json()["user"]["role"] == "operator"
    assert [b["id"] for b in operator.get(f"{API}/bots").json()] == [bot["id"]]


def test_an_operator_disables_a_user_and_stops_every_bot_which_users_may_not(
    site: Site,
) -> None:
    ann_id = site.add("ann@example.com")
    site.add("op@example.com", Role.OPERATOR)
    ann = sign_in(site.url, "ann@example.com")
    account = ann.post(f"{API}/accounts", json={"name": "p", "kind": "paper"}).json()
    config = {"name": "b1", "symbol": "BTCUSDT", "timeframe": "1h", "position_type": "spot"}
    bot = ann.post(f"{API}/bots", json={"account_id": account["id"], "config": config}).json()
    ann.post(f"{API}/bots/{bot['id']}/start").raise_for_status()
    for verb in ("/bots/stop-all", f"/users/{ann_id}/disable"):
        refused = ann.post(f"{API}{verb}")
        assert refused.status_code == 403
        assert "only an operator" in refused.json()["detail"]
    assert ann.get(f"{API}/users").status_code == 403

    operator = sign_in(site.url, "op@example.com")
    users = {u["email"]: u for u in operator.get(f"{API}/users").json()}
    assert (users["ann@example.com"]["running"], users["op@example.com"]["role"]) == (
        1, "operator",
    )  # fmt: skip
    assert operator.post(f"{API}/bots/stop-all").json() == {"stopped": [bot["id"]]}
    state = operator.get(f"{API}/bots/{bot['id']}").json()
    assert (state["active"], state["state"]["reason"]) == (False, "stopped by an operator")
    assert operator.post(f"{API}/users/{ann_id}/disable").status_code == 204
    assert ann.get(f"{API}/bots").status_code == 401
    assert site.login("ann@example.com", PASSWORD).status_code == 401
    assert operator.post(f"{API}/users/{ann_id}/enable").status_code == 204
    assert site.login("ann@example.com", PASSWORD).status_code == 200


def test_sign_up_is_invite_only_by_default(site: Site) -> None:
    body = {"email": "new@example.com", "password": PASSWORD}
    assert httpx.post(f"{site.url}{API}/auth/signup", json=body).status_code == 403


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_open_sign_up_registers_a_user_who_can_sign_in(database_url: str, tmp_path: Path) -> None:
    for site in _site(database_url, tmp_path, signup="open"):
        body = {"email": "New@Example.com", "password": PASSWORD}
        made = httpx.post(f"{site.url}{API}/auth/signup", json=body)
        assert made.status_code == 201
        assert made.json()["email"] == "new@example.com"
        again = httpx.post(f"{site.url}{API}/auth/signup", json=body)
        assert again.status_code == 409
        short = httpx.post(
            f"{site.url}{API}/auth/signup", json={"email": "x@example.com", "password": "short"}
        )
        assert short.status_code == 422
        assert short.json()["detail"][0]["loc"] == [
            "body",
            "password",
        ]
        assert site.login("new@example.com", PASSWORD).status_code == 200

"""Who may touch what through the API, over real HTTP, on SQLite and PostgreSQL.

Every endpoint that takes an id, called with Bob's session and with his trade token on
Ann's things: 404, worded as for an id nobody has, and Ann's things unchanged. A read
token changes nothing (403); no credentials or a bad token is 401; a change from a session
without its CSRF token, or from a foreign page, is 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.api_harness import API, ApiWorld, Person, api_world
from tests.integration.test_api_notifications import dead_delivery

# Every operation on an id: (method, path on Ann's things, body, who may call it).
# "session" operations refuse tokens (403) before looking anything up.
ById = tuple[str, str, dict[str, Any] | None, str]


def _by_id(ann: Person, bob: Person, notes: tuple[int, int]) -> list[ById]:
    bot, account = ann.bot_id, ann.account_id
    channel, delivery = notes  # Ann's notification channel and a dead delivery to it
    config = {"name": "b9", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot"}
    return [
        ("GET", f"/accounts/{account}", None, "any"),
        ("GET", f"/bots/{bot}", None, "any"),
        ("PATCH", f"/bots/{bot}", {"config": {"custom_stop_loss": "2"}}, "any"),
        ("DELETE", f"/bots/{bot}", None, "any"),
        ("POST", f"/bots/{bot}/start", None, "any"),
        ("POST", f"/bots/{bot}/stop", None, "any"),
        ("POST", f"/bots/{bot}/close", None, "any"),
        ("GET", f"/bots/{bot}/orders", None, "any"),
        ("GET", f"/bots/{bot}/trades", None, "any"),
        ("GET", f"/bots/{bot}/pnl", None, "any"),
        ("GET", f"/bots/{bot}/chart", None, "any"),
        ("GET", f"/backtests/{ann.backtest_id}", None, "any"),
        ("DELETE", f"/tokens/{ann.token_id}", None, "session"),
        ("POST", f"/users/{ann.user_id}/disable", None, "operator"),
        ("POST", f"/users/{ann.user_id}/enable", None, "operator"),
        ("DELETE", f"/notifications/channels/{channel}", None, "any"),
        ("POST", f"/notifications/channels/{channel}/test", None, "any"),
        ("DELETE", f"/notifications/channels/{channel}/routes/{bot}", None, "any"),
        ("POST", f"/notifications/deliveries/{delivery}/retry", None, "any"),
        ("PUT", "/notifications/routes", {"channel_id": channel, "events": []}, "any"),
        (
            "PUT",
            "/notifications/routes",
            {"channel_id": channel, "bot_id": bot, "events": []},
            "any",
        ),
        # Ann's account named in Bob's own requests:
        ("POST", "/bots", {"account_id": account, "config": config}, "any"),
        ("PATCH", f"/bots/{bob.bot_id}", {"account_id": account}, "any"),
    ]


TEMPLATES = {
    "/accounts/{account_id}", "/bots/{bot_id}", "/bots/{bot_id}/start", "/bots/{bot_id}/stop",
    "/bots/{bot_id}/close", "/bots/{bot_id}/orders", "/bots/{bot_id}/trades", "/bots/{bot_id}/pnl",
    "/bots/{bot_id}/chart", "/backtests/{job_id}",
    "/tokens/{token_id}", "/strategies/{name}", "/users/{user_id}/disable",
    "/users/{user_id}/enable", "/notifications/channels/{channel_id}",
    "/notifications/channels/{channel_id}/test",
    "/notifications/channels/{channel_id}/routes/{bot_id}",
    "/notifications/deliveries/{delivery_id}/retry",
}  # fmt: skip
OPERATOR_ONLY = {"/users"}  # a plain user's GET is 403 whatever the scope


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(database_url, tmp_path) as built:
        # Ann has a backtest job (a small one: the matrix reads it, never waits for it).
        config = {"name": "j", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot"}
        job = {"config": config, "source": "generated", "candles": 50}
        answer = built.ann.trade.post(f"{API}/backtests", json=job)
        assert answer.status_code == 202, answer.text
        built.ann.backtest_id = answer.json()["id"]
        yield built


def _operations(world: ApiWorld) -> list[tuple[str, str]]:
    document = httpx.get(f"{world.base_url}{API}/openapi.json").json()
    return [
        (method.upper(), path.removeprefix(API))
        for path, item in document["paths"].items()
        for method in item
    ]


def _what_ann_sees(ann: Person) -> list[Any]:
    paths = ["/accounts", "/bots", "/orders", "/trades", "/pnl", "/tokens",
             f"/bots/{ann.bot_id}", f"/accounts/{ann.account_id}", "/notifications/channels",
             "/notifications/routes", "/notifications/deliveries"]  # fmt: skip
    return [ann.session.get(f"{API}{path}").json() for path in paths]


def test_every_path_with_an_id_is_in_the_matrix(world: ApiWorld) -> None:
    with_ids = {path for _, path in _operations(world) if "{" in path}
    assert with_ids == TEMPLATES  # a new one belongs in _by_id (strategies are public)


def test_another_users_things_are_404_to_a_session_and_a_token_and_stay_unchanged(
    world: ApiWorld,
) -> None:
    ann, bob = world.ann, world.bob
    notes = dead_delivery(world, ann)
    before = _what_ann_sees(ann)
    wrong = []
    for method, path, body, who in _by_id(ann, bob, notes):
        for label, client in (("session", bob.session), ("token", bob.trade)):
            answer = client.request(method, f"{API}{path}", json=body)
            expected = 403 if who == "operator" or (who, label) == ("session", "token") else 404
            if answer.status_code != expected:
                wrong.append(f"{label} {method} {path}: {answer.status_code} {answer.text}")
            elif expected == 404 and "there is no" not in answer.json()["detail"]:
                wrong.append(f"{label} {method} {path}: {answer.json()}")
    assert wrong == []
    assert _what_ann_sees(ann) == before


def test_a_missing_id_reads_exactly_as_another_users(world: ApiWorld) -> None:
    bob = world.bob
    theirs = bob.session.get(f"{API}/bots/{world.ann.bot_id}")
    missing = bob.session.get(f"{API}/bots/999999")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"].replace(str(world.ann.bot_id), "N") == missing.json()[
        "detail"
    ].replace("999999", "N")
    assert theirs.headers.keys() == missing.headers.keys()


def test_listings_show_only_the_users_own_things(world: ApiWorld) -> None:
    ann, bob = world.ann, world.bob
    for client in (bob.session, bob.read):
        bots = client.get(f"{API}/bots").json()
        assert [b["id"] for b in bots] == [bob.bot_id]
        assert {o["bot_id"] for o in client.get(f"{API}/orders").json()} == {bob.bot_id}
        assert {t["bot_id"] for t in client.get(f"{API}/trades").json()} == {bob.bot_id}
        assert [a["id"] for a in client.get(f"{API}/accounts").json()] == [bob.account_id]
        assert [p["realized"] for p in client.get(f"{API}/pnl").json()] == ["1.25"]
    assert ann.token_id not in [t["id"] for t in bob.session.get(f"{API}/tokens").json()]


def _fill(path: str, person: Person) -> str:
    return (
        path.replace("{account_id}", str(person.account_id))
        .replace("{bot_id}", str(person.bot_id))
        .replace("{token_id}", str(person.token_id))
        .replace("{user_id}", str(person.user_id))
        .replace("{name}", "ema_rsi")
        .replace("{channel_id}", "1")
        .replace("{delivery_id}", "1")
        .replace("{job_id}", person.backtest_id or "none")
    )


def test_a_read_token_may_look_but_never_change(world: ApiWorld) -> None:
    ann = world.ann
    before = _what_ann_sees(ann)
    wrong = []
    for method, path in _operations(world):
        if path.startswith("/auth/") or path == "/health":
            continue
        answer = ann.read.request(method, f"{API}{_fill(path, ann)}", json={})
        expected = 200 if method == "GET" and path not in OPERATOR_ONLY else 403
        if answer.status_code != expected:
            wrong.append(f"{method} {path}: {answer.status_code} {answer.text}")
    assert wrong == []
    assert _what_ann_sees(ann) == before


def test_no_credentials_or_a_bad_token_is_401(world: ApiWorld) -> None:
    ann = world.ann
    open_paths = {"/auth/login", "/auth/signup", "/health"}
    anonymous = httpx.Client(base_url=world.base_url)
    forged = httpx.Client(base_url=world.base_url, headers={"Authorization": "Bearer tw_forged"})
    wrong = []
    for method, path in _operations(world):
        if path in open_paths:
            continue
        for label, client in (("anonymous", anonymous), ("forged", forged)):
            answer = client.request(method, f"{API}{_fill(path, ann)}", json={})
            if answer.status_code != 401 or answer.headers.get("www-authenticate") != "Bearer":
                wrong.append(f"{label} {method} {path}: {answer.status_code}")
    assert wrong == []


def test_a_change_from_a_session_without_its_csrf_token_is_403(world: ApiWorld) -> None:
    ann = world.ann
    before = _what_ann_sees(ann)
    cookies = ann.session.cookies
    wrong = []
    for csrf in (None, "not-the-token"):
        headers = {} if csrf is None else {"X-CSRF-Token": csrf}
        browser = httpx.Client(base_url=world.base_url, cookies=cookies, headers=headers)
        for method, path in _operations(world):
            if method == "GET" or path in {"/auth/login", "/auth/signup"}:
                continue
            answer = browser.request(method, f"{API}{_fill(path, ann)}", json={})
            if answer.status_code != 403 or not answer.json()["detail"].startswith("csrf:"):
                wrong.append(f"{csrf} {method} {path}: {answer.status_code} {answer.text}")
    assert wrong == []
    assert _what_ann_sees(ann) == before


def test_a_change_sent_from_a_foreign_page_is_403_even_to_sign_in(world: ApiWorld) -> None:
    ann = world.ann
    foreign = {"Origin": "https://evil.example"}
    stop = ann.session.post(f"{API}/bots/{ann.bot_id}/start", headers=foreign)
    login = httpx.post(
        f"{world.base_url}{API}/auth/login",
        json={"email": ann.email, "password": "x" * 12},
        headers=foreign,
    )
    assert (stop.status_code, login.status_code) == (403, 403)
    assert ann.session.get(f"{API}/bots/{ann.bot_id}").json()["active"] is False
    assert stop.json()["detail"].startswith("origin:")
    assert stop.headers["x-frame-options"] == "DENY"  # refused, and still guarded
    same = {"Origin": world.base_url}  # the session client sends its CSRF token
    assert ann.session.post(f"{API}/bots/{ann.bot_id}/start", headers=same).status_code == 200


def test_every_answer_carries_the_security_headers(world: ApiWorld) -> None:
    ann = world.ann
    page = ann.read.get(f"{API}/bots/{ann.bot_id}")
    answers = {
        "read": page,
        "not modified": ann.read.get(
            f"{API}/bots/{ann.bot_id}", headers={"If-None-Match": page.headers["etag"]}
        ),
        "not found": ann.read.get(f"{API}/bots/{world.bob.bot_id}"),
        "not signed in": httpx.get(f"{world.base_url}{API}/bots"),
        "dashboard": httpx.get(f"{world.base_url}/"),
    }
    for name, answer in answers.items():
        assert answer.headers["content-security-policy"].startswith("default-src 'self'"), name
        assert answer.headers["x-content-type-options"] == "nosniff", name
        assert answer.headers["x-frame-options"] == "DENY", name
    assert [a.status_code for a in answers.values()] == [200, 304, 404, 401, 200]

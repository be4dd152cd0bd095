"""A Binance account's key and secret are checked with Binance when added, over real HTTP
to the project's Binance-compatible server on loopback: a refused pair is a 422 naming
`api_key` with Binance's reason, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.api_harness import API, ApiWorld, api_world

KEY, SECRET = "goodKey4c1d", "goodSecret9e8f"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(database_url, tmp_path) as built:
        built.binance.add_account(KEY, SECRET)
        yield built


def _account_reads(world: ApiWorld) -> int:
    counted = world.binance.stats()["requests"]
    assert isinstance(counted, dict)
    return int(counted.get("GET /api/v3/account", 0))


def _binance(**fields: str) -> dict[str, str]:
    return {"name": "live", "kind": "binance", "api_key": KEY, "api_secret": SECRET} | fields


def test_a_key_binance_accepts_is_stored_after_one_signed_account_read(world: ApiWorld) -> None:
    ann = world.ann.session
    added = ann.post(f"{API}/accounts", json=_binance())
    assert added.status_code == 201, added.text
    assert added.json()["has_api_key"] is True
    assert _account_reads(world) == 1
    names = [a["name"] for a in ann.get(f"{API}/accounts").json()]
    assert names == ["paper", "live"]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"api_key": "unknownKey123"}, "Binance -2015: Invalid API-key, IP, or permissions"),
        ({"api_secret": "notTheSecret"}, "Binance -1022: Signature for this request"),
    ],
)
def test_a_key_binance_refuses_is_422_on_api_key_with_its_reason_and_nothing_is_stored(
    world: ApiWorld, fields: dict[str, str], reason: str
) -> None:
    ann = world.ann.session
    before = ann.get(f"{API}/accounts").json()
    refused = ann.post(f"{API}/accounts", json=_binance(**fields))
    assert refused.status_code == 422, refused.text
    (problem,) = refused.json()["detail"]
    assert problem["loc"] == ["body", "api_key"]
    assert problem["msg"].startswith("binance refused this key and secret (")
    assert reason in problem["msg"]
    assert problem["msg"].endswith("nothing was stored")
    assert _account_reads(world) >= 1
    for secret in fields.values():
        assert secret not in refused.text
    assert ann.get(f"{API}/accounts").json() == before


def test_a_paper_account_asks_binance_nothing(world: ApiWorld) -> None:
    added = world.ann.session.post(f"{API}/accounts", json={"name": "p2", "kind": "paper"})
    assert added.status_code == 201
    assert _account_reads(world) == 0


def test_a_key_no_exchange_could_hold_is_refused_before_binance_is_asked(
    world: ApiWorld,
) -> None:
    for fields in ({"api_key": "clé\u0007"}, {"api_secret": "two words"}):
        answer = world.ann.session.post(f"{API}/accounts", json=_binance(**fields))
        assert answer.status_code == 422, answer.text
        (problem,) = answer.json()["detail"]
        assert problem["loc"] == ["body", next(iter(fields))]
        assert problem["msg"] == "must be printable ASCII without spaces"
    assert _account_reads(world) == 0

"""The /_tradewind test controls over real HTTP: accounts, faults, stats; loopback only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.binance_wire import SignedClient, running_server
from tests.market_script import MINUTE, T0
from tradewind.testkit.binance_server import controls


def test_an_account_created_by_api_key_trades_and_shows_its_state() -> None:
    with running_server() as env:
        created = env.control(
            "POST",
            "accounts",
            {
                "api_key": "bob-key",
                "api_secret": "bob-secret",
                "spot": {"USDT": "500"},
                "futures": {"USDT": "0"},
                "futures_enabled": True,
                "transfer_enabled": False,
            },
        )
        assert created.status_code == 200
        account_id = created.json()["account_id"]
        assert (
            account_id == env.server.account_id("bob-key") != env.server.account_id("tw-test-key")
        )
        bob = SignedClient(env.server.base_url, "bob-key", "bob-secret")
        try:
            bob.ok(
                "POST",
                "/api/v3/order",
                symbol="BTCUSDT",
                side="BUY",
                type="MARKET",
                quantity="0.01",
                newClientOrderId="bob-1",
            )
            unfunded = bob.signed(
                "POST",
                "/fapi/v1/order",
                symbol="BTCUSDT",
                side="BUY",
                type="MARKET",
                quantity="0.01",
            )
            assert unfunded.json()["code"] == -2019  # an empty futures wallet
        finally:
            bob.close()
        state = env.control("GET", "accounts/bob-key").json()
        assert state["account_id"] == account_id
        assert state["transfer_enabled"] is False
        assert state["spot"] == {
            "BTC": {"free": "0.00999", "locked": "0"},  # the BUY's fee is taken in BTC
            "USDT": {"free": "100", "locked": "0"},
        }
        (order,) = state["orders"]
        assert (order["clientOrderId"], order["status"], order["commission"]) == (
            "bob-1",
            "FILLED",
            "0.00001",  # 0.1 % of 0.01 BTC
        )
        assert state["positions"] == []


def test_bad_account_requests_are_refused_naming_the_field() -> None:
    with running_server() as env:
        duplicate = env.control("POST", "accounts", {"api_key": "tw-test-key", "api_secret": "x"})
        assert (duplicate.status_code, "already registered" in duplicate.json()["error"]) == (
            400,
            True,
        )
        bad = env.control(
            "POST", "accounts", {"api_key": "k", "api_secret": "s", "spot": {"USDT": 10.5}}
        )
        assert bad.json() == {"error": "spot.USDT: give the amount as a decimal string"}
        assert env.control("GET", "accounts/nobody").status_code == 404
        assert env.control("GET", "nothing").status_code == 404


def test_faults_are_switched_on_listed_and_off_and_stats_count_them() -> None:
    with running_server() as env:
        on = env.control(
            "POST",
            "faults",
            {"mode": "http_503", "rate": 1.0, "count": 1, "paths": ["GET /api/v3/ping"]},
        )
        assert on.status_code == 200
        assert [f["mode"] for f in on.json()["faults"]] == ["http_503"]
        env.control("POST", "faults", {"mode": "skew_ms", "ms": 1500})
        assert env.control("GET", "faults").json()["skew_ms"] == 1500
        assert env.client.public("/api/v3/ping").status_code == 503
        assert env.client.public("/api/v3/ping").status_code == 200  # count spent
        refused = env.control("POST", "faults", {"mode": "meltdown"})
        assert refused.status_code == 400
        assert "mode must be one of" in refused.json()["error"]
        assert env.control("DELETE", "faults").json() == {"faults": [], "skew_ms": 0}
        stats = env.control("GET", "stats").json()
        assert stats["requests"] == {"GET /api/v3/ping": 2}
        assert stats["responses"] == {"200": 1, "503": 1}
        assert stats["faults_injected"] == {"http_503": 1}


def test_the_controls_answer_loopback_clients_only() -> None:
    with running_server() as env:
        status, body = controls.handle(env.server, "GET", "/_tradewind/stats", "", "192.0.2.7")
        assert status == 403
        assert body == {"error": "the test controls answer loopback clients only"}
        assert controls.handle(env.server, "GET", "/_tradewind/stats", "", "::1")[0] == 200


def test_keys_get_venue_accounts_of_their_own_or_the_one_named() -> None:
    with running_server() as env:
        venue = env.server.venue
        venue.account(7, spot_balances={"USDT": Decimal(123)})  # a paper account made elsewhere
        taken = {env.server.account_id("tw-test-key"), 7}
        fresh = env.server.add_account("fresh-key", "s")
        assert fresh not in taken
        assert env.server.add_account("named-key", "s", account_id=7) == 7
        state = env.server.account_state("named-key")
        assert state is not None
        assert state["spot"] == {"USDT": {"free": "123", "locked": "0"}}  # kept as it stood
        with pytest.raises(ValueError, match="already has an API key"):
            env.server.add_account("second-key", "s", account_id=7)


def test_the_clock_is_shown_and_moved_only_on_a_server_given_a_way_to_move_it() -> None:
    with running_server() as env:
        assert env.control("GET", "clock").json() == {"time": env.clock.time}
        refused = env.control("POST", "clock", {"time": env.clock.time + 60})
        assert refused.status_code == 400
        assert "--manual-clock" in refused.json()["error"]
        assert env.control("GET", "clock").json() == {"time": env.clock.time}  # not moved
    moves: list[int] = []
    with running_server(set_time=moves.append) as env:
        moved = env.control("POST", "clock", {"time": T0 + 5 * MINUTE})
        assert moved.status_code == 200
        assert moves == [T0 + 5 * MINUTE]
        bad = env.control("POST", "clock", {"time": "soon"})
        assert bad.json() == {"error": "time: a whole number is required"}
        assert env.control("DELETE", "clock").status_code == 405

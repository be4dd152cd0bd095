"""Each fault mode over real HTTP does what it says: before the work, after it, or no answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.binance_wire import ServerEnv, SignedClient, running_server
from tests.waiting import SAFETY_S, wait_until
from tradewind.testkit.binance_server import Fault, FaultMode

ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server() as running:
        yield running


def place(env: ServerEnv, cid: str) -> httpx.Response:
    return env.client.signed("POST", "/api/v3/order", newClientOrderId=cid, **ORDER)


def placed(env: ServerEnv, cid: str) -> bool:
    """Tell whether the venue holds the order (read around the faults, from the venue itself)."""
    state = env.server.account_state("tw-test-key")
    assert state is not None
    return any(o["clientOrderId"] == cid for o in state["orders"])


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (Fault(FaultMode.HTTP_500), 500, -1000),
        (Fault(FaultMode.HTTP_503), 503, -1001),
        (Fault(FaultMode.CODE_1003), 429, -1003),
        (Fault(FaultMode.CODE_1015), 429, -1015),
        (Fault(FaultMode.CODE_1021), 400, -1021),
    ],
)
def test_faults_before_the_work_answer_an_error_and_place_nothing(
    env: ServerEnv, fault: Fault, status: int, code: int
) -> None:
    env.server.add_fault(fault)
    response = place(env, "f-1")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not placed(env, "f-1")
    if status == 429:
        assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (Fault(FaultMode.HTTP_500, after=True), 500, -1000),
        (Fault(FaultMode.HTTP_503, after=True), 503, -1000),
        (Fault(FaultMode.CODE_1007), 408, -1007),
    ],
)
def test_faults_after_the_work_answer_an_error_though_the_order_was_placed(
    env: ServerEnv, fault: Fault, status: int, code: int
) -> None:
    env.server.add_fault(fault)
    response = place(env, "f-1")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert placed(env, "f-1")
    assert env.server.stats()["orders_accepted"] == {"spot": 1, "total": 1}


def test_timeout_after_accept_places_the_order_and_the_client_gets_no_answer(
    env: ServerEnv,
) -> None:
    env.server.add_fault(Fault(FaultMode.TIMEOUT_AFTER_ACCEPT, count=1))
    impatient = SignedClient(env.server.base_url, timeout=0.3)  # gives up; the server holds
    try:
        with pytest.raises(httpx.ReadTimeout):
            impatient.signed("POST", "/api/v3/order", newClientOrderId="f-1", **ORDER)
    finally:
        impatient.close()
    # A busy server may read the request only after the client gave up: wait for its work.
    wait_until(lambda: placed(env, "f-1"), "the order placed")
    wait_until(lambda: env.server.stats()["no_answer"] == {"held": 1}, "the answer held back")
    found = env.client.ok("GET", "/api/v3/order", symbol="BTCUSDT", origClientOrderId="f-1")
    assert isinstance(found, dict)
    assert found["status"] == "FILLED"


def test_timeout_after_accept_with_no_hold_closes_the_connection_unanswered(
    env: ServerEnv,
) -> None:
    env.server.add_fault({"mode": "timeout_after_accept", "hold_ms": 0, "count": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        place(env, "f-1")
    assert placed(env, "f-1")


@pytest.mark.parametrize("after", [False, True])
def test_a_connection_reset_before_or_after_the_work(env: ServerEnv, after: bool) -> None:
    env.server.add_fault(Fault(FaultMode.CONNECTION_RESET, after=after, count=1))
    with pytest.raises(httpx.ReadError, match="reset"):  # ECONNRESET, not a clean close
        place(env, "f-1")
    assert placed(env, "f-1") is after
    assert env.server.stats()["no_answer"] == {"reset": 1}
    assert place(env, "f-2").status_code == 200  # the next connection is served


def test_transient_2013_hides_a_new_order_from_its_next_lookups_only(env: ServerEnv) -> None:
    env.server.add_fault(Fault(FaultMode.TRANSIENT_2013, count=2))
    assert place(env, "f-1").status_code == 200
    lookups = [
        env.client.signed("GET", "/api/v3/order", symbol="BTCUSDT", origClientOrderId="f-1")
        for _ in range(3)
    ]
    assert [r.status_code for r in lookups] == [400, 400, 200]
    assert lookups[0].json() == {"code": -2013, "msg": "Order does not exist."}
    assert lookups[2].json()["clientOrderId"] == "f-1"


def test_latency_delays_the_answer_and_nothing_else(env: ServerEnv) -> None:
    env.server.add_fault(Fault(FaultMode.LATENCY, ms=200, paths=("GET /api/v3/ping",)))
    started = time.monotonic()
    assert env.client.public("/api/v3/ping").status_code == 200
    assert time.monotonic() - started >= 0.2
    assert env.server.stats()["faults_injected"] == {"latency": 1}


def test_faults_only_strike_the_paths_named(env: ServerEnv) -> None:
    env.server.add_fault(Fault(FaultMode.HTTP_500, paths=("/fapi/*",)))
    assert place(env, "f-1").status_code == 200
    assert env.client.signed("GET", "/fapi/v2/balance").status_code == 500


def outcomes(seed: int) -> list[int | str]:
    with running_server(seed=seed) as env:
        env.server.add_fault(Fault(FaultMode.HTTP_500, rate=0.3))
        env.server.add_fault(Fault(FaultMode.CODE_1021, rate=0.2))
        results: list[int | str] = []
        for i in range(30):
            response = place(env, f"o-{i}")
            results.append(response.status_code if response.status_code != 200 else "ok")
        return results


def test_a_faulted_run_repeats_with_the_same_seed() -> None:
    first = outcomes(seed=3)
    assert first == outcomes(seed=3)
    assert {500, 400, "ok"} <= set(first)
    assert first != outcomes(seed=4)


def test_stopping_the_server_ends_a_held_request_at_once() -> None:
    with running_server() as env:
        env.server.add_fault(Fault(FaultMode.TIMEOUT_AFTER_ACCEPT))
        # The client would wait far longer than the test does: only the stop can end it.
        client = SignedClient(env.server.base_url, timeout=4 * SAFETY_S)
        errors: list[Exception] = []

        def waiting() -> None:
            try:
                client.signed("POST", "/api/v3/order", **ORDER)
            except httpx.TransportError as e:
                errors.append(e)

        caller = threading.Thread(target=waiting)
        caller.start()
        wait_until(lambda: env.server.stats()["no_answer"] != {}, "the request held")
        env.server.stop()
        caller.join(timeout=SAFETY_S)
        client.close()
        assert not caller.is_alive()
        assert len(errors) == 1

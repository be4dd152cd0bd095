"""Binance's WebSocket streams from the server: market streams on the venue's clock, user data.

The venue's clock is the test's manual clock: moving it to the next minute closes the
kline, moves the book and prints the minute's trade; orders placed over REST show on the
user data stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.binance_wire import ServerEnv, running_server
from tests.waiting import SAFETY_S

BTC = "BTCUSDT"


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server() as running:
        yield running


def next_event(ws: ClientConnection, kind: str | None = None) -> dict[str, object]:
    """The next message (of event type `kind`); a loaded machine may take its time."""
    while True:
        message = json.loads(ws.recv(timeout=SAFETY_S))
        assert isinstance(message, dict)
        data = message.get("data", message)
        if kind is None or (isinstance(data, dict) and data.get("e") == kind):
            return message


def drain(ws: ClientConnection) -> None:
    """Read until the server closes the connection (ConnectionClosed)."""
    while True:
        ws.recv(timeout=SAFETY_S)


def listening(ws: ClientConnection, key: str) -> None:
    """Wait until the stream follows `key` (orders placed before are not news to it)."""
    ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
    assert next_event(ws) == {"result": [key], "id": 1}


def test_a_kline_stream_sends_the_forming_kline_then_closes_it_with_the_minute(
    env: ServerEnv,
) -> None:
    with connect(f"{env.server.stream_url}/ws/btcusdt@kline_1m") as ws:
        forming = next_event(ws, "kline")["k"]
        assert isinstance(forming, dict)
        assert (forming["o"], forming["x"], forming["i"]) == ("40000.00000000", False, "1m")
        env.clock.at_minute(2)
        closed = next_event(ws, "kline")["k"]
        assert isinstance(closed, dict)
        assert (closed["t"], closed["x"], closed["c"]) == (forming["t"], True, "40050.00000000")
        following = next_event(ws, "kline")["k"]
        assert isinstance(following, dict)
        assert (following["o"], following["x"]) == ("40050.00000000", False)


def test_a_combined_stream_wraps_book_and_trade_events_with_their_names(env: ServerEnv) -> None:
    url = f"{env.server.stream_url}/stream?streams=btcusdt@bookTicker/btcusdt@aggTrade"
    with connect(url) as ws:
        book = next_event(ws)
        assert book["stream"] == "btcusdt@bookTicker"
        assert book["data"] == {
            "u": book["data"]["u"],  # type: ignore[index]
            "s": BTC,
            "b": "40000.00000000",
            "B": "0.10000000",
            "a": "40000.01000000",
            "A": "0.10000000",
        }
        env.clock.at_minute(2)
        trade = next_event(ws, "aggTrade")
        assert trade["stream"] == "btcusdt@aggTrade"
        assert trade["data"]["p"] == "40050.00000000"  # type: ignore[index]


def test_subscribe_by_message_and_an_unknown_stream_is_refused(env: ServerEnv) -> None:
    with connect(f"{env.server.futures_stream_url}/ws") as ws:
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@kline_1m"], "id": 7}))
        assert next_event(ws) == {"result": None, "id": 7}
        kline = next_event(ws, "kline")["k"]
        assert isinstance(kline, dict)
        assert kline["o"] == "40000"  # futures write plain decimals
        ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 8}))
        assert next_event(ws) == {"result": ["btcusdt@kline_1m"], "id": 8}
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["nope@trade"], "id": 9}))
        assert "error" in next_event(ws)


def test_the_spot_user_stream_reports_orders_and_balances(env: ServerEnv) -> None:
    created = env.client.http.post(
        "/api/v3/userDataStream", headers={"X-MBX-APIKEY": "tw-test-key"}
    )
    key = created.json()["listenKey"]
    with connect(f"{env.server.stream_url}/ws/{key}") as ws:
        listening(ws, key)
        env.client.ok("POST", "/api/v3/order", symbol=BTC, side="BUY", type="MARKET",
                      quantity="0.01", newClientOrderId="buy-1")  # fmt: skip
        new = next_event(ws, "executionReport")
        trade = next_event(ws, "executionReport")
        assert (new["x"], trade["x"], trade["X"], trade["c"]) == ("NEW", "TRADE", "FILLED", "buy-1")
        assert trade["L"] == "40000.00000000"
        balances = next_event(ws, "outboundAccountPosition")["B"]
        assert isinstance(balances, list)
        assert {b["a"] for b in balances} == {"BTC", "USDT"}
        renewed = env.client.http.put(
            "/api/v3/userDataStream", params={"listenKey": key},
            headers={"X-MBX-APIKEY": "tw-test-key"},
        )  # fmt: skip
        assert (renewed.status_code, renewed.json()) == (200, {})
        env.server.expire_listen_keys()
        assert next_event(ws, "listenKeyExpired")["listenKey"] == key
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=SAFETY_S)


def test_the_futures_user_stream_reports_fills_and_positions(env: ServerEnv) -> None:
    created = env.client.http.post("/fapi/v1/listenKey", headers={"X-MBX-APIKEY": "tw-test-key"})
    key = created.json()["listenKey"]
    with connect(f"{env.server.futures_stream_url}/ws/{key}") as ws:
        listening(ws, key)
        env.client.ok("POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="MARKET",
                      quantity="0.01")  # fmt: skip
        update = next_event(ws, "ORDER_TRADE_UPDATE")["o"]
        filled = next_event(ws, "ORDER_TRADE_UPDATE")["o"]
        assert isinstance(update, dict)
        assert isinstance(filled, dict)
        assert (update["X"], filled["X"], filled["ap"]) == ("NEW", "FILLED", "40000")
        account = next_event(ws, "ACCOUNT_UPDATE")["a"]
        assert isinstance(account, dict)
        assert account["P"][0]["pa"] == "0.01"  # type: ignore[index]


def test_dropped_connections_close_and_a_new_one_works(env: ServerEnv) -> None:
    with connect(f"{env.server.stream_url}/ws/btcusdt@kline_1m") as ws:
        next_event(ws, "kline")
        assert env.control("POST", "streams/drop").json() == {"dropped": True}
        with pytest.raises(ConnectionClosed):
            drain(ws)
    with connect(f"{env.server.stream_url}/ws/btcusdt@kline_1m") as again:
        assert next_event(again, "kline")["s"] == BTC


def test_a_connection_is_closed_when_it_reaches_its_age() -> None:
    # Binance closes every connection after 24 hours; here after a fraction of a second.
    with (
        running_server(stream_max_age_seconds=0.3) as env,
        connect(f"{env.server.stream_url}/ws/btcusdt@kline_1m") as ws,
    ):
        next_event(ws, "kline")
        with pytest.raises(ConnectionClosed):
            drain(ws)
        assert ws.close_code == 1000


def test_a_listen_key_can_be_subscribed_to_by_message(env: ServerEnv) -> None:
    created = env.client.http.post(
        "/api/v3/userDataStream", headers={"X-MBX-APIKEY": "tw-test-key"}
    )
    key = created.json()["listenKey"]
    with connect(f"{env.server.stream_url}/stream") as ws:
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": [key, "btcusdt@aggTrade"], "id": 3}))
        assert next_event(ws) == {"result": None, "id": 3}
        env.client.ok("POST", "/api/v3/order", symbol=BTC, side="BUY", type="MARKET",
                      quantity="0.01")  # fmt: skip
        report = next_event(ws, "executionReport")
        assert report["stream"] == key


def test_the_spot_user_stream_reports_a_resting_limit_and_its_maker_fill(env: ServerEnv) -> None:
    created = env.client.http.post(
        "/api/v3/userDataStream", headers={"X-MBX-APIKEY": "tw-test-key"}
    )
    key = created.json()["listenKey"]
    with connect(f"{env.server.stream_url}/ws/{key}") as ws:
        listening(ws, key)
        env.client.ok("POST", "/api/v3/order", symbol=BTC, side="BUY", type="LIMIT",
                      timeInForce="GTC", quantity="0.01", price="39950",
                      newClientOrderId="bid")  # fmt: skip
        new = next_event(ws, "executionReport")
        assert (new["x"], new["o"], new["p"], new["f"]) == ("NEW", "LIMIT", "39950.00000000", "GTC")
        locked = next_event(ws, "outboundAccountPosition")["B"]
        assert locked == [{"a": "USDT", "f": "9600.50000000", "l": "399.50000000"}]  # notional
        env.clock.at_minute(2)  # minute 1's low reaches the bid
        trade = next_event(ws, "executionReport")
        assert (trade["x"], trade["X"], trade["L"], trade["m"]) == (
            "TRADE", "FILLED", "39950.00000000", True,
        )  # fmt: skip


def test_a_client_ping_gets_its_pong_on_both_markets(env: ServerEnv) -> None:
    for url in (env.server.stream_url, env.server.futures_stream_url):
        with connect(f"{url}/ws/btcusdt@kline_1m") as ws:
            assert ws.ping(b"are you there").wait(timeout=5)

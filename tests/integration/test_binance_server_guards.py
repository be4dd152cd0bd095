"""The server's gatekeeping over real HTTP: keys, signatures, timestamps, weights, bans, orders."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.binance_wire import API_KEY, API_SECRET, ServerEnv, running_server
from tradewind.testkit.binance_server import Limits, sign

WEIGHT = "X-MBX-USED-WEIGHT-1M"


class FakeWall:
    """A wall clock the test moves (for rate windows); signing uses it too."""

    def __init__(self, ms: int = 1_700_000_020_000) -> None:  # 40 s into a minute
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def answer(env: ServerEnv, method: str, path: str, **params: object) -> tuple[int, object]:
    response = env.client.signed(method, path, **params)
    return response.status_code, response.json().get("code")


def test_a_bad_signature_an_unknown_key_or_no_key_is_refused() -> None:
    with running_server() as env:
        payload = urlencode({"timestamp": env.client.clock_ms()})
        wrong = f"{payload}&signature={sign(API_SECRET + 'x', payload)}"
        http = env.client.http
        response = http.get(f"/api/v3/account?{wrong}", headers={"X-MBX-APIKEY": API_KEY})
        assert (response.status_code, response.json()) == (
            400,
            {"code": -1022, "msg": "Signature for this request is not valid."},
        )
        right = f"{payload}&signature={sign(API_SECRET, payload)}"
        response = http.get(f"/api/v3/account?{right}", headers={"X-MBX-APIKEY": "stranger"})
        assert (response.status_code, response.json()["code"]) == (401, -2015)
        response = http.get(f"/api/v3/account?{right}")
        assert (response.status_code, response.json()["code"]) == (401, -2014)
        response = http.get(f"/api/v3/account?{payload}", headers={"X-MBX-APIKEY": API_KEY})
        assert (response.status_code, response.json()["code"]) == (400, -1102)


def test_a_signed_body_works_and_a_query_value_overrides_the_bodys() -> None:
    with running_server() as env:
        body = urlencode(
            {
                "symbol": "BTCUSDT",
                "side": "SELL",
                "type": "MARKET",
                "quantity": "0.01",
                "timestamp": env.client.clock_ms(),
            }
        )
        query = "side=BUY"
        signature = sign(API_SECRET, query + body)
        response = env.client.http.post(
            f"/api/v3/order?{query}",
            content=f"{body}&signature={signature}",
            headers={"X-MBX-APIKEY": API_KEY, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert (response.status_code, response.json()["side"]) == (200, "BUY")


def test_a_stale_or_early_timestamp_gets_1021_unless_the_recv_window_allows_it() -> None:
    with running_server() as env:
        now = env.client.clock_ms()
        assert answer(env, "GET", "/api/v3/account", timestamp=now - 6_000) == (400, -1021)
        assert answer(env, "GET", "/api/v3/account", timestamp=now + 2_000) == (400, -1021)
        assert (
            answer(env, "GET", "/api/v3/account", timestamp=now - 6_000, recvWindow=10_000)[0]
            == 200
        )


def test_a_skewed_server_clock_refuses_the_client_until_it_resyncs() -> None:
    with running_server() as env:
        env.server.set_skew_ms(-10_000)  # the server is 10 s behind
        assert answer(env, "GET", "/api/v3/account") == (400, -1021)
        server_time = env.client.public("/api/v3/time").json()["serverTime"]
        offset = server_time - env.client.clock_ms()
        assert -11_000 < offset < -9_000
        resynced = env.client.clock_ms() + offset
        assert answer(env, "GET", "/api/v3/account", timestamp=resynced)[0] == 200


def test_weight_headers_grow_per_request_and_reset_with_the_minute() -> None:
    wall = FakeWall()
    with running_server(wall=wall) as env:
        used = []
        for path in (
            "/api/v3/ping",
            "/api/v3/exchangeInfo",
            "/api/v3/klines?symbol=BTCUSDT&interval=1m",
            "/api/v3/nowhere",
        ):
            used.append(env.client.http.get(path).headers[WEIGHT])
        assert used == ["1", "21", "23", "23"]  # an unknown path costs nothing, but says so
        futures = env.client.http.get("/fapi/v1/ping")
        assert futures.headers[WEIGHT] == "1"  # the futures market keeps its own
        wrong = env.client.http.get("/api/v3/klines?symbol=FOOUSDT&interval=1m")
        assert (wrong.status_code, wrong.headers[WEIGHT]) == (400, "25")  # errors count too
        wall.ms += 20_000  # the next minute
        assert env.client.http.get("/api/v3/ping").headers[WEIGHT] == "1"


def test_over_the_limit_gets_429_with_retry_after_then_a_418_ban() -> None:
    wall = FakeWall()
    limits = Limits(spot_weight_per_minute=25, requests_before_ban=1, ban_seconds=300)
    with running_server(wall=wall, limits=limits) as env:
        assert env.client.http.get("/api/v3/exchangeInfo").status_code == 200  # 20
        assert env.client.http.get("/api/v3/klines?symbol=BTCUSDT&interval=1m").status_code == 200
        over = env.client.http.get("/api/v3/exchangeInfo")  # 42 > 25
        assert (over.status_code, over.json()["code"], over.headers["Retry-After"]) == (
            429,
            -1003,
            "20",
        )
        assert over.headers[WEIGHT] == "42"
        banned = env.client.http.get("/api/v3/ping")
        assert (banned.status_code, banned.json()["code"], banned.headers["Retry-After"]) == (
            418,
            -1003,
            "300",
        )
        assert "IP banned until" in banned.json()["msg"]
        wall.ms += 60_000
        assert env.client.http.get("/api/v3/ping").status_code == 418  # still banned
        wall.ms += 240_000
        assert env.client.http.get("/api/v3/ping").status_code == 200


def test_order_placements_carry_order_counts_and_one_too_many_gets_1015() -> None:
    wall = FakeWall()
    with running_server(wall=wall, limits=Limits(spot_orders_per_10s=2)) as env:
        params = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}
        bought = env.client.signed("POST", "/api/v3/order", **{**params, "quantity": "0.01"})
        # Spot counts unfilled orders only: a MARKET order that filled is taken off again.
        assert bought.headers["X-MBX-ORDER-COUNT-10S"] == "0"
        stop = {"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS", "quantity": "0.001"}
        counts = []
        for level in ("39000", "38000", "37000"):
            response = env.client.signed("POST", "/api/v3/order", stopPrice=level, **stop)
            counts.append(
                (
                    response.status_code,
                    response.headers["X-MBX-ORDER-COUNT-10S"],
                    response.headers["X-MBX-ORDER-COUNT-1D"],
                )
            )
        assert counts == [(200, "1", "1"), (200, "2", "2"), (429, "3", "3")]
        assert response.headers["Retry-After"] == "10"  # to the end of the 10 s interval
        assert response.json() == {
            "code": -1015,
            "msg": "Too many new orders; current limit is 2 orders per 10 SECOND.",
        }
        assert env.server.stats()["orders_accepted"] == {"spot": 3, "total": 3}
        futures = env.client.signed("POST", "/fapi/v1/order", **params)
        assert futures.headers["X-MBX-ORDER-COUNT-1M"] == "1"
        assert futures.headers[WEIGHT] == "0"  # futures orders weigh nothing
        transfer = env.client.signed(
            "POST", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE", asset="USDT", amount="1"
        )
        assert transfer.headers["X-SAPI-USED-UID-WEIGHT-1M"] == "300"


def test_futures_klines_weigh_by_their_limit() -> None:
    wall = FakeWall()
    with running_server(wall=wall) as env:
        used = [
            int(env.client.public("/fapi/v1/klines", symbol="BTCUSDT", interval="1m",
                                  limit=limit).headers[WEIGHT])
            for limit in (100, 101, 500, 1000, 1500)
        ]  # fmt: skip
        assert [b - a for a, b in zip([0, *used], used, strict=False)] == [1, 2, 2, 5, 10]

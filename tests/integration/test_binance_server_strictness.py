"""What Binance refuses, the server refuses too, with Binance's code and message.

Each case here was accepted by an earlier server: a client bug that Binance would catch
(a stop on the wrong side of the market, a price off the tick, a parameter sent twice …)
passed every test and would have failed with real money. The market: minute 1 opens at
40,000, the last price the checks compare against.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from tests.binance_wire import API_KEY, API_SECRET, ServerEnv, running_server
from tradewind.testkit.binance_server import sign

BTC = "BTCUSDT"
WOULD_TRIGGER = (400, -2010, "Order would trigger immediately.")
PRICES_WRONG = (400, -2010, "The relationship of the prices for the orders is not correct.")
PRICE_FILTER = (400, -1013, "Filter failure: PRICE_FILTER")
FUTURES_TRIGGER = (400, -2021, "Order would immediately trigger.")
DECIMAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server() as running:
        yield running


def refusal(env: ServerEnv, method: str, path: str, **params: object) -> tuple[int, int, str]:
    response = env.client.signed(method, path, **params)
    body = response.json()
    return response.status_code, body["code"], body["msg"]


def bought(env: ServerEnv) -> None:
    """Buy 0.01 BTC on spot (at 40,000), so exits have a base to sell."""
    env.client.ok("POST", "/api/v3/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.01")


def accepted(env: ServerEnv) -> int:
    total = env.server.stats()["orders_accepted"]
    assert isinstance(total, dict)
    return int(total["total"])


@pytest.mark.parametrize(
    ("kind", "stop_price", "expected"),
    [
        ("STOP_LOSS", "40000", WOULD_TRIGGER),  # at the last price: fires at once
        ("STOP_LOSS", "40500", WOULD_TRIGGER),  # a SELL stop above the market
        ("TAKE_PROFIT", "39500", WOULD_TRIGGER),  # a SELL target below the market
        ("STOP_LOSS", "39000.005", PRICE_FILTER),  # tick 0.01
        ("STOP_LOSS", "39000.000000001", (400, -1111, "Parameter 'stopPrice' has too much "
                                          "precision.")),
    ],
)  # fmt: skip
def test_a_spot_exit_binance_would_refuse_is_refused_and_nothing_rests(
    env: ServerEnv, kind: str, stop_price: str, expected: tuple[int, int, str]
) -> None:
    bought(env)
    answer = refusal(
        env, "POST", "/api/v3/order", symbol=BTC, side="SELL", type=kind, quantity="0.01",
        stopPrice=stop_price,
    )  # fmt: skip
    assert answer == expected
    assert accepted(env) == 1  # the buy only


@pytest.mark.parametrize(
    ("above", "below"),
    [("39500", "39000"), ("41500", "40500"), ("40000", "39000"), ("41500", "40000")],
)
def test_oco_legs_on_the_wrong_side_of_the_market_are_refused(
    env: ServerEnv, above: str, below: str
) -> None:
    bought(env)
    answer = refusal(
        env, "POST", "/api/v3/orderList/oco", symbol=BTC, side="SELL", quantity="0.01",
        aboveType="TAKE_PROFIT", aboveStopPrice=above, belowType="STOP_LOSS",
        belowStopPrice=below,
    )  # fmt: skip
    assert answer == PRICES_WRONG
    assert accepted(env) == 1


def test_oco_legs_off_the_tick_are_refused_by_the_price_filter(env: ServerEnv) -> None:
    bought(env)
    answer = refusal(
        env, "POST", "/api/v3/orderList/oco", symbol=BTC, side="SELL", quantity="0.01",
        aboveType="TAKE_PROFIT", aboveStopPrice="41500.001", belowType="STOP_LOSS",
        belowStopPrice="39000",
    )  # fmt: skip
    assert answer == PRICE_FILTER


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        ("STOP_MARKET", {"triggerPrice": "40000"}, FUTURES_TRIGGER),
        ("STOP_MARKET", {"triggerPrice": "40500"}, FUTURES_TRIGGER),
        ("TAKE_PROFIT_MARKET", {"triggerPrice": "39500"}, FUTURES_TRIGGER),
        ("TRAILING_STOP_MARKET", {"callbackRate": "1", "activatePrice": "39900"},
         FUTURES_TRIGGER),
        ("STOP_MARKET", {"triggerPrice": "39000.125"},
         (400, -1111, "Precision is over the maximum defined for this asset.")),
        ("STOP_MARKET", {"triggerPrice": "39000.05"},
         (400, -4014, "Price not increased by tick size.")),
    ],
)  # fmt: skip
def test_a_futures_conditional_order_binance_would_refuse_is_refused(
    env: ServerEnv, kind: str, params: dict[str, str], expected: tuple[int, int, str]
) -> None:
    env.client.ok("POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.01")
    answer = refusal(
        env, "POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", symbol=BTC, side="SELL",
        type=kind, quantity="0.01", reduceOnly="true", **params,
    )  # fmt: skip
    assert answer == expected
    assert accepted(env) == 1


def test_a_short_is_protected_by_a_buy_stop_above_and_a_buy_stop_below_is_refused(
    env: ServerEnv,
) -> None:
    env.client.ok("POST", "/fapi/v1/order", symbol=BTC, side="SELL", type="MARKET", quantity="0.01")
    common = {"algoType": "CONDITIONAL", "symbol": BTC, "side": "BUY", "quantity": "0.01"}
    env.client.ok("POST", "/fapi/v1/algoOrder", type="STOP_MARKET", triggerPrice="41000", **common)
    answer = refusal(
        env, "POST", "/fapi/v1/algoOrder", type="STOP_MARKET", triggerPrice="39000", **common
    )
    assert answer == FUTURES_TRIGGER


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"quantity": "0.010000001"},
         (400, -1111, "Parameter 'quantity' has too much precision.")),
        ({"quantity": ".01"}, (400, -1100, "Illegal characters found in parameter 'quantity'; "
                               f"legal range is '{DECIMAL_RANGE}'.")),
        ({"quantity": "1."}, (400, -1100, "Illegal characters found in parameter 'quantity'; "
                              f"legal range is '{DECIMAL_RANGE}'.")),
        ({"quantity": "0.01", "timeInForce": "GTC"},
         (400, -1106, "Parameter 'timeInForce' sent when not required.")),
    ],
)  # fmt: skip
def test_a_market_order_with_a_malformed_quantity_or_a_time_in_force_is_refused(
    env: ServerEnv, params: dict[str, str], expected: tuple[int, int, str]
) -> None:
    answer = refusal(env, "POST", "/api/v3/order", symbol=BTC, side="BUY", type="MARKET", **params)
    assert answer == expected
    assert accepted(env) == 0


def _signed(payload: dict[str, object]) -> str:
    text = urlencode({k: str(v) for k, v in payload.items()})
    return f"{text}&signature={sign(API_SECRET, text)}"


def test_a_parameter_sent_twice_is_refused_with_1101(env: ServerEnv) -> None:
    http = env.client.http
    response = http.get(f"/api/v3/ticker/price?symbol={BTC}&symbol=ETHUSDT")
    assert (response.status_code, response.json()) == (
        400,
        {"code": -1101, "msg": "Duplicate values for a parameter detected."},
    )
    body = _signed(
        {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "0.01",
         "timestamp": env.client.clock_ms()}
    ).replace("quantity=0.01", "quantity=0.01&quantity=0.02")  # fmt: skip
    headers = {"X-MBX-APIKEY": API_KEY, "Content-Type": "application/x-www-form-urlencoded"}
    response = http.post("/api/v3/order", content=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, -1101)
    assert accepted(env) == 0


def test_a_get_signed_in_its_body_is_not_read(env: ServerEnv) -> None:
    body = _signed({"timestamp": env.client.clock_ms()})
    response = env.client.http.request(
        "GET",
        "/api/v3/account",
        content=body,
        headers={"X-MBX-APIKEY": API_KEY, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": -1102,
            "msg": "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        },
    )


def _spot_assets(env: ServerEnv) -> dict[str, str]:
    account = env.client.ok("GET", "/api/v3/account")
    assert isinstance(account, dict)
    return {b["asset"]: b["free"] for b in account["balances"]}


def test_a_refused_transfer_of_an_asset_never_held_leaves_no_balance_behind(
    env: ServerEnv,
) -> None:
    answer = refusal(
        env, "POST", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE", asset="DOGE", amount="1"
    )
    assert answer[:2] == (400, -5002)
    assert "DOGE" not in _spot_assets(env)


def test_a_transfer_amount_with_nine_decimals_is_refused_and_nothing_moves(
    env: ServerEnv,
) -> None:
    before = _spot_assets(env)
    answer = refusal(
        env, "POST", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE", asset="USDT",
        amount="1.000000001",
    )  # fmt: skip
    assert answer == (400, -1111, "Parameter 'amount' has too much precision.")
    assert _spot_assets(env) == before


def test_spot_takes_timestamps_in_microseconds_and_futures_does_not(env: ServerEnv) -> None:
    micros = env.client.clock_ms() * 1000 + 123
    assert env.client.signed("GET", "/api/v3/account", timestamp=micros).status_code == 200
    futures = env.client.signed("GET", "/fapi/v2/balance", timestamp=micros)
    assert (futures.status_code, futures.json()["code"]) == (400, -1021)
    start_us = (env.server.venue.clock.now() - 60) * 1_000_000  # minute 0
    rows = env.client.public("/api/v3/klines", symbol=BTC, interval="1m", startTime=start_us)
    assert [r[0] for r in rows.json()][:1] == [start_us // 1000]


@pytest.mark.parametrize("interval", ["1s", "3d", "1w", "1M"])
def test_every_binance_kline_interval_is_served(env: ServerEnv, interval: str) -> None:
    response = env.client.public("/api/v3/klines", symbol=BTC, interval=interval, limit=5)
    assert response.status_code == 200
    assert response.json()


@pytest.mark.parametrize(
    ("path", "interval"), [("/api/v3/klines", "7m"), ("/fapi/v1/klines", "1s")]
)
def test_an_interval_the_market_does_not_have_is_binance_s_1120(
    env: ServerEnv, path: str, interval: str
) -> None:
    response = env.client.public(path, symbol=BTC, interval=interval)
    assert (response.status_code, response.json()) == (
        400,
        {"code": -1120, "msg": "Invalid interval."},
    )


def test_a_market_order_by_quote_amount_buys_what_it_pays_for(env: ServerEnv) -> None:
    bought = env.client.ok(
        "POST", "/api/v3/order", symbol=BTC, side="BUY", type="MARKET", quoteOrderQty="100"
    )
    assert isinstance(bought, dict)
    # 100 USDT at 40,000: 0.0025 BTC (the step is 0.00001).
    assert (bought["executedQty"], bought["cummulativeQuoteQty"], bought["origQuoteOrderQty"]) == (
        "0.00250000",
        "100.00000000",
        "100.00000000",
    )
    again = env.client.ok("GET", "/api/v3/order", symbol=BTC, orderId=bought["orderId"])
    assert isinstance(again, dict)
    assert again["origQuoteOrderQty"] == "100.00000000"

"""The Binance-compatible server's spot paths over real HTTP: Binance's fields, fills, exits."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.binance_wire import ServerEnv, running_server

D = Decimal
BTC = "BTCUSDT"
FULL_KEYS = {
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "transactTime",
    "price",
    "origQty",
    "executedQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "workingTime",
    "fills",
    "origQuoteOrderQty",
    "selfTradePreventionMode",
}
ORDER_KEYS = {
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "price",
    "origQty",
    "executedQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "stopPrice",
    "icebergQty",
    "time",
    "updateTime",
    "isWorking",
    "workingTime",
    "origQuoteOrderQty",
    "selfTradePreventionMode",
}


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server() as running:
        yield running


def error_of(env: ServerEnv, method: str, path: str, **params: object) -> tuple[int, int]:
    response = env.client.signed(method, path, **params)
    body = response.json()
    assert set(body) == {"code", "msg"}
    return response.status_code, body["code"]


def buy(env: ServerEnv, quantity: str = "0.01", cid: str = "buy-1", **extra: object) -> dict:
    params = {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": quantity}
    return env.client.ok("POST", "/api/v3/order", newClientOrderId=cid, **params, **extra)


def spot_balance(env: ServerEnv, asset: str) -> tuple[str, str]:
    account = env.client.ok("GET", "/api/v3/account")
    assert isinstance(account, dict)
    (entry,) = [b for b in account["balances"] if b["asset"] == asset]
    return entry["free"], entry["locked"]


def test_public_market_data_answers_in_binances_shapes(env: ServerEnv) -> None:
    assert env.client.public("/api/v3/ping").json() == {}
    assert isinstance(env.client.public("/api/v3/time").json()["serverTime"], int)
    info = env.client.public("/api/v3/exchangeInfo", symbol=BTC).json()
    assert [limit["rateLimitType"] for limit in info["rateLimits"]] == [
        "REQUEST_WEIGHT",
        "ORDERS",
        "ORDERS",
    ]
    (symbol,) = info["symbols"]
    assert (symbol["symbol"], symbol["baseAsset"], symbol["quoteAsset"]) == (BTC, "BTC", "USDT")
    assert {"PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "NOTIONAL", "TRAILING_DELTA"} <= {
        f["filterType"] for f in symbol["filters"]
    }
    rows = env.client.public("/api/v3/klines", symbol=BTC, interval="1m").json()
    assert len(rows) == 2  # minute 0, and minute 1 forming
    assert rows[0][:7] == [
        rows[0][0],
        "39990.00000000",
        "40010.00000000",
        "39980.00000000",
        "40000.00000000",
        "1.00000000",
        rows[0][0] + 59_999,
    ]
    assert env.client.public("/api/v3/ticker/price", symbol=BTC).json() == {
        "symbol": BTC,
        "price": "40000.00000000",
    }
    unknown = env.client.public("/api/v3/exchangeInfo", symbol="FOOUSDT")
    assert (unknown.status_code, unknown.json()) == (400, {"code": -1121, "msg": "Invalid symbol."})


def test_the_account_lists_free_and_locked_balances_as_strings(env: ServerEnv) -> None:
    account = env.client.ok("GET", "/api/v3/account")
    assert isinstance(account, dict)
    assert (account["accountType"], account["canTrade"], account["makerCommission"]) == (
        "SPOT",
        True,
        10,
    )
    assert account["balances"] == [
        {"asset": "USDT", "free": "10000.00000000", "locked": "0.00000000"}
    ]


def test_a_market_buy_fills_at_the_open_with_one_fill_and_its_commission(env: ServerEnv) -> None:
    order = buy(env)
    assert set(order) == FULL_KEYS
    assert order["status"] == "FILLED"
    assert (order["origQty"], order["executedQty"], order["cummulativeQuoteQty"]) == (
        "0.01000000",
        "0.01000000",
        "400.00000000",
    )
    assert order["fills"] == [
        {
            "price": "40000.00000000",
            "qty": "0.01000000",
            "commission": "0.00001000",  # 0.1 % of the BTC bought, as Binance without BNB
            "commissionAsset": "BTC",
            "tradeId": order["fills"][0]["tradeId"],
        }
    ]
    assert spot_balance(env, "BTC") == ("0.00999000", "0.00000000")
    assert spot_balance(env, "USDT") == ("9600.00000000", "0.00000000")


def test_a_market_sell_and_the_shorter_answers(env: ServerEnv) -> None:
    buy(env, "0.02")
    env.clock.at_minute(2)
    sell = env.client.ok(
        "POST",
        "/api/v3/order",
        symbol=BTC,
        side="SELL",
        type="MARKET",
        quantity="0.01998",  # the 0.02 bought less its fee
        newClientOrderId="sell-1",
        newOrderRespType="RESULT",
    )
    assert isinstance(sell, dict)
    assert set(sell) == FULL_KEYS - {"fills"}
    assert (sell["side"], sell["cummulativeQuoteQty"]) == ("SELL", "800.19900000")  # at 40,050
    ack = buy(env, cid="buy-2", newOrderRespType="ACK")
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}


def test_an_order_is_found_by_client_id_or_order_id_and_trades_carry_the_commission(
    env: ServerEnv,
) -> None:
    placed = buy(env)
    by_client = env.client.ok("GET", "/api/v3/order", symbol=BTC, origClientOrderId="buy-1")
    by_id = env.client.ok("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert by_client == by_id
    assert isinstance(by_id, dict)
    assert set(by_id) == ORDER_KEYS
    assert (by_id["status"], by_id["executedQty"], by_id["time"]) == (
        "FILLED",
        "0.01000000",
        placed["transactTime"],
    )
    (trade,) = env.client.ok("GET", "/api/v3/myTrades", symbol=BTC, orderId=placed["orderId"])
    assert (trade["price"], trade["qty"], trade["commission"], trade["commissionAsset"]) == (
        "40000.00000000",
        "0.01000000",
        "0.00001000",
        "BTC",
    )
    assert (trade["isBuyer"], trade["isMaker"], trade["id"]) == (
        True,
        False,
        placed["fills"][0]["tradeId"],
    )
    assert error_of(env, "GET", "/api/v3/order", symbol=BTC, origClientOrderId="nope") == (
        400,
        -2013,
    )
    assert error_of(env, "DELETE", "/api/v3/order", symbol=BTC, origClientOrderId="buy-1") == (
        400,
        -2011,
    )


def oco(env: ServerEnv, stop: str = "39000", target: str = "41000", **below: object) -> dict:
    params: dict[str, object] = {"belowStopPrice": stop} if not below else dict(below)
    answer = env.client.ok(
        "POST",
        "/api/v3/orderList/oco",
        symbol=BTC,
        side="SELL",
        quantity="0.00999",  # what the buy of 0.01 left after its fee in BTC
        listClientOrderId="list-1",
        aboveType="TAKE_PROFIT",
        aboveStopPrice=target,
        aboveClientOrderId="tp-1",
        belowType="STOP_LOSS",
        belowClientOrderId="sl-1",
        **params,
    )
    assert isinstance(answer, dict)
    return answer


def leg(env: ServerEnv, cid: str) -> dict:
    order = env.client.ok("GET", "/api/v3/order", symbol=BTC, origClientOrderId=cid)
    assert isinstance(order, dict)
    return order


def test_an_oco_rests_then_its_stop_fires_as_the_market_falls_and_the_target_is_canceled(
    env: ServerEnv,
) -> None:
    buy(env)
    answer = oco(env)
    assert (answer["contingencyType"], answer["listStatusType"], answer["listOrderStatus"]) == (
        "OCO",
        "EXEC_STARTED",
        "EXECUTING",
    )
    assert [o["clientOrderId"] for o in answer["orders"]] == ["sl-1", "tp-1"]
    assert [r["status"] for r in answer["orderReports"]] == ["NEW", "NEW"]
    assert spot_balance(env, "BTC") == ("0.00000000", "0.00999000")  # the OCO locks what it sells
    env.clock.at_minute(2, second=59)
    assert leg(env, "sl-1")["status"] == "NEW"  # minute 2 has not closed
    env.clock.at_minute(3)
    stop, target = leg(env, "sl-1"), leg(env, "tp-1")
    assert (stop["status"], stop["type"], stop["stopPrice"], stop["cummulativeQuoteQty"]) == (
        "FILLED",
        "STOP_LOSS",
        "39000.00000000",
        "389.61000000",
    )
    assert (target["status"], target["type"]) == ("CANCELED", "TAKE_PROFIT")
    assert stop["orderListId"] == target["orderListId"] == answer["orderListId"]
    (trade,) = env.client.ok("GET", "/api/v3/myTrades", symbol=BTC, orderId=stop["orderId"])
    assert (trade["price"], trade["commission"], trade["commissionAsset"]) == (
        "39000.00000000",
        "0.38961000",
        "USDT",
    )
    assert spot_balance(env, "BTC") == ("0.00000000", "0.00000000")


def test_an_oco_target_fires_when_the_market_rises_to_it(env: ServerEnv) -> None:
    buy(env)
    oco(env, stop="37000", target="41000")
    env.clock.at_minute(5)  # minute 4 reaches 42,000
    assert (leg(env, "tp-1")["status"], leg(env, "sl-1")["status"]) == ("FILLED", "CANCELED")
    assert leg(env, "tp-1")["cummulativeQuoteQty"] == "409.59000000"


def test_cancelling_one_leg_cancels_the_list_and_unlocks_the_base(env: ServerEnv) -> None:
    buy(env)
    oco(env)
    canceled = env.client.ok("DELETE", "/api/v3/order", symbol=BTC, origClientOrderId="tp-1")
    assert isinstance(canceled, dict)
    assert (canceled["status"], canceled["origClientOrderId"]) == ("CANCELED", "tp-1")
    assert leg(env, "sl-1")["status"] == "CANCELED"
    assert spot_balance(env, "BTC") == ("0.00999000", "0.00000000")


def test_a_trailing_stop_trails_from_the_price_it_was_placed_at(env: ServerEnv) -> None:
    buy(env)
    placed = env.client.ok(
        "POST",
        "/api/v3/order",
        symbol=BTC,
        side="SELL",
        type="STOP_LOSS",
        quantity="0.00999",
        trailingDelta=200,
        newClientOrderId="trail-1",
    )
    assert isinstance(placed, dict)
    assert set(placed) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    assert leg(env, "trail-1")["trailingDelta"] == 200
    env.clock.at_minute(3)
    fired = leg(env, "trail-1")
    # peak 40,100 after minute 1, so 2 % below it is 39,298, which minute 2 falls through
    assert (fired["status"], fired["cummulativeQuoteQty"]) == ("FILLED", "392.58702000")


def test_a_single_take_profit_rests_as_a_one_leg_exit(env: ServerEnv) -> None:
    buy(env)
    env.client.ok(
        "POST",
        "/api/v3/order",
        symbol=BTC,
        side="SELL",
        type="TAKE_PROFIT",
        quantity="0.00999",
        stopPrice="41500",
        newClientOrderId="tp-solo",
    )
    env.clock.at_minute(5)
    assert leg(env, "tp-solo")["status"] == "FILLED"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "LIMIT", "quantity": "0.01", "price": "39000"}, (400, -1102)),  # timeInForce
        (
            {"type": "LIMIT_MAKER", "quantity": "0.01", "price": "39000", "timeInForce": "GTC"},
            (400, -1106),
        ),
        (
            {"type": "LIMIT", "quantity": "0.01", "price": "39000", "timeInForce": "GTD"},
            (400, -1115),
        ),
        (
            {"type": "LIMIT", "quantity": "0.01", "price": "39000.001", "timeInForce": "GTC"},
            (400, -1013),
        ),  # PRICE_FILTER
        (
            {"type": "STOP_LOSS_LIMIT", "quantity": "0.01", "price": "39000", "timeInForce": "GTC"},
            (400, -1102),
        ),  # stopPrice
        (
            {
                "type": "STOP_LOSS_LIMIT",
                "quantity": "0.01",
                "price": "39500",
                "stopPrice": "39600",
                "timeInForce": "GTC",
            },
            (400, -2010),
        ),  # would trigger immediately
        ({"type": "MARKET", "quoteOrderQty": "100", "quantity": "0.01"}, (400, -1106)),
        ({"type": "ICEBERG", "quantity": "0.01"}, (400, -1116)),
        ({"type": "MARKET"}, (400, -1102)),
        ({"type": "MARKET", "quantity": "lots"}, (400, -1100)),
        ({"type": "MARKET", "quantity": "0.000001"}, (400, -1013)),
        ({"type": "MARKET", "quantity": "1"}, (400, -2010)),  # 40,000 USDT needed
        ({"type": "MARKET", "quantity": "0.01", "side": "HOLD"}, (400, -1117)),
        ({"type": "MARKET", "quantity": "0.01", "symbol": "FOOUSDT"}, (400, -1121)),
        ({"type": "MARKET", "quantity": "0.01", "newClientOrderId": "no spaces"}, (400, -1100)),
        ({"type": "STOP_LOSS", "quantity": "0.01", "trailingDelta": 5}, (400, -1013)),
        ({"type": "STOP_LOSS", "quantity": "0.01"}, (400, -1102)),
    ],
)
def test_orders_binance_would_refuse_get_its_codes(
    env: ServerEnv, params: dict[str, object], expected: tuple[int, int]
) -> None:
    request = {"symbol": BTC, "side": "BUY" if params["type"] != "STOP_LOSS" else "SELL", **params}
    assert error_of(env, "POST", "/api/v3/order", **request) == expected
    assert env.server.stats()["orders_accepted"] == {"total": 0}


def test_a_client_id_still_resting_is_a_duplicate(env: ServerEnv) -> None:
    buy(env)
    oco(env)
    status, code = error_of(
        env,
        "POST",
        "/api/v3/order",
        symbol=BTC,
        side="BUY",
        type="MARKET",
        quantity="0.01",
        newClientOrderId="sl-1",
    )
    assert (status, code) == (400, -2010)
    buy(env, cid="buy-1")  # a filled order's id may be used again
    newest = env.client.ok("GET", "/api/v3/order", symbol=BTC, origClientOrderId="buy-1")
    assert isinstance(newest, dict)
    assert newest["orderId"] > leg(env, "tp-1")["orderId"]

"""The server's USDⓈ-M and wallet paths over real HTTP: leverage, margin, orders, algo orders."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.binance_wire import ServerEnv, SignedClient, running_server

D = Decimal
BTC = "BTCUSDT"
RESULT_KEYS = {
    "orderId",
    "symbol",
    "status",
    "clientOrderId",
    "price",
    "avgPrice",
    "origQty",
    "executedQty",
    "cumQty",
    "cumQuote",
    "timeInForce",
    "type",
    "reduceOnly",
    "closePosition",
    "side",
    "positionSide",
    "stopPrice",
    "workingType",
    "priceProtect",
    "origType",
    "updateTime",
}
ALGO_KEYS = {
    "algoId",
    "clientAlgoId",
    "algoType",
    "orderType",
    "symbol",
    "side",
    "positionSide",
    "timeInForce",
    "quantity",
    "algoStatus",
    "triggerPrice",
    "price",
    "workingType",
    "closePosition",
    "priceProtect",
    "reduceOnly",
    "activatePrice",
    "callbackRate",
    "createTime",
    "updateTime",
    "triggerTime",
    "actualOrderId",
    "executedQty",
    "avgPrice",
}
RISK_KEYS = {
    "symbol",
    "positionAmt",
    "entryPrice",
    "breakEvenPrice",
    "markPrice",
    "unRealizedProfit",
    "liquidationPrice",
    "leverage",
    "maxNotionalValue",
    "marginType",
    "isolatedMargin",
    "isAutoAddMargin",
    "positionSide",
    "notional",
    "isolatedWallet",
    "updateTime",
}


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server() as running:
        yield running


def refused(env: ServerEnv, method: str, path: str, **params: object) -> tuple[int, int, str]:
    response = env.client.signed(method, path, **params)
    body = response.json()
    return response.status_code, body["code"], body["msg"]


def market(env: ServerEnv, side: str, quantity: str, cid: str, **extra: object) -> dict:
    answer = env.client.ok(
        "POST",
        "/fapi/v1/order",
        symbol=BTC,
        side=side,
        type="MARKET",
        quantity=quantity,
        newClientOrderId=cid,
        newOrderRespType="RESULT",
        **extra,
    )
    assert isinstance(answer, dict)
    return answer


def algo(env: ServerEnv, kind: str, cid: str, **params: object) -> dict:
    answer = env.client.ok(
        "POST",
        "/fapi/v1/algoOrder",
        algoType="CONDITIONAL",
        symbol=BTC,
        side="SELL",
        type=kind,
        quantity="0.01",
        reduceOnly="true",
        workingType="CONTRACT_PRICE",
        clientAlgoId=cid,
        **params,
    )
    assert isinstance(answer, dict)
    return answer


def test_public_futures_data_answers_in_binances_shapes(env: ServerEnv) -> None:
    info = env.client.public("/fapi/v1/exchangeInfo").json()
    assert [(r["rateLimitType"], r["interval"], r["limit"]) for r in info["rateLimits"]] == [
        ("REQUEST_WEIGHT", "MINUTE", 2400),
        ("ORDERS", "MINUTE", 1200),
        ("ORDERS", "SECOND", 300),
    ]
    btc = next(s for s in info["symbols"] if s["symbol"] == BTC)
    assert (btc["contractType"], btc["marginAsset"], btc["pricePrecision"]) == (
        "PERPETUAL",
        "USDT",
        2,
    )
    assert {"filterType": "MIN_NOTIONAL", "notional": "100"} in btc["filters"]
    rows = env.client.public("/fapi/v1/klines", symbol=BTC, interval="1m", limit=1).json()
    assert rows[0][1:5] == ["40000", "40000", "40000", "40000"]  # minute 1, forming
    price = env.client.public("/fapi/v1/ticker/price", symbol=BTC).json()
    assert (price["symbol"], price["price"], isinstance(price["time"], int)) == (BTC, "40000", True)


def test_leverage_is_set_up_to_the_bracket_and_refused_above_it_with_4028(env: ServerEnv) -> None:
    (entry,) = env.client.ok("GET", "/fapi/v1/leverageBracket", symbol="BNBUSDT")
    assert entry["brackets"][0]["initialLeverage"] == 75
    assert env.client.ok("POST", "/fapi/v1/leverage", symbol="BNBUSDT", leverage=75) == {
        "leverage": 75,
        "maxNotionalValue": "50000",
        "symbol": "BNBUSDT",
    }
    assert refused(env, "POST", "/fapi/v1/leverage", symbol="BNBUSDT", leverage=76) == (
        400,
        -4028,
        "Leverage 76 is not valid",
    )


def test_margin_type_twice_says_4046_and_not_under_a_position_4048(env: ServerEnv) -> None:
    success = {"code": 200, "msg": "success"}
    assert env.client.ok("POST", "/fapi/v1/marginType", symbol=BTC, marginType="ISOLATED") == (
        success
    )
    assert refused(env, "POST", "/fapi/v1/marginType", symbol=BTC, marginType="ISOLATED") == (
        400,
        -4046,
        "No need to change margin type.",
    )
    market(env, "BUY", "0.01", "open")
    status, code, _ = refused(env, "POST", "/fapi/v1/marginType", symbol=BTC, marginType="CROSSED")
    assert (status, code) == (400, -4048)


def test_a_market_order_answers_its_fill_and_its_trade_the_commission_and_pnl(
    env: ServerEnv,
) -> None:
    env.client.ok("POST", "/fapi/v1/leverage", symbol=BTC, leverage=10)
    opened = market(env, "BUY", "0.01", "open")
    assert set(opened) >= RESULT_KEYS
    assert (opened["status"], opened["avgPrice"], opened["cumQuote"], opened["reduceOnly"]) == (
        "FILLED",
        "40000",
        "400",
        False,
    )
    env.clock.at_minute(5)  # minute 5 opens at 41,900
    closed = market(env, "SELL", "0.01", "close", reduceOnly="true")
    (trade,) = env.client.ok("GET", "/fapi/v1/userTrades", symbol=BTC, orderId=closed["orderId"])
    assert (trade["price"], trade["qty"], trade["commission"], trade["realizedPnl"]) == (
        "41900",
        "0.01",
        "0.1676",
        "19",
    )
    assert (trade["buyer"], trade["maker"], trade["side"]) == (False, False, "SELL")
    found = env.client.ok("GET", "/fapi/v1/order", symbol=BTC, origClientOrderId="close")
    assert isinstance(found, dict)
    assert (found["orderId"], found["time"]) == (closed["orderId"], closed["updateTime"])
    (wallet,) = env.client.ok("GET", "/fapi/v2/balance")
    assert wallet["asset"] == "USDT"
    assert D(wallet["balance"]) == D(10_000) - D("0.16") + 19 - D("0.1676")


def test_the_default_ack_says_new_without_fills_though_the_order_filled(env: ServerEnv) -> None:
    ack = env.client.ok(
        "POST",
        "/fapi/v1/order",
        symbol=BTC,
        side="BUY",
        type="MARKET",
        quantity="0.01",
        newClientOrderId="ack-1",
    )
    assert isinstance(ack, dict)
    assert (ack["status"], ack["executedQty"], ack["avgPrice"]) == ("NEW", "0", "0")
    found = env.client.ok("GET", "/fapi/v1/order", symbol=BTC, origClientOrderId="ack-1")
    assert isinstance(found, dict)
    assert found["status"] == "FILLED"


def test_an_algo_stop_rests_then_fires_and_names_the_market_order_it_placed(
    env: ServerEnv,
) -> None:
    market(env, "BUY", "0.01", "open")
    placed = algo(env, "STOP_MARKET", "stop-1", triggerPrice="39000")
    assert set(placed) == ALGO_KEYS
    assert (placed["algoStatus"], placed["actualOrderId"], placed["triggerTime"]) == ("NEW", "", 0)
    assert refused(env, "GET", "/fapi/v1/order", symbol=BTC, origClientOrderId="stop-1")[1] == (
        -2013
    )  # not an order until it fires
    env.clock.at_minute(3)
    fired = env.client.ok("GET", "/fapi/v1/algoOrder", clientAlgoId="stop-1")
    assert isinstance(fired, dict)
    assert (fired["algoStatus"], fired["executedQty"], fired["avgPrice"]) == (
        "FINISHED",
        "0.01",
        "39000",
    )
    assert fired["triggerTime"] == fired["updateTime"] > placed["createTime"]
    order = env.client.ok("GET", "/fapi/v1/order", symbol=BTC, orderId=fired["actualOrderId"])
    assert isinstance(order, dict)
    assert (order["clientOrderId"], order["type"], order["origType"], order["status"]) == (
        "stop-1",
        "MARKET",
        "STOP_MARKET",
        "FILLED",
    )
    trades = env.client.ok("GET", "/fapi/v1/userTrades", symbol=BTC, orderId=order["orderId"])
    assert [t["realizedPnl"] for t in trades] == ["-10"]


def test_the_other_algo_orders_of_a_closed_position_are_canceled(env: ServerEnv) -> None:
    market(env, "BUY", "0.01", "open")
    algo(env, "STOP_MARKET", "stop-1", triggerPrice="39000")
    algo(env, "TAKE_PROFIT_MARKET", "tp-1", triggerPrice="45000")
    algo(env, "TRAILING_STOP_MARKET", "trail-1", callbackRate="5", activatePrice="40100")
    env.clock.at_minute(3)
    statuses = {
        cid: env.client.ok("GET", "/fapi/v1/algoOrder", clientAlgoId=cid)["algoStatus"]
        for cid in ("stop-1", "tp-1", "trail-1")
    }
    assert statuses == {"stop-1": "FINISHED", "tp-1": "CANCELED", "trail-1": "CANCELED"}


def test_an_algo_order_is_canceled_once_and_unknown_ones_say_2013(env: ServerEnv) -> None:
    market(env, "BUY", "0.01", "open")
    placed = algo(env, "TAKE_PROFIT_MARKET", "tp-1", triggerPrice="45000")
    assert env.client.ok("DELETE", "/fapi/v1/algoOrder", algoId=placed["algoId"]) == {
        "algoId": placed["algoId"],
        "clientAlgoId": "tp-1",
        "code": "200",
        "msg": "success",
    }
    canceled = env.client.ok("GET", "/fapi/v1/algoOrder", algoId=placed["algoId"])
    assert canceled["algoStatus"] == "CANCELED"
    assert refused(env, "DELETE", "/fapi/v1/algoOrder", clientAlgoId="tp-1")[:2] == (400, -2011)
    assert refused(env, "GET", "/fapi/v1/algoOrder", clientAlgoId="nope")[:2] == (400, -2013)


def test_reduce_only_algo_orders_need_a_position_and_stay_off_the_order_endpoint(
    env: ServerEnv,
) -> None:
    status, code, _ = refused(
        env,
        "POST",
        "/fapi/v1/algoOrder",
        algoType="CONDITIONAL",
        symbol=BTC,
        side="SELL",
        type="STOP_MARKET",
        quantity="0.01",
        triggerPrice="39000",
        reduceOnly="true",
        clientAlgoId="s",
    )
    assert (status, code) == (400, -2022)
    assert refused(
        env,
        "POST",
        "/fapi/v1/order",
        symbol=BTC,
        side="SELL",
        type="STOP_MARKET",
        quantity="0.01",
        stopPrice="39000",
    )[:2] == (400, -4120)
    assert (
        refused(
            env, "POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.001"
        )[1]
        == -4164
    )
    assert (
        refused(
            env,
            "POST",
            "/fapi/v1/order",
            symbol=BTC,
            side="BUY",
            type="MARKET",
            quantity="1",
            positionSide="LONG",
        )[1]
        == -4061
    )


def test_position_risk_reports_the_open_position_and_zeros_when_flat(env: ServerEnv) -> None:
    env.client.ok("POST", "/fapi/v1/leverage", symbol=BTC, leverage=10)
    env.client.ok("POST", "/fapi/v1/marginType", symbol=BTC, marginType="ISOLATED")
    market(env, "SELL", "0.02", "short")
    env.clock.at_minute(2)  # minute 2 opens at 40,050
    (risk,) = env.client.ok("GET", "/fapi/v2/positionRisk", symbol=BTC)
    assert set(risk) == RISK_KEYS
    assert (risk["positionAmt"], risk["entryPrice"], risk["markPrice"]) == (
        "-0.02",
        "40000",
        "40050",
    )
    assert (risk["unRealizedProfit"], risk["notional"], risk["isolatedWallet"]) == (
        "-1",
        "-801",
        "80",
    )
    assert (risk["leverage"], risk["marginType"], risk["liquidationPrice"]) == (
        "10",  # a string, as Binance sends it
        "isolated",
        "43824.7",
    )
    flat = env.client.ok("GET", "/fapi/v2/positionRisk", symbol="ETHUSDT")
    assert flat[0]["positionAmt"] == "0"


def test_a_transfer_moves_funds_both_ways_and_never_more_than_the_source_holds(
    env: ServerEnv,
) -> None:
    first = env.client.ok(
        "POST", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE", asset="USDT", amount="2500"
    )
    assert isinstance(first, dict)
    assert isinstance(first["tranId"], int)
    env.client.ok(
        "POST", "/sapi/v1/asset/transfer", type="UMFUTURE_MAIN", asset="USDT", amount="500"
    )
    state = env.server.account_state("tw-test-key")
    assert state is not None
    assert state["spot"] == {"USDT": {"free": "8000", "locked": "0"}}
    assert state["futures"] == {"USDT": {"wallet": "12000", "available": "12000"}}
    assert refused(
        env, "POST", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE", asset="USDT", amount="8000.01"
    ) == (400, -5002, "You have insufficient balance.")


def test_keys_without_futures_or_transfer_permission_get_2015(env: ServerEnv) -> None:
    env.server.add_account("spot-only", "s3cret", futures_enabled=False, transfer_enabled=False)
    client = SignedClient(env.server.base_url, "spot-only", "s3cret")
    try:
        assert client.signed("GET", "/api/v3/account").status_code == 200
        for method, path, params in [
            ("GET", "/fapi/v2/balance", {}),
            (
                "POST",
                "/sapi/v1/asset/transfer",
                {"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "1"},
            ),
        ]:
            response = client.signed(method, path, **params)
            assert (response.status_code, response.json()["code"]) == (401, -2015)
    finally:
        client.close()

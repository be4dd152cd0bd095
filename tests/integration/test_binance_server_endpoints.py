"""The read-only endpoints real clients call by default, answered in Binance's shapes.

Market: minute 1 (the forming one) opens at 40,000; minute 0 closed at 40,000 with a
volume of 1 (tests/market_script.py); BTCUSDT spot tick 0.01, step 0.00001.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.binance_wire import ServerEnv, running_server

BTC = "BTCUSDT"


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server() as running:
        yield running


def get(env: ServerEnv, path: str, **params: object) -> object:
    response = env.client.public(path, **params)
    assert response.status_code == 200, response.text
    return response.json()


def rows(env: ServerEnv, method: str, path: str, **params: object) -> list[dict[str, object]]:
    answer = env.client.ok(method, path, **params)
    assert isinstance(answer, list)
    return answer


def test_spot_depth_is_the_documented_synthetic_book(env: ServerEnv) -> None:
    book = get(env, "/api/v3/depth", symbol=BTC, limit=3)
    assert isinstance(book, dict)
    assert book["bids"] == [
        ["40000.00000000", "0.10000000"],
        ["39999.99000000", "0.10000000"],
        ["39999.98000000", "0.10000000"],
    ]
    assert book["asks"][0] == ["40000.01000000", "0.10000000"]
    assert len(book["asks"]) == 3
    assert isinstance(book["lastUpdateId"], int)
    weight = env.client.public("/api/v3/depth", symbol=BTC, limit=1000)
    assert weight.headers["X-MBX-USED-WEIGHT-1M"] == str(5 + 50)


def test_spot_tickers_and_average_price(env: ServerEnv) -> None:
    ticker = get(env, "/api/v3/ticker/bookTicker", symbol=BTC)
    assert ticker == {
        "symbol": BTC,
        "bidPrice": "40000.00000000",
        "bidQty": "0.10000000",
        "askPrice": "40000.01000000",
        "askQty": "0.10000000",
    }
    several = get(env, "/api/v3/ticker/bookTicker", symbols='["BTCUSDT"]')
    assert several == [ticker]
    day = get(env, "/api/v3/ticker/24hr", symbol=BTC)
    assert isinstance(day, dict)
    assert (day["lastPrice"], day["openPrice"], day["highPrice"], day["count"]) == (
        "40000.00000000",
        "39990.00000000",
        "40010.00000000",
        1,
    )
    assert {"priceChange", "weightedAvgPrice", "prevClosePrice", "bidPrice"} <= set(day)
    average = get(env, "/api/v3/avgPrice", symbol=BTC)
    assert isinstance(average, dict)
    assert (average["mins"], average["price"]) == (5, "40000.00000000")


def test_spot_trades_are_one_per_closed_minute(env: ServerEnv) -> None:
    env.clock.at_minute(3)  # minutes 0-2 closed
    trades = get(env, "/api/v3/trades", symbol=BTC, limit=2)
    assert isinstance(trades, list)
    assert [t["price"] for t in trades] == ["40050.00000000", "38500.00000000"]
    assert trades[1]["isBuyerMaker"] is True  # minute 2 closed below its open
    agg = get(env, "/api/v3/aggTrades", symbol=BTC, fromId=trades[0]["id"], limit=5)
    assert isinstance(agg, list)
    assert [a["a"] for a in agg] == [trades[0]["id"], trades[1]["id"]]


def test_spot_open_all_and_test_orders(env: ServerEnv) -> None:
    # 0.01 BTC held after the BUY's fee, taken in BTC.
    env.client.ok(
        "POST", "/api/v3/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.01002"
    )
    env.client.ok(
        "POST", "/api/v3/order", symbol=BTC, side="SELL", type="STOP_LOSS", quantity="0.01",
        stopPrice="39000", newClientOrderId="sl",
    )  # fmt: skip
    open_orders = rows(env, "GET", "/api/v3/openOrders", symbol=BTC)
    assert [o["clientOrderId"] for o in open_orders] == ["sl"]
    every = rows(env, "GET", "/api/v3/allOrders", symbol=BTC)
    assert [o["type"] for o in every] == ["MARKET", "STOP_LOSS"]
    canceled = rows(env, "DELETE", "/api/v3/openOrders", symbol=BTC)
    assert [o["status"] for o in canceled] == ["CANCELED"]
    assert env.client.ok("GET", "/api/v3/openOrders") == []
    assert (
        env.client.ok(
            "POST", "/api/v3/order/test", symbol=BTC, side="BUY", type="MARKET", quantity="0.01"
        )
        == {}
    )
    refused = env.client.signed(
        "POST", "/api/v3/order/test", symbol=BTC, side="BUY", type="MARKET", quantity=".01"
    )
    assert refused.json()["code"] == -1100
    assert len(every) == 2
    counts = rows(env, "GET", "/api/v3/rateLimit/order")
    assert [(c["interval"], c["count"]) for c in counts] == [
        ("SECOND", 1),
        ("DAY", 1),
    ]  # the stop loss (unfilled); the filled buy was taken off


def test_an_unknown_path_answers_like_binance_404(env: ServerEnv) -> None:
    response = env.client.http.get("/api/v3/noSuchThing")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")


def test_futures_public_data(env: ServerEnv) -> None:
    book = get(env, "/fapi/v1/depth", symbol=BTC, limit=5)
    assert isinstance(book, dict)
    assert (book["bids"][0], book["asks"][0], len(book["bids"])) == (
        ["40000", "0.1"],
        ["40000.1", "0.1"],
        5,
    )
    ticker = get(env, "/fapi/v1/ticker/bookTicker", symbol=BTC)
    assert isinstance(ticker, dict)
    assert (ticker["bidPrice"], ticker["askPrice"]) == ("40000", "40000.1")
    day = get(env, "/fapi/v1/ticker/24hr", symbol=BTC)
    assert isinstance(day, dict)
    assert (day["lastPrice"], day["openPrice"], day["count"]) == ("40000", "39990", 1)
    price = get(env, "/fapi/v2/ticker/price", symbol=BTC)
    assert isinstance(price, dict)
    assert price["price"] == "40000"
    mark = get(env, "/fapi/v1/premiumIndex", symbol=BTC)
    assert isinstance(mark, dict)
    assert (mark["markPrice"], mark["lastFundingRate"]) == ("40000", "0.00000000")
    assert isinstance(get(env, "/fapi/v1/fundingRate", symbol=BTC), list)
    coin_margined = get(env, "/dapi/v1/exchangeInfo")
    assert isinstance(coin_margined, dict)
    assert coin_margined["symbols"] == []


def test_futures_account_reads(env: ServerEnv) -> None:
    env.client.ok("POST", "/fapi/v1/leverage", symbol=BTC, leverage=5)
    env.client.ok("POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.01")
    env.client.ok(
        "POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", symbol=BTC, side="SELL",
        type="STOP_MARKET", quantity="0.01", triggerPrice="39000", clientAlgoId="sl",
    )  # fmt: skip
    v3 = env.client.ok("GET", "/fapi/v3/account")
    v2 = env.client.ok("GET", "/fapi/v2/account")
    assert isinstance(v3, dict)
    assert isinstance(v2, dict)
    assert v3["totalInitialMargin"] == "80"  # 400 notional at 5x
    assert [p["symbol"] for p in v3["positions"]] == [BTC]
    assert v2["positions"][0]["leverage"] == "5"
    assert "leverage" not in v3["positions"][0]
    (risk,) = rows(env, "GET", "/fapi/v3/positionRisk")
    assert (risk["positionAmt"], risk["marginAsset"], risk["initialMargin"]) == (
        "0.01",
        "USDT",
        "80",
    )
    assert "leverage" not in risk
    (balance,) = rows(env, "GET", "/fapi/v3/balance")
    assert balance["asset"] == "USDT"
    assert env.client.ok("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": False}
    assert env.client.ok("GET", "/fapi/v1/multiAssetsMargin") == {"multiAssetsMargin": False}
    rate = env.client.ok("GET", "/fapi/v1/commissionRate", symbol=BTC)
    assert isinstance(rate, dict)
    assert rate["symbol"] == BTC
    income = rows(env, "GET", "/fapi/v1/income")
    assert [i["incomeType"] for i in income] == ["COMMISSION"]
    assert rows(env, "GET", "/fapi/v1/openOrders", symbol=BTC) == []
    assert [o["type"] for o in rows(env, "GET", "/fapi/v1/allOrders", symbol=BTC)] == ["MARKET"]
    (algo,) = rows(env, "GET", "/fapi/v1/openAlgoOrders")
    assert algo["clientAlgoId"] == "sl"
    env.client.ok("DELETE", "/fapi/v1/algoOrder", clientAlgoId="sl")
    assert rows(env, "GET", "/fapi/v1/openAlgoOrders") == []
    (every,) = rows(env, "GET", "/fapi/v1/allAlgoOrders", symbol=BTC)
    assert every["algoStatus"] == "CANCELED"


def test_cancel_all_algo_orders_cancels_the_symbols_algo_orders_only(env: ServerEnv) -> None:
    # python-binance's futures_cancel_all_open_orders(conditional=True), ccxt's
    # cancel_all_orders(trigger=True): DELETE /fapi/v1/algoOpenOrders.
    env.client.ok("POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.01")
    common = {"algoType": "CONDITIONAL", "symbol": BTC, "side": "SELL", "quantity": "0.01"}
    env.client.ok("POST", "/fapi/v1/algoOrder", type="STOP_MARKET", triggerPrice="39000",
                  reduceOnly="true", **common)  # fmt: skip
    env.client.ok("POST", "/fapi/v1/algoOrder", type="TAKE_PROFIT", triggerPrice="41000",
                  price="41000", timeInForce="GTC", **common)  # fmt: skip
    env.client.ok("POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="LIMIT",
                  quantity="0.01", price="39000", timeInForce="GTC")  # fmt: skip
    assert len(rows(env, "GET", "/fapi/v1/openAlgoOrders", symbol=BTC)) == 2
    done = env.client.ok("DELETE", "/fapi/v1/algoOpenOrders", symbol=BTC)
    assert done == {"code": 200, "msg": "The operation of cancel all open order is done."}
    assert rows(env, "GET", "/fapi/v1/openAlgoOrders", symbol=BTC) == []
    statuses = [a["algoStatus"] for a in rows(env, "GET", "/fapi/v1/allAlgoOrders", symbol=BTC)]
    assert statuses == ["CANCELED", "CANCELED"]
    (limit,) = rows(env, "GET", "/fapi/v1/openOrders", symbol=BTC)  # a regular order stays
    assert limit["type"] == "LIMIT"
    missing = env.client.signed("DELETE", "/fapi/v1/algoOpenOrders")
    assert (missing.status_code, missing.json()["code"]) == (400, -1102)


def test_wallet_reads_clients_load_with_the_markets(env: ServerEnv) -> None:
    env.client.ok("POST", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE", asset="USDT", amount="5")
    history = env.client.ok("GET", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE")
    assert isinstance(history, dict)
    assert history["total"] == 1
    assert history["rows"][0]["amount"] == "5"
    assert env.client.ok("GET", "/sapi/v1/asset/transfer", type="UMFUTURE_MAIN") == {"total": 0}
    coins = {c["coin"]: c for c in rows(env, "GET", "/sapi/v1/capital/config/getall")}
    assert {"BTC", "USDT"} <= set(coins)
    assert coins["USDT"]["free"] == "9995.00000000"
    pairs = get(env, "/sapi/v1/margin/allPairs")
    assert isinstance(pairs, list)
    assert BTC in {p["symbol"] for p in pairs}


def test_user_assets_list_what_the_spot_wallet_holds(env: ServerEnv) -> None:
    # python-binance's get_user_asset and binance-connector's user_asset call it.
    env.client.ok("POST", "/api/v3/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.01")
    held = {a["asset"]: a for a in rows(env, "POST", "/sapi/v3/asset/getUserAsset")}
    assert set(held) == {"BTC", "USDT"}  # only what is held, nothing at zero
    assert (held["USDT"]["free"], held["USDT"]["locked"]) == (
        "9600",
        "0",
    )  # 400 paid; the fee is in BTC
    assert held["BTC"]["free"] == "0.00999"  # 0.01 less the 0.1 % fee in BTC
    assert {"freeze", "withdrawing", "ipoable", "btcValuation"} <= set(held["BTC"])
    (usdt,) = rows(
        env, "POST", "/sapi/v3/asset/getUserAsset", asset="usdt", needBtcValuation="true"
    )
    assert usdt["asset"] == "USDT"
    assert rows(env, "POST", "/sapi/v3/asset/getUserAsset", asset="ETH") == []
    refused = env.client.signed("POST", "/sapi/v3/asset/getUserAsset", needBtcValuation="yes")
    assert (refused.status_code, refused.json()["code"]) == (400, -1130)


def test_order_lists_are_found_listed_and_canceled(env: ServerEnv) -> None:
    # 0.01 BTC held after the BUY's fee, taken in BTC.
    env.client.ok(
        "POST", "/api/v3/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.01002"
    )
    placed = env.client.ok(
        "POST", "/api/v3/orderList/oco", symbol=BTC, side="SELL", quantity="0.01",
        aboveType="TAKE_PROFIT", aboveStopPrice="41500", belowType="STOP_LOSS",
        belowStopPrice="39000", listClientOrderId="exit-1",
    )  # fmt: skip
    assert isinstance(placed, dict)
    by_id = env.client.ok("GET", "/api/v3/orderList", orderListId=placed["orderListId"])
    by_name = env.client.ok("GET", "/api/v3/orderList", origClientOrderId="exit-1")
    assert by_id == by_name
    assert isinstance(by_id, dict)
    assert (by_id["listOrderStatus"], len(by_id["orders"])) == ("EXECUTING", 2)
    assert [o["listClientOrderId"] for o in rows(env, "GET", "/api/v3/openOrderList")] == ["exit-1"]
    canceled = env.client.ok("DELETE", "/api/v3/orderList", symbol=BTC, listClientOrderId="exit-1")
    assert isinstance(canceled, dict)
    assert [r["status"] for r in canceled["orderReports"]] == ["CANCELED", "CANCELED"]
    assert rows(env, "GET", "/api/v3/openOrderList") == []
    (done,) = rows(env, "GET", "/api/v3/allOrderList")
    assert done["listOrderStatus"] == "ALL_DONE"
    again = env.client.signed(
        "DELETE", "/api/v3/orderList", symbol=BTC, orderListId=placed["orderListId"]
    )
    assert (again.status_code, again.json()["code"]) == (400, -2011)

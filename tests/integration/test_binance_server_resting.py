"""Limit orders on the server over real HTTP: spot LIMIT, LIMIT_MAKER, stop-limit, OCO lists
with a limit leg (orderList/oco and the legacy order/oco), futures LIMIT and the limit
variants of conditional orders, and conditional orders when flat.

The market (tests/binance_wire.py): minute 1 opens at 40,000 (low 39,900), minute 2 falls
to 38,000, minute 4 rises to 42,000.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.binance_wire import ServerEnv, SignedClient, running_server

BTC = "BTCUSDT"


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server() as running:
        yield running


def ok(env: ServerEnv, method: str, path: str, **params: object) -> Any:
    return env.client.ok(method, path, symbol=BTC, **params)


def refusal(env: ServerEnv, method: str, path: str, **params: object) -> tuple[int, str]:
    response = env.client.signed(method, path, symbol=BTC, **params)
    assert response.status_code == 400, response.text
    body = response.json()
    return body["code"], body["msg"]


def spot_order(env: ServerEnv, cid: str) -> Any:
    return ok(env, "GET", "/api/v3/order", origClientOrderId=cid)


def balance(env: ServerEnv, asset: str) -> tuple[str, str]:
    (entry,) = [b for b in env.client.ok("GET", "/api/v3/account")["balances"]
                if b["asset"] == asset]  # fmt: skip
    return entry["free"], entry["locked"]


def buy_enough_for_a_sale_of_0_01(env: ServerEnv) -> None:
    """Buy 0.01002 BTC at market: 0.01000998 held after its fee (taken in BTC, 0.1 %)."""
    ok(env, "POST", "/api/v3/order", side="BUY", type="MARKET", quantity="0.01002")
    assert balance(env, "BTC") == ("0.01000998", "0.00000000")


def test_a_spot_limit_buy_rests_locking_its_cost_then_fills_at_its_price_as_a_maker(
    env: ServerEnv,
) -> None:
    placed = ok(env, "POST", "/api/v3/order", side="BUY", type="LIMIT", timeInForce="GTC",
                quantity="0.01", price="39950", newClientOrderId="bid")  # fmt: skip
    assert (placed["status"], placed["fills"], placed["price"]) == ("NEW", [], "39950.00000000")
    assert balance(env, "USDT") == ("9600.50000000", "399.50000000")  # the fee is in the BTC
    assert [o["clientOrderId"] for o in ok(env, "GET", "/api/v3/openOrders")] == ["bid"]
    env.clock.at_minute(2)  # minute 1's low 39,900 reached the bid
    filled = spot_order(env, "bid")
    assert (filled["status"], filled["executedQty"], filled["type"]) == (
        "FILLED", "0.01000000", "LIMIT",
    )  # fmt: skip
    (trade,) = ok(env, "GET", "/api/v3/myTrades")
    assert (trade["price"], trade["isMaker"]) == ("39950.00000000", True)
    assert balance(env, "USDT") == ("9600.50000000", "0.00000000")
    assert trade["commissionAsset"] == "BTC"


def test_a_crossing_limit_fills_at_once_at_the_market_and_ioc_that_does_not_expires(
    env: ServerEnv,
) -> None:
    taken = ok(env, "POST", "/api/v3/order", side="BUY", type="LIMIT", timeInForce="GTC",
               quantity="0.01", price="40500")  # fmt: skip
    assert (taken["status"], taken["fills"][0]["price"]) == ("FILLED", "40000.00000000")
    expired = ok(env, "POST", "/api/v3/order", side="BUY", type="LIMIT", timeInForce="IOC",
                 quantity="0.01", price="39000")  # fmt: skip
    assert (expired["status"], expired["timeInForce"]) == ("EXPIRED", "IOC")


def test_a_limit_maker_that_would_cross_gets_binance_s_refusal(env: ServerEnv) -> None:
    assert refusal(env, "POST", "/api/v3/order", side="BUY", type="LIMIT_MAKER",
                   quantity="0.01", price="40500") == (
        -2010, "Order would immediately match and take.",
    )  # fmt: skip
    assert ok(env, "GET", "/api/v3/allOrders") == []


def test_a_stop_loss_limit_triggers_at_its_stop_and_fills_there_when_that_crosses(
    env: ServerEnv,
) -> None:
    buy_enough_for_a_sale_of_0_01(env)
    placed = ok(env, "POST", "/api/v3/order", side="SELL", type="STOP_LOSS_LIMIT",
                timeInForce="GTC", quantity="0.01", price="38900", stopPrice="39000",
                newClientOrderId="sll")  # fmt: skip
    assert set(placed) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    waiting = spot_order(env, "sll")
    assert (waiting["isWorking"], waiting["stopPrice"]) == (False, "39000.00000000")
    env.clock.at_minute(3)  # minute 2 fell through 39,000
    fired = spot_order(env, "sll")
    assert (fired["status"], fired["cummulativeQuoteQty"]) == ("FILLED", "390.00000000")


def test_an_oco_of_a_limit_maker_and_a_stop_loss_limit_ends_with_the_maker_filled(
    env: ServerEnv,
) -> None:
    buy_enough_for_a_sale_of_0_01(env)
    made = ok(env, "POST", "/api/v3/orderList/oco", side="SELL", quantity="0.01",
              aboveType="LIMIT_MAKER", abovePrice="41500", aboveClientOrderId="tp",
              belowType="STOP_LOSS_LIMIT", belowStopPrice="37000", belowPrice="36900",
              belowTimeInForce="GTC", belowClientOrderId="sl")  # fmt: skip
    assert [r["type"] for r in made["orderReports"]] == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    assert balance(env, "BTC")[1] == "0.01000000"  # the list locks its quantity once
    env.clock.at_minute(5)  # minute 4 rose to 42,000
    assert (spot_order(env, "tp")["status"], spot_order(env, "sl")["status"]) == (
        "FILLED", "CANCELED",
    )  # fmt: skip
    listed = ok(env, "GET", "/api/v3/orderList", orderListId=made["orderListId"])
    assert listed["listOrderStatus"] == "ALL_DONE"
    assert balance(env, "BTC") == ("0.00000998", "0.00000000")  # the BUY's leftover


def test_the_legacy_oco_rests_and_cancelling_the_list_frees_the_base(env: ServerEnv) -> None:
    buy_enough_for_a_sale_of_0_01(env)
    made = ok(env, "POST", "/api/v3/order/oco", side="SELL", quantity="0.01", price="41500",
              stopPrice="39000", stopLimitPrice="38900", stopLimitTimeInForce="GTC",
              listClientOrderId="legacy")  # fmt: skip
    assert [r["type"] for r in made["orderReports"]] == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    assert [o["listClientOrderId"] for o in ok(env, "GET", "/api/v3/openOrderList")] == ["legacy"]
    ok(env, "DELETE", "/api/v3/orderList", listClientOrderId="legacy")
    assert balance(env, "BTC") == ("0.01000998", "0.00000000")
    assert ok(env, "GET", "/api/v3/openOrders") == []


def test_oco_legs_on_the_wrong_side_of_the_market_are_refused(env: ServerEnv) -> None:
    code, message = refusal(env, "POST", "/api/v3/orderList/oco", side="SELL",
                            quantity="0.01", aboveType="LIMIT_MAKER", abovePrice="39500",
                            belowType="STOP_LOSS_LIMIT", belowStopPrice="39000",
                            belowPrice="38900", belowTimeInForce="GTC")  # fmt: skip
    assert (code, message) == (
        -2010,
        "The relationship of the prices for the orders is not correct.",
    )
    assert refusal(env, "POST", "/api/v3/orderList/oco", side="SELL", quantity="0.01",
                   aboveType="LIMIT_MAKER", abovePrice="41500", belowType="STOP_LOSS_LIMIT",
                   belowStopPrice="39000", belowPrice="38900")[0] == -1102  # fmt: skip


def test_a_futures_limit_rests_in_open_orders_then_fills_and_opens_a_position(
    env: ServerEnv,
) -> None:
    placed = ok(env, "POST", "/fapi/v1/order", side="BUY", type="LIMIT", timeInForce="GTC",
                quantity="0.01", price="39950", newClientOrderId="fbid")  # fmt: skip
    assert (placed["status"], placed["type"], placed["price"]) == ("NEW", "LIMIT", "39950")
    assert [o["clientOrderId"] for o in ok(env, "GET", "/fapi/v1/openOrders")] == ["fbid"]
    env.clock.at_minute(2)
    filled = ok(env, "GET", "/fapi/v1/order", origClientOrderId="fbid")
    assert (filled["status"], filled["avgPrice"]) == ("FILLED", "39950")
    (risk,) = ok(env, "GET", "/fapi/v2/positionRisk")
    assert (risk["positionAmt"], risk["entryPrice"]) == ("0.01", "39950")


def test_futures_limits_answer_post_only_and_percent_price_refusals_and_cancel(
    env: ServerEnv,
) -> None:
    order = {"side": "BUY", "type": "LIMIT", "quantity": "0.01"}
    assert refusal(env, "POST", "/fapi/v1/order", **order, timeInForce="GTX",
                   price="40500")[0] == -5022  # fmt: skip
    high = refusal(env, "POST", "/fapi/v1/order", **order, timeInForce="GTC", price="43000")
    assert high == (-4016, "Limit price can't be higher than 42000.00.")  # 5 % over 40,000
    low = refusal(env, "POST", "/fapi/v1/order", **order, timeInForce="GTC", price="37000")
    assert low == (-4024, "Limit price can't be lower than 38000.00.")
    assert refusal(env, "POST", "/fapi/v1/order", **order, price="39000")[0] == -1102
    ok(env, "POST", "/fapi/v1/order", **order, timeInForce="GTC", price="39000",
       newClientOrderId="gone")  # fmt: skip
    assert ok(env, "DELETE", "/fapi/v1/order", origClientOrderId="gone")["status"] == "CANCELED"
    assert ok(env, "GET", "/fapi/v1/openOrders") == []


def test_a_conditional_order_when_flat_rests_and_opens_a_position_when_triggered(
    env: ServerEnv,
) -> None:
    algo = ok(env, "POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", side="BUY",
              type="STOP_MARKET", quantity="0.01", triggerPrice="41000")  # fmt: skip
    assert algo["algoStatus"] == "NEW"
    env.clock.at_minute(5)  # minute 4 rose through 41,000
    fired = ok(env, "GET", "/fapi/v1/algoOrder", algoId=algo["algoId"])
    assert (fired["algoStatus"], fired["avgPrice"]) == ("FINISHED", "41000")
    (risk,) = ok(env, "GET", "/fapi/v2/positionRisk")
    assert (risk["positionAmt"], risk["entryPrice"]) == ("0.01", "41000")


def test_a_futures_stop_with_a_limit_price_triggers_then_trades_as_a_limit(
    env: ServerEnv,
) -> None:
    algo = ok(env, "POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", side="SELL",
              type="STOP", quantity="0.01", triggerPrice="39000", price="38900",
              timeInForce="GTC")  # fmt: skip
    assert (algo["orderType"], algo["price"]) == ("STOP", "38900")
    assert refusal(env, "POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", side="SELL",
                   type="STOP", quantity="0.01", triggerPrice="40500",
                   price="40400")[0] == -2021  # fmt: skip
    env.clock.at_minute(3)
    fired = ok(env, "GET", "/fapi/v1/algoOrder", algoId=algo["algoId"])
    assert fired["algoStatus"] == "FINISHED"
    placed = ok(env, "GET", "/fapi/v1/order", orderId=fired["actualOrderId"])
    assert (placed["type"], placed["origType"], placed["avgPrice"]) == ("LIMIT", "STOP", "39000")
    (risk,) = ok(env, "GET", "/fapi/v2/positionRisk")
    assert risk["positionAmt"] == "-0.01"


def test_a_limit_order_is_capped_by_lot_size_and_a_market_order_by_market_lot_size(
    env: ServerEnv,
) -> None:
    """Binance caps LIMIT orders by LOT_SIZE's maxQty, MARKET ones by MARKET_LOT_SIZE's."""
    rich = SignedClient(env.server.base_url, "rich-key", "rich-secret")
    env.server.add_account("rich-key", "rich-secret", spot={"USDT": Decimal(5_000_000)},
                           futures={"USDT": Decimal(1_000_000)})  # fmt: skip
    spot = rich.public("/api/v3/exchangeInfo", symbol=BTC).json()["symbols"][0]["filters"]
    lots = {f["filterType"]: f["maxQty"] for f in spot if "maxQty" in f}
    assert lots == {"LOT_SIZE": "9000.00000000", "MARKET_LOT_SIZE": "96.18439117"}
    order = {"symbol": BTC, "side": "BUY", "quantity": "100"}  # above MARKET_LOT_SIZE only
    placed = rich.ok("POST", "/api/v3/order", type="LIMIT", timeInForce="GTC", price="39000",
                     **order)  # fmt: skip
    assert (placed["status"], placed["origQty"]) == ("NEW", "100.00000000")
    market = rich.signed("POST", "/api/v3/order", type="MARKET", **order).json()
    assert market == {"code": -1013, "msg": "Filter failure: MARKET_LOT_SIZE"}
    too_big = rich.signed("POST", "/api/v3/order", type="LIMIT", timeInForce="GTC",
                          price="39000", **{**order, "quantity": "9000.00001"}).json()  # fmt: skip
    assert too_big == {"code": -1013, "msg": "Filter failure: LOT_SIZE"}
    # USDⓈ-M: MARKET_LOT_SIZE 2,000 BTC, LOT_SIZE 20,000; at 125x, 2,500 BTC rests on margin.
    rich.ok("POST", "/fapi/v1/leverage", symbol=BTC, leverage=125)
    bid = rich.ok("POST", "/fapi/v1/order", type="LIMIT", timeInForce="GTC", price="39000",
                  **{**order, "quantity": "2500"})  # fmt: skip
    assert bid["status"] == "NEW"
    over = {"code": -4005, "msg": "Quantity greater than max quantity."}
    assert rich.signed("POST", "/fapi/v1/order", type="MARKET",
                       **{**order, "quantity": "2500"}).json() == over  # fmt: skip
    assert rich.signed("POST", "/fapi/v1/order", type="LIMIT", timeInForce="GTC", price="39000",
                       **{**order, "quantity": "20001"}).json() == over  # fmt: skip
    rich.close()


def test_a_resting_futures_limit_sets_its_margin_aside_until_it_fills_or_is_canceled(
    env: ServerEnv,
) -> None:
    def margins() -> tuple[str, str, str]:
        account = env.client.ok("GET", "/fapi/v3/account")
        assert isinstance(account, dict)
        return (account["totalOpenOrderInitialMargin"], account["totalInitialMargin"],
                account["availableBalance"])  # fmt: skip

    bid = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": "39000"}
    ok(env, "POST", "/fapi/v1/order", quantity="0.2", newClientOrderId="big", **bid)
    assert margins() == ("7800", "7800", "2200")  # 0.2 x 39,000 at 1x, out of 10,000
    # What is set aside is not there for the next order, resting or MARKET.
    assert refusal(env, "POST", "/fapi/v1/order", quantity="0.06", **bid) == (
        -2019, "Margin is insufficient.",
    )  # fmt: skip
    assert refusal(env, "POST", "/fapi/v1/order", side="BUY", type="MARKET",
                   quantity="0.06")[0] == -2019  # fmt: skip
    ok(env, "DELETE", "/fapi/v1/order", origClientOrderId="big")
    assert margins() == ("0", "0", "10000")
    ok(env, "POST", "/fapi/v1/order", quantity="0.01", newClientOrderId="small",
       **{**bid, "price": "39950"})  # fmt: skip
    assert margins() == ("399.5", "399.5", "9600.5")
    env.clock.at_minute(2)  # minute 1's low 39,900 filled it: the position's margin now
    (risk,) = env.client.ok("GET", "/fapi/v3/positionRisk")
    assert (risk["positionInitialMargin"], risk["openOrderInitialMargin"]) == ("400.5", "0")
    assert margins()[0] == "0"  # (the position's margin at the mark now, 40,050)

"""python-binance and binance-connector against the server: only the base URL differs.

The compatibility suite's other two clients (ccxt: test_binance_server_ccxt.py). Every
URL a client would send to Binance is pointed at the server (so nothing leaves the
loopback), and the client runs its ordinary calls unchanged.
"""

from __future__ import annotations

import json
import queue
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException
from binance.spot import Spot
from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient

from tests.binance_wire import API_KEY, API_SECRET, ServerEnv, running_server
from tests.waiting import SAFETY_S

BTC = "BTCUSDT"


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server() as running:
        yield running


def python_binance(base_url: str) -> Any:
    """A python-binance Client whose every REST URL points at `base_url` (no ping at start)."""
    client = Client(API_KEY, API_SECRET, ping=False)
    for name in dir(client):
        value = getattr(client, name)
        if name.endswith("_URL") and isinstance(value, str) and value.startswith("http"):
            setattr(client, name, base_url + urlsplit(value).path)
    return client


def test_python_binance_spot_calls(env: ServerEnv) -> None:
    client = python_binance(env.server.base_url)
    client.ping()
    assert client.get_symbol_info(BTC)["filters"][0]["filterType"] == "PRICE_FILTER"
    assert client.get_symbol_ticker(symbol=BTC)["price"] == "40000.00000000"
    assert {t["symbol"] for t in client.get_all_tickers()} == {BTC}  # the others have no market
    assert client.get_order_book(symbol=BTC, limit=5)["bids"][0][0] == "40000.00000000"
    assert client.get_avg_price(symbol=BTC)["price"] == "40000.00000000"
    assert client.get_ticker(symbol=BTC)["lastPrice"] == "40000.00000000"
    # From long before the data: the earliest candles, not an empty list.
    assert len(client.get_historical_klines(BTC, "1m", "1 Jan 2020")) == 2
    assert len(client.get_recent_trades(symbol=BTC)) == 1
    assert len(client.get_aggregate_trades(symbol=BTC)) == 1
    assert client.get_asset_balance(asset="USDT")["free"] == "10000.00000000"
    assert client.order_market_buy(symbol=BTC, quantity="0.01")["status"] == "FILLED"
    assert client.create_test_order(symbol=BTC, side="BUY", type="MARKET", quantity="0.01") == {}
    client.create_order(
        symbol=BTC, side="SELL", type="STOP_LOSS", quantity="0.005", stopPrice="39000"
    )
    oco = client.create_oco_order(  # 0.00999 BTC held: the BUY's fee is taken in BTC
        symbol=BTC, side="SELL", quantity="0.0049", aboveType="TAKE_PROFIT",
        aboveStopPrice="41500", belowType="STOP_LOSS", belowStopPrice="38000",
    )  # fmt: skip
    assert len(oco["orders"]) == 2
    assert len(client.get_open_orders(symbol=BTC)) == 3
    assert len(client.get_all_orders(symbol=BTC)) == 4
    client.cancel_all_open_orders(symbol=BTC)
    assert client.get_open_orders(symbol=BTC) == []
    assert len(client.get_my_trades(symbol=BTC)) == 1
    client.universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount="10")
    assert client.query_universal_transfer_history(type="MAIN_UMFUTURE")["total"] == 1
    assert {a["asset"] for a in client.get_user_asset()} == {"BTC", "USDT"}


def test_python_binance_futures_calls(env: ServerEnv) -> None:
    client = python_binance(env.server.base_url)
    assert client.futures_order_book(symbol=BTC, limit=5)["asks"][0][0] == "40000.1"
    assert client.futures_mark_price(symbol=BTC)["markPrice"] == "40000"
    assert client.futures_symbol_ticker(symbol=BTC)["price"] == "40000"
    assert len(client.futures_klines(symbol=BTC, interval="1m", limit=3)) == 2
    client.futures_change_leverage(symbol=BTC, leverage=5)
    client.futures_change_margin_type(symbol=BTC, marginType="ISOLATED")
    assert client.futures_get_position_mode() == {"dualSidePosition": False}
    client.futures_create_order(symbol=BTC, side="BUY", type="MARKET", quantity="0.01")
    (position,) = client.futures_position_information(symbol=BTC)
    assert position["positionAmt"] == "0.01"
    # python-binance sends conditional orders to the algo endpoint, as Binance requires.
    stop = client.futures_create_order(
        symbol=BTC, side="SELL", type="STOP_MARKET", quantity="0.01", stopPrice="39000"
    )
    assert stop["algoStatus"] == "NEW"
    assert client.futures_account()["totalWalletBalance"] == "9999.84"  # after commission
    assert [i["incomeType"] for i in client.futures_income_history()] == ["COMMISSION"]
    assert len(client.futures_account_trades(symbol=BTC)) == 1
    client.futures_cancel_all_open_orders(symbol=BTC)  # regular orders: the stop stays
    assert len(client.futures_get_open_orders(symbol=BTC, conditional=True)) == 1
    client.futures_cancel_all_open_orders(symbol=BTC, conditional=True)  # algoOpenOrders
    assert client.futures_get_open_orders(symbol=BTC, conditional=True) == []


def test_python_binance_limit_orders_and_a_limit_maker_stop_limit_oco(env: ServerEnv) -> None:
    client = python_binance(env.server.base_url)
    client.order_market_buy(symbol=BTC, quantity="0.01002")  # 0.01000998 held after the fee
    bid = client.order_limit_buy(symbol=BTC, quantity="0.01", price="39950")
    assert (bid["status"], bid["type"], bid["timeInForce"]) == ("NEW", "LIMIT", "GTC")
    with pytest.raises(BinanceAPIException) as caught:
        client.create_order(
            symbol=BTC, side="SELL", type="LIMIT_MAKER", quantity="0.01", price="39900"
        )
    assert (caught.value.code, caught.value.message) == (
        -2010, "Order would immediately match and take.",
    )  # fmt: skip
    oco = client.create_oco_order(
        symbol=BTC, side="SELL", quantity="0.01", aboveType="LIMIT_MAKER", abovePrice="41500",
        belowType="STOP_LOSS_LIMIT", belowStopPrice="39000", belowPrice="38900",
        belowTimeInForce="GTC",
    )  # fmt: skip
    assert [r["type"] for r in oco["orderReports"]] == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    env.clock.at_minute(3)  # the bid fills in minute 1; minute 2 falls through the stop
    assert client.get_order(symbol=BTC, orderId=bid["orderId"])["status"] == "FILLED"
    stop, target = (client.get_order(symbol=BTC, orderId=o["orderId"]) for o in oco["orders"])
    assert (stop["status"], stop["cummulativeQuoteQty"]) == ("FILLED", "390.00000000")
    assert target["status"] == "CANCELED"
    assert client.get_open_orders(symbol=BTC) == []


def test_python_binance_futures_limit_and_stop_limit_orders(env: ServerEnv) -> None:
    client = python_binance(env.server.base_url)
    bid = client.futures_create_order(
        symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="39950"
    )
    assert [o["orderId"] for o in client.futures_get_open_orders(symbol=BTC)] == [bid["orderId"]]
    # Flat, a SELL STOP with a limit price: python-binance sends it to the algo endpoint.
    stop = client.futures_create_order(
        symbol=BTC, side="SELL", type="STOP", quantity="0.01", stopPrice="39000",
        price="38900", timeInForce="GTC",
    )  # fmt: skip
    assert (stop["algoStatus"], stop["price"]) == ("NEW", "38900")
    env.clock.at_minute(3)  # the bid fills in minute 1, the stop in minute 2: flat again
    assert client.futures_get_order(symbol=BTC, orderId=bid["orderId"])["status"] == "FILLED"
    assert client.futures_position_information(symbol=BTC) == []  # v3: open positions only
    trades = client.futures_account_trades(symbol=BTC)
    assert [(t["side"], t["price"], t["maker"]) for t in trades] == [
        ("BUY", "39950", True), ("SELL", "39000", False),
    ]  # fmt: skip


def test_binance_connector_spot_calls(env: ServerEnv) -> None:
    spot = Spot(API_KEY, API_SECRET, base_url=env.server.base_url)
    assert [s["symbol"] for s in spot.exchange_info(symbol=BTC)["symbols"]] == [BTC]
    assert spot.depth(BTC, limit=5)["asks"][0][0] == "40000.01000000"
    assert spot.book_ticker(BTC)["bidPrice"] == "40000.00000000"
    assert spot.ticker_24hr(BTC)["lastPrice"] == "40000.00000000"
    assert len(spot.klines(BTC, "1m", limit=3)) == 2
    assert spot.new_order(BTC, "BUY", "MARKET", quantity="0.01")["status"] == "FILLED"
    assert spot.new_order_test(BTC, "BUY", "MARKET", quantity="0.01") == {}
    spot.new_order(BTC, "SELL", "STOP_LOSS", quantity="0.005", stopPrice="39000")
    assert len(spot.get_open_orders(BTC)) == 1
    assert len(spot.cancel_open_orders(BTC)) == 1
    assert len(spot.get_orders(BTC)) == 2
    assert len(spot.my_trades(BTC)) == 1
    spot.user_universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount="1")
    assert "USDT" in {c["coin"] for c in spot.coin_info()}
    assert [a["asset"] for a in spot.user_asset(asset="BTC")] == ["BTC"]
    # The stop counts (placed unfilled; cancelling does not give it back), the buy does not.
    assert [c["count"] for c in spot.get_order_rate_limit()] == [1, 1]


def test_binance_connector_streams_market_and_user_data(env: ServerEnv) -> None:
    received: queue.Queue[dict[str, object]] = queue.Queue()

    def on_message(_client: object, message: str) -> None:
        received.put(json.loads(message))

    seen: list[dict[str, object]] = []

    def wait_for(test: Callable[[dict[str, object]], bool]) -> dict[str, object]:
        """The first message, received so far or to come, that passes."""
        while not any(test(m) for m in seen):
            seen.append(received.get(timeout=SAFETY_S))
        return next(m for m in seen if test(m))

    spot = Spot(API_KEY, API_SECRET, base_url=env.server.base_url)
    key = spot.new_listen_key()["listenKey"]
    stream = SpotWebsocketStreamClient(stream_url=env.server.stream_url, on_message=on_message)
    try:
        stream.kline(symbol="btcusdt", interval="1m", id=1)
        stream.user_data(listen_key=key, id=2)
        assert wait_for(lambda m: m.get("id") == 2) == {"result": None, "id": 2}
        kline = wait_for(lambda m: m.get("e") == "kline")
        assert kline["s"] == BTC
        spot.new_order(BTC, "BUY", "MARKET", quantity="0.01")
        report = wait_for(lambda m: m.get("e") == "executionReport" and m.get("X") == "FILLED")
        assert report["L"] == "40000.00000000"
        spot.renew_listen_key(key)
    finally:
        stream.stop()
    spot.close_listen_key(key)

"""ccxt, with its default options, against the server: only the base URL differs from Binance.

The compatibility suite's ccxt part: `load_markets` as ccxt does it by default (spot,
USDⓈ-M and COIN-M exchangeInfo, margin pairs, the coin list), then the ordinary calls of a
bot: market data, the account, MARKET orders and resting exits, cancels, transfers, and
on USDⓈ-M leverage, margin mode, positions and conditional orders.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import ccxt
import pytest

from tests.binance_wire import API_KEY, API_SECRET, ServerEnv, running_server

SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"


def pointed_at(exchange: Any, base_url: str) -> Any:
    """Send every request of `exchange` to the server, keeping Binance's paths."""
    for name, url in list(exchange.urls["api"].items()):
        if isinstance(url, str):
            exchange.urls["api"][name] = base_url + urlsplit(url).path
    return exchange


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server() as running:
        yield running


def test_ccxt_spot_with_default_options(env: ServerEnv) -> None:
    binance = pointed_at(
        ccxt.binance({"apiKey": API_KEY, "secret": API_SECRET}), env.server.base_url
    )
    markets = binance.load_markets()
    assert markets[SPOT]["precision"]["price"] == 0.01
    assert "USDT" in binance.currencies
    assert binance.fetch_ticker(SPOT)["last"] == 40_000
    book = binance.fetch_order_book(SPOT, 5)
    assert book["bids"][0][0] < book["asks"][0][0]
    assert len(binance.fetch_ohlcv(SPOT, "1h", limit=3)) == 1
    assert binance.fetch_trades(SPOT, limit=3)[0]["price"] == 40_000
    assert binance.fetch_balance()["USDT"]["free"] == 10_000
    bought = binance.create_order(SPOT, "market", "buy", 0.01)
    assert (bought["status"], bought["filled"], bought["average"]) == ("closed", 0.01, 40_000)
    # 0.00999 BTC held: the BUY's fee is taken in BTC, as on Binance without BNB.
    stop = binance.create_order(SPOT, "STOP_LOSS", "sell", 0.0049, None, {"stopPrice": 39_000})
    target = binance.create_order(SPOT, "TAKE_PROFIT", "sell", 0.0049, None, {"stopPrice": 41_500})
    assert {o["id"] for o in binance.fetch_open_orders(SPOT)} == {stop["id"], target["id"]}
    assert binance.fetch_order(stop["id"], SPOT)["status"] == "open"
    binance.cancel_order(stop["id"], SPOT)
    assert [o["id"] for o in binance.fetch_open_orders(SPOT)] == [target["id"]]
    binance.cancel_all_orders(SPOT)
    assert binance.fetch_open_orders(SPOT) == []
    assert len(binance.fetch_orders(SPOT)) == 3
    (trade,) = binance.fetch_my_trades(SPOT)
    assert trade["order"] == bought["id"]
    with pytest.raises(ccxt.InvalidOrder):  # Binance: "Order would trigger immediately."
        binance.create_order(SPOT, "STOP_LOSS", "sell", 0.005, None, {"stopPrice": 40_500})
    moved = binance.transfer("USDT", 10, "spot", "swap")
    assert moved["id"]
    (history,) = binance.fetch_transfers("USDT", params={"type": "MAIN_UMFUTURE"})
    assert history["amount"] == 10


def test_ccxt_usdm_futures_with_default_options(env: ServerEnv) -> None:
    usdm = pointed_at(
        ccxt.binanceusdm({"apiKey": API_KEY, "secret": API_SECRET}), env.server.base_url
    )
    usdm.load_markets()
    assert usdm.fetch_ticker(PERP)["last"] == 40_000
    usdm.set_leverage(5, PERP)
    usdm.set_margin_mode("isolated", PERP)
    assert usdm.fetch_position_mode(PERP)["hedged"] is False
    assert usdm.fetch_balance()["USDT"]["free"] == 10_000
    usdm.create_order(PERP, "market", "buy", 0.01)
    (position,) = usdm.fetch_positions([PERP])
    assert (position["contracts"], position["side"], position["entryPrice"]) == (
        0.01,
        "long",
        40_000,
    )
    stop = usdm.create_order(
        PERP, "STOP_MARKET", "sell", 0.01, None, {"stopPrice": 39_000, "reduceOnly": True}
    )
    assert stop["id"]
    with pytest.raises(ccxt.ExchangeError, match="-2021"):
        usdm.create_order(
            PERP, "STOP_MARKET", "sell", 0.01, None, {"stopPrice": 40_500, "reduceOnly": True}
        )
    assert usdm.fetch_funding_rate(PERP)["fundingRate"] == 0
    assert usdm.fetch_trading_fee(PERP)["taker"] > 0
    assert len(usdm.fetch_my_trades(PERP)) == 1
    assert usdm.fetch_leverage_tiers([PERP])[PERP][0]["maxLeverage"] == 125


def test_ccxt_limit_orders_rest_and_fill_on_the_candles(env: ServerEnv) -> None:
    binance = pointed_at(
        ccxt.binance({"apiKey": API_KEY, "secret": API_SECRET}), env.server.base_url
    )
    binance.load_markets()
    binance.create_order(SPOT, "market", "buy", 0.01)
    bid = binance.create_order(SPOT, "limit", "buy", 0.01, 39_950)
    assert (bid["status"], bid["price"], bid["timeInForce"]) == ("open", 39_950, "GTC")
    with pytest.raises(ccxt.OrderImmediatelyFillable):  # a post-only (LIMIT_MAKER) that crosses
        binance.create_order(SPOT, "limit", "buy", 0.01, 40_500, {"postOnly": True})
    stop = binance.create_order(
        SPOT, "STOP_LOSS_LIMIT", "sell", 0.005, 38_900, {"stopPrice": 39_000}
    )
    assert {o["id"] for o in binance.fetch_open_orders(SPOT)} == {bid["id"], stop["id"]}
    assert binance.fetch_balance()["BTC"]["used"] == 0.005
    env.clock.at_minute(3)  # minute 1 reached the bid; minute 2 fell through the stop
    filled = binance.fetch_order(bid["id"], SPOT)
    assert (filled["status"], filled["average"]) == ("closed", 39_950)
    fired = binance.fetch_order(stop["id"], SPOT)
    assert (fired["status"], fired["average"]) == ("closed", 39_000)
    # The legacy OCO through ccxt's implicit API: a LIMIT_MAKER and a STOP_LOSS_LIMIT.
    oco = binance.private_post_order_oco(
        {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.01", "price": "39000",
         "stopPrice": "38000", "stopLimitPrice": "37900", "stopLimitTimeInForce": "GTC"}
    )  # fmt: skip
    assert [r["type"] for r in oco["orderReports"]] == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    binance.cancel_all_orders(SPOT)
    assert binance.fetch_open_orders(SPOT) == []


def test_ccxt_usdm_limit_and_conditional_limit_orders(env: ServerEnv) -> None:
    usdm = pointed_at(
        ccxt.binanceusdm({"apiKey": API_KEY, "secret": API_SECRET}), env.server.base_url
    )
    usdm.load_markets()
    bid = usdm.create_order(PERP, "limit", "buy", 0.01, 39_950)
    assert [o["id"] for o in usdm.fetch_open_orders(PERP)] == [bid["id"]]
    with pytest.raises(ccxt.InvalidOrder, match="-5022"):  # a GTX that would cross
        usdm.create_order(PERP, "limit", "buy", 0.01, 40_500, {"postOnly": True})
    # Flat, not reduce-only: Binance rests it, and so does the server.
    entry = usdm.create_order(PERP, "STOP", "buy", 0.01, 41_100, {"stopPrice": 41_000})
    assert entry["id"]
    env.clock.at_minute(5)
    assert usdm.fetch_order(bid["id"], PERP)["status"] == "closed"
    (position,) = usdm.fetch_positions([PERP])
    assert (position["contracts"], position["side"]) == (0.02, "long")
    assert usdm.fetch_open_orders(PERP) == []

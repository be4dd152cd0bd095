"""Answers in Binance's shapes: what exchangeInfo lists and filters, field types, flags."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.binance_wire import ServerEnv, running_server

BTC = "BTCUSDT"


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server() as running:
        yield running


def names(info: object) -> list[str]:
    assert isinstance(info, dict)
    return [s["symbol"] for s in info["symbols"]]


def test_spot_exchange_info_answers_the_symbols_or_permissions_asked(env: ServerEnv) -> None:
    everything = names(env.client.public("/api/v3/exchangeInfo").json())
    assert len(everything) > 2
    asked = env.client.public("/api/v3/exchangeInfo", symbols='["ETHUSDT","BTCUSDT"]').json()
    assert names(asked) == ["ETHUSDT", "BTCUSDT"]
    assert names(env.client.public("/api/v3/exchangeInfo", symbol="ethusdt").json()) == ["ETHUSDT"]
    assert names(env.client.public("/api/v3/exchangeInfo", permissions="SPOT").json()) == (
        everything
    )
    margin = env.client.public("/api/v3/exchangeInfo", permissions='["MARGIN","LEVERAGED"]')
    assert names(margin.json()) == []
    unknown = env.client.public("/api/v3/exchangeInfo", symbols='["BTCUSDT","NOPEUSDT"]')
    assert (unknown.status_code, unknown.json()) == (400, {"code": -1121, "msg": "Invalid symbol."})
    malformed = env.client.public("/api/v3/exchangeInfo", symbols="BTCUSDT,ETHUSDT")
    assert (malformed.status_code, malformed.json()["code"]) == (400, -1100)


def test_exchange_info_lists_only_the_order_types_the_server_serves(env: ServerEnv) -> None:
    (spot,) = env.client.public("/api/v3/exchangeInfo", symbol=BTC).json()["symbols"]
    assert spot["orderTypes"] == [
        "LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
        "TAKE_PROFIT_LIMIT",
    ]  # fmt: skip
    assert (spot["icebergAllowed"], spot["ocoAllowed"], spot["otoAllowed"]) == (
        False,
        True,
        False,
    )
    futures = env.client.public("/fapi/v1/exchangeInfo").json()["symbols"]
    btc = next(s for s in futures if s["symbol"] == BTC)
    assert btc["orderTypes"] == [
        "LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
        "TRAILING_STOP_MARKET",
    ]  # fmt: skip
    assert btc["marginAsset"] == "USDT"
    # Every time in force listed is served: GTD (-1014 here) is not listed.
    assert btc["timeInForce"] == ["GTC", "IOC", "FOK", "GTX"]


def test_an_algo_order_says_reduce_only_only_when_asked(env: ServerEnv) -> None:
    env.client.ok("POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.02")
    common = {"algoType": "CONDITIONAL", "symbol": BTC, "side": "SELL", "quantity": "0.01"}
    plain = env.client.ok(
        "POST", "/fapi/v1/algoOrder", type="STOP_MARKET", triggerPrice="39000", **common
    )
    asked = env.client.ok(
        "POST", "/fapi/v1/algoOrder", type="STOP_MARKET", triggerPrice="38000",
        reduceOnly="true", **common,
    )  # fmt: skip
    assert isinstance(plain, dict)
    assert isinstance(asked, dict)
    assert (plain["reduceOnly"], asked["reduceOnly"]) == (False, True)
    opened = env.client.ok(
        "POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.01",
        newOrderRespType="RESULT",
    )  # fmt: skip
    assert isinstance(opened, dict)
    assert opened["reduceOnly"] is False


def test_a_close_position_stop_rests_for_the_whole_position(env: ServerEnv) -> None:
    common = {"algoType": "CONDITIONAL", "symbol": BTC, "side": "SELL", "type": "STOP_MARKET",
              "triggerPrice": "39000", "closePosition": "true"}  # fmt: skip
    refused = env.client.signed("POST", "/fapi/v1/algoOrder", **common)
    assert (refused.status_code, refused.json()["code"]) == (400, -2022)  # nothing to close
    env.client.ok("POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="MARKET", quantity="0.03")
    both = env.client.signed("POST", "/fapi/v1/algoOrder", quantity="0.01", **common)
    assert both.json() == {"code": -1106, "msg": "Parameter 'quantity' sent when not required."}
    stop = env.client.ok("POST", "/fapi/v1/algoOrder", **common)
    assert isinstance(stop, dict)
    assert (stop["closePosition"], stop["quantity"]) == (True, "0.03")

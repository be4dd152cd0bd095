"""The Binance adapter over real HTTP: clock skew, lost answers, transient -2013, 429."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest

from tests.binance_wire import SignedClient
from tests.market_script import MINUTE, T0, ManualClock, flat_candles, same_candles_for_both_markets
from tradewind.adapters.exchange.binance.errors import BinanceRejected
from tradewind.adapters.exchange.binance.exchange import BinanceExchange
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.simulated import CandlesPriceFeed, SimulatedVenue
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.errors import OutcomeUnknown
from tradewind.domain.orders import (
    ClientOrderId,
    OrderPurpose,
    OrderRequest,
    OrderStatus,
    ProtectionRequest,
)
from tradewind.domain.types import PositionSide, PositionType, Side
from tradewind.ports import AccountAccess
from tradewind.testkit.binance_server.faults import Fault, FaultMode
from tradewind.testkit.binance_server.server import BinanceServer

SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES


@pytest.fixture
def server() -> Iterator[BinanceServer]:
    clock = ManualClock(T0 + MINUTE)
    feed = CandlesPriceFeed(same_candles_for_both_markets("BTCUSDT", flat_candles("40000", 10)))
    with BinanceServer(SimulatedVenue(feed, clock, seed=1), seed=1) as running:
        running.add_account("key", "secret", spot={"USDT": Decimal(10_000)})
        yield running


def adapter(server: BinanceServer, **options: object) -> BinanceExchange:
    settings = BinanceOptions(
        url=server.base_url, timeout=30, lookup_delay=0.01, retry_backoff_base=0.01, seed=1
    )
    for name, value in options.items():
        object.__setattr__(settings, name, value)
    return BinanceExchanges(settings).for_account(
        AccountAccess(1, ExchangeKind.BINANCE, "key", "secret")
    )


def buy(exchange: BinanceExchange, client_id: str) -> object:
    return exchange.place_market_order(
        OrderRequest(ClientOrderId(client_id), "BTCUSDT", SPOT, Side.BUY, Decimal("0.01"))
    )


def requests_to(server: BinanceServer, path: str) -> int:
    counted = server.stats()["requests"]
    assert isinstance(counted, dict)
    return int(counted.get(path, 0))


@pytest.mark.parametrize(
    ("quantity", "code"),
    [("0.000015", -1013), ("0.00001", -1013), ("1", -2010)],  # step, notional, balance
)
def test_a_refused_order_keeps_binances_code(
    server: BinanceServer, quantity: str, code: int
) -> None:
    order = OrderRequest(ClientOrderId("refused"), "BTCUSDT", SPOT, Side.BUY, Decimal(quantity))
    with pytest.raises(BinanceRejected) as caught:
        adapter(server).place_market_order(order)
    assert caught.value.code == code


def test_a_leverage_outside_the_bracket_keeps_binances_code(server: BinanceServer) -> None:
    with pytest.raises(BinanceRejected) as caught:
        adapter(server).set_leverage("BTCUSDT", 0)
    assert caught.value.code == -4028


def test_a_server_clock_ahead_is_met_by_resyncing_the_offset(server: BinanceServer) -> None:
    server.set_skew_ms(30_000)  # 30 s: far outside the 5 s recvWindow
    exchange = adapter(server)
    assert exchange.free_balance("USDT", SPOT) == 10_000  # -1021 once, resync, retry
    assert -31_000 < exchange.transport.clock_offset_ms < -29_000
    assert requests_to(server, "GET /api/v3/time") == 1


def test_an_order_whose_answer_is_lost_is_not_resent_but_found(server: BinanceServer) -> None:
    server.add_fault(Fault(FaultMode.TIMEOUT_AFTER_ACCEPT, count=1, hold_ms=0,
                           paths=("POST /api/v3/order",)))  # fmt: skip
    exchange = adapter(server)
    with pytest.raises(OutcomeUnknown):
        buy(exchange, "lost-1")
    assert requests_to(server, "POST /api/v3/order") == 1  # never sent again
    found = exchange.find_order("BTCUSDT", SPOT, ClientOrderId("lost-1"))
    assert found is not None
    assert found.status is OrderStatus.FILLED
    assert found.fee > 0  # its fills read from myTrades


def test_an_order_not_yet_visible_is_looked_up_again(server: BinanceServer) -> None:
    server.add_fault(Fault(FaultMode.TRANSIENT_2013, count=1))
    exchange = adapter(server)
    placed = buy(exchange, "slow-1")
    assert placed is not None
    found = exchange.find_order("BTCUSDT", SPOT, ClientOrderId("slow-1"))  # -2013 first, then found
    assert found is not None
    assert found.status is OrderStatus.FILLED


def test_a_rate_limit_is_waited_out_for_retry_after_by_every_caller(server: BinanceServer) -> None:
    server.add_fault(Fault(FaultMode.CODE_1003, count=1, ms=1_000))
    exchange = adapter(server)
    began = time.monotonic()
    assert exchange.free_balance("USDT", SPOT) == 10_000
    assert time.monotonic() - began >= 1.0  # never sooner than Retry-After: 1 s
    assert requests_to(server, "GET /api/v3/account") == 2  # the 429, then the answer
    governor = exchange.transport.governors.spot
    assert governor.store.blocked_until() > 0  # every other caller was held back too
    assert governor.used() >= 20  # the weight header (20 for /account) is being read


def test_futures_exits_refused_after_one_was_placed_are_an_unknown_outcome(
    server: BinanceServer,
) -> None:
    # The stop-loss rests, the take-profit is refused (it would trigger at once): not a
    # refusal of the whole request, or the resting stop would be recorded as never placed.
    server.add_account("fkey", "fsecret", futures={"USDT": Decimal(10_000)})
    settings = BinanceOptions(url=server.base_url, timeout=30, lookup_delay=0.01, seed=1)
    exchange = BinanceExchanges(settings).for_account(
        AccountAccess(2, ExchangeKind.BINANCE, "fkey", "fsecret")
    )
    exchange.place_market_order(
        OrderRequest(ClientOrderId("f-in"), "BTCUSDT", FUTURES, Side.BUY, Decimal("0.01"))
    )
    stop, target = ClientOrderId("f-1-s0"), ClientOrderId("f-1-t0")
    request = ProtectionRequest(
        symbol="BTCUSDT", position_type=FUTURES, position_side=PositionSide.LONG,
        quantity=Decimal("0.01"), entry_price=Decimal(40_000), stop_loss=Decimal(39_200),
        take_profit=Decimal(30_000), trailing_rate=None,
        ids={OrderPurpose.STOP_LOSS: stop, OrderPurpose.TAKE_PROFIT: target},
    )  # fmt: skip
    with pytest.raises(OutcomeUnknown, match="1 of the position's exits placed"):
        exchange.protect_position(request)
    placed = exchange.find_order("BTCUSDT", FUTURES, stop)
    assert placed is not None
    assert placed.status is OrderStatus.NEW
    assert exchange.find_order("BTCUSDT", FUTURES, target) is None
    assert [o.client_order_id for o in exchange.open_orders("BTCUSDT", FUTURES)] == [stop.value]

    only_target = replace(request, stop_loss=None, ids={OrderPurpose.TAKE_PROFIT: target})
    with pytest.raises(BinanceRejected):  # nothing placed: a plain refusal
        exchange.protect_position(only_target)


def test_open_orders_show_a_futures_book_order_not_ours_and_one_of_ours_can_be_cancelled(
    server: BinanceServer,
) -> None:
    server.add_account("okey", "osecret", futures={"USDT": Decimal(10_000)})
    owner = SignedClient(server.base_url, "okey", "osecret")
    try:
        for client_id, price in (("manual-hedge", "41000"), ("tw9-60-e0", "41500")):
            owner.ok("POST", "/fapi/v1/order", symbol="BTCUSDT", side="SELL", type="LIMIT",
                     timeInForce="GTC", quantity="0.01", price=price,
                     newClientOrderId=client_id)  # fmt: skip
    finally:
        owner.close()
    settings = BinanceOptions(url=server.base_url, timeout=30, lookup_delay=0.01, seed=1)
    exchange = BinanceExchanges(settings).for_account(
        AccountAccess(3, ExchangeKind.BINANCE, "okey", "osecret")
    )
    resting = exchange.open_orders("BTCUSDT", FUTURES)
    assert {(o.client_order_id, o.order_type, o.side, o.quantity) for o in resting} == {
        ("manual-hedge", "LIMIT", Side.SELL, Decimal("0.01")),
        ("tw9-60-e0", "LIMIT", Side.SELL, Decimal("0.01")),
    }
    cancelled = exchange.cancel_order("BTCUSDT", FUTURES, ClientOrderId("tw9-60-e0"))
    assert cancelled is not None
    assert cancelled.status is OrderStatus.CANCELED
    assert [o.client_order_id for o in exchange.open_orders("BTCUSDT", FUTURES)] == ["manual-hedge"]
    assert exchange.cancel_order("BTCUSDT", FUTURES, ClientOrderId("tw9-60-e1")) is None

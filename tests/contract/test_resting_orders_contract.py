"""Resting orders: one table of cases, the same outcome on the simulated venue and on the
Binance-compatible server over HTTP.

The `Exchange` port (the contract of test_exchange_contract.py) has no resting orders:
the bots trade MARKET orders and protective exits only, so no adapter places a LIMIT.
Instead each case here is one order as asked, run twice: on the simulated venue directly
(`RestingOrders.place`) and through the server over real HTTP (Binance's paths and
parameters), each on a fresh account over the same market and clock. Both must agree, in
the venue's terms: refused (and why), or the order's status and fill (price, maker) at
placement and after the market moves, and what it sets aside while it rests. A server
that accepts what the venue refuses, or reads a parameter into a different order, fails
here; the server's own codes and messages are pinned in its integration tests.

The market (tests/binance_wire.py): minute 1 opens at 40,000 (low 39,900), minute 2
falls to 38,000, minute 4 rises to 42,000. The account: 10,000 USDT and 1 BTC on spot,
10,000 USDT of futures at 1x.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import pytest

from tests.binance_wire import MARKET, SignedClient
from tests.market_script import MINUTE, T0, ManualClock
from tests.market_script import same_candles_for_both_markets as both
from tradewind.adapters.exchange.simulated import (
    CandlesPriceFeed,
    Refusal,
    SimulatedVenue,
    VenueRejection,
)
from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.resting_request import RestingRequest
from tradewind.adapters.exchange.simulated.state import Account
from tradewind.adapters.exchange.simulated.state import RestingKind as Kind
from tradewind.adapters.exchange.simulated.state import TimeInForce as Tif
from tradewind.domain.orders import OrderStatus
from tradewind.domain.types import PositionType, Side
from tradewind.testkit.binance_server import BinanceServer

D = Decimal
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
BUY, SELL = Side.BUY, Side.SELL
BTC = "BTCUSDT"
ZERO = D(0)
NEW, FILLED, EXPIRED = OrderStatus.NEW, OrderStatus.FILLED, OrderStatus.EXPIRED
BALANCES = {"spot": {"USDT": D(10_000), "BTC": D(1)}, "futures": {"USDT": D(10_000)}}


@dataclass(frozen=True)
class Seen:
    """An order as a venue shows it: status, fill price, maker, what it sets aside."""

    status: OrderStatus
    price: Decimal | None = None
    maker: bool = False
    aside: Decimal = ZERO


@dataclass(frozen=True)
class Case:
    name: str
    request: RestingRequest
    placed: Seen | Refusal
    later: tuple[int, Seen] | None = None  # the minute the clock moves to, and then


def order(
    market: PositionType, side: Side, kind: Kind, quantity: str, price: str | None = None,
    stop: str | None = None, tif: Tif = Tif.GTC,
) -> RestingRequest:  # fmt: skip
    return RestingRequest(
        "case", BTC, market, side, D(quantity), kind, D(price) if price else None,
        D(stop) if stop else None, tif,
    )  # fmt: skip


CASES = [
    Case("spot limit buy rests, fills at its price as a maker",
         order(SPOT, BUY, Kind.LIMIT, "0.01", "39950"), Seen(NEW, aside=D("399.5")),
         (2, Seen(FILLED, D(39950), maker=True))),
    Case("spot limit buy that crosses fills at the market",
         order(SPOT, BUY, Kind.LIMIT, "0.01", "40500"), Seen(FILLED, D(40000))),
    Case("spot IOC that does not cross expires",
         order(SPOT, BUY, Kind.LIMIT, "0.01", "39000", tif=Tif.IOC), Seen(EXPIRED)),
    Case("spot limit maker that would take is refused",
         order(SPOT, SELL, Kind.LIMIT_MAKER, "0.01", "39900"), Refusal.WOULD_TAKE),
    Case("spot limit maker sell rests on the base",
         order(SPOT, SELL, Kind.LIMIT_MAKER, "0.01", "41000"), Seen(NEW, aside=D("0.01")),
         (5, Seen(FILLED, D(41000), maker=True))),
    Case("spot stop-limit triggers and fills at its stop",
         order(SPOT, SELL, Kind.STOP_LIMIT, "0.01", "38900", stop="39000"),
         Seen(NEW, aside=D("0.01")), (3, Seen(FILLED, D(39000)))),
    Case("spot stop-limit that would trigger at once is refused",
         order(SPOT, SELL, Kind.STOP_LIMIT, "0.01", "40400", stop="40500"),
         Refusal.WOULD_TRIGGER),
    Case("spot take-profit-limit fills on the rise",
         order(SPOT, SELL, Kind.TAKE_PROFIT_LIMIT, "0.01", "41000", stop="41000"),
         Seen(NEW, aside=D("0.01")), (5, Seen(FILLED, D(41000)))),
    Case("spot limit buy beyond the free quote is refused",
         order(SPOT, BUY, Kind.LIMIT, "1", "39000"), Refusal.INSUFFICIENT_BALANCE),
    Case("spot limit above the limit maximum is refused",
         order(SPOT, BUY, Kind.LIMIT, "9000.00001", "39000"), Refusal.ABOVE_MAX_LIMIT_QTY),
    Case("futures limit rests with its margin, fills as a maker",
         order(FUTURES, BUY, Kind.LIMIT, "0.01", "39950"), Seen(NEW, aside=D("399.5")),
         (2, Seen(FILLED, D(39950), maker=True))),
    Case("futures post-only that would take is refused",
         order(FUTURES, BUY, Kind.LIMIT_MAKER, "0.01", "40500"), Refusal.WOULD_TAKE),
    Case("futures limit beyond the margin is refused",
         order(FUTURES, BUY, Kind.LIMIT, "0.3", "39000"), Refusal.INSUFFICIENT_MARGIN),
    Case("futures stop with a price, flat, opens a short",
         order(FUTURES, SELL, Kind.STOP_LIMIT, "0.01", "38900", stop="39000"), Seen(NEW),
         (3, Seen(FILLED, D(39000)))),
    Case("futures stop market, flat, opens a long on the rise",
         order(FUTURES, BUY, Kind.STOP_MARKET, "0.01", stop="41000"), Seen(NEW),
         (5, Seen(FILLED, D(41000)))),
    Case("futures stop market that would trigger at once is refused",
         order(FUTURES, BUY, Kind.STOP_MARKET, "0.01", stop="39000"), Refusal.WOULD_TRIGGER),
]  # fmt: skip


class Venue(Protocol):
    clock: ManualClock

    def place(self, request: RestingRequest) -> set[Refusal]:
        """Place the order; return nothing when accepted, else what the refusal may mean."""

    def look(self, request: RestingRequest) -> Seen: ...


class Direct:
    """The simulated venue, called as the server calls it."""

    def __init__(self, clock: ManualClock, _stack: ExitStack) -> None:
        self.clock = clock
        self.venue = SimulatedVenue(CandlesPriceFeed(both(BTC, MARKET)), clock, seed=1)
        self.venue.account(1, spot_balances=BALANCES["spot"], futures_balances=BALANCES["futures"])

    def place(self, request: RestingRequest) -> set[Refusal]:
        try:
            self.venue.run(
                "case", 1, lambda desk, held, now: desk.resting.place(held, request, now)
            )
        except VenueRejection as e:
            return {e.refusal}
        return set()

    def look(self, request: RestingRequest) -> Seen:
        def read(_desk: Desk, held: Account, _now: int) -> Seen:
            placed = held.find(request.position_type, BTC, request.client_order_id)
            assert placed is not None
            if request.position_type is FUTURES:
                aside = held.order_margin("USDT")
            else:
                aside = held.balance("USDT" if request.side is BUY else "BTC").locked
            price = placed.price if placed.status is FILLED else None
            return Seen(placed.status, price, placed.maker, aside)

        return self.venue.run("look", 1, read)


# Binance's answers to the venue's refusals: the refusals each (code, message) may stand for.
ANSWERS: dict[tuple[int, str], set[Refusal]] = {
    (-2010, "Order would immediately match and take."): {Refusal.WOULD_TAKE},
    (-5022, "Due to the order could not be executed as maker, the Post Only order will be "
            "rejected."): {Refusal.WOULD_TAKE},
    (-2010, "Order would trigger immediately."): {Refusal.WOULD_TRIGGER},
    (-2021, "Order would immediately trigger."): {Refusal.WOULD_TRIGGER},
    (-2010, "Account has insufficient balance for requested action."):
        {Refusal.INSUFFICIENT_BALANCE},
    (-2019, "Margin is insufficient."): {Refusal.INSUFFICIENT_MARGIN},
    (-1013, "Filter failure: LOT_SIZE"):
        {Refusal.ABOVE_MAX_LIMIT_QTY, Refusal.BELOW_MIN_QTY, Refusal.QUANTITY_OFF_STEP},
}  # fmt: skip
_SPOT_TYPES = {
    Kind.LIMIT: "LIMIT",
    Kind.LIMIT_MAKER: "LIMIT_MAKER",
    Kind.STOP_LIMIT: "STOP_LOSS_LIMIT",
    Kind.TAKE_PROFIT_LIMIT: "TAKE_PROFIT_LIMIT",
}
_ALGO_TYPES = {
    Kind.STOP_LIMIT: "STOP",
    Kind.TAKE_PROFIT_LIMIT: "TAKE_PROFIT",
    Kind.STOP_MARKET: "STOP_MARKET",
    Kind.TAKE_PROFIT_MARKET: "TAKE_PROFIT_MARKET",
}


def wire(request: RestingRequest) -> tuple[str, dict[str, str]]:
    """The path and parameters a Binance client sends for `request`."""
    kind = request.kind
    params = {"symbol": BTC, "side": request.side.value, "quantity": str(request.quantity)}
    if request.limit_price is not None:
        params["price"] = str(request.limit_price)
    if kind is not Kind.LIMIT_MAKER and kind.limit:
        params["timeInForce"] = request.time_in_force.value
    if request.position_type is SPOT:
        if request.stop_price is not None:
            params["stopPrice"] = str(request.stop_price)
        return "/api/v3/order", {**params, "type": _SPOT_TYPES[kind], "newClientOrderId": "case"}
    if kind in _ALGO_TYPES:
        assert request.stop_price is not None
        return "/fapi/v1/algoOrder", {
            **params, "algoType": "CONDITIONAL", "type": _ALGO_TYPES[kind],
            "triggerPrice": str(request.stop_price), "clientAlgoId": "case",
        }  # fmt: skip
    tif = "GTX" if kind is Kind.LIMIT_MAKER else request.time_in_force.value
    return "/fapi/v1/order", {**params, "type": "LIMIT", "timeInForce": tif,
                              "newClientOrderId": "case"}  # fmt: skip


class OverHttp:
    """The Binance-compatible server over its own venue, called as a Binance client would."""

    def __init__(self, clock: ManualClock, stack: ExitStack) -> None:
        self.clock = clock
        venue = SimulatedVenue(CandlesPriceFeed(both(BTC, MARKET)), clock, seed=1)
        server = stack.enter_context(BinanceServer(venue, seed=1))
        server.add_account("case-key", "case-secret", **BALANCES)
        self.client = SignedClient(server.base_url, "case-key", "case-secret")
        stack.callback(self.client.close)

    def place(self, request: RestingRequest) -> set[Refusal]:
        path, params = wire(request)
        answer = self.client.signed("POST", path, **params)
        if answer.status_code == 200:
            return set()
        body = answer.json()
        refusals = ANSWERS.get((body["code"], body["msg"]))
        assert refusals, f"an answer the venue never gives: {body}"
        return refusals

    def look(self, request: RestingRequest) -> Seen:
        get = self.client.ok
        if request.position_type is SPOT:
            placed = get("GET", "/api/v3/order", symbol=BTC, origClientOrderId="case")
            trades = get("GET", "/api/v3/myTrades", symbol=BTC)
            balances = {b["asset"]: b for b in get("GET", "/api/v3/account")["balances"]}
            aside = D(balances["USDT" if request.side is BUY else "BTC"]["locked"])
        else:
            placed = self._futures_order(request)
            trades = get("GET", "/fapi/v1/userTrades", symbol=BTC)
            aside = D(get("GET", "/fapi/v3/account")["totalOpenOrderInitialMargin"])
        status = OrderStatus(placed["status"]) if placed else NEW
        if status is not FILLED:
            return Seen(status, aside=aside)
        (trade,) = [t for t in trades if t["orderId"] == placed["orderId"]]
        maker = trade["isMaker"] if request.position_type is SPOT else trade["maker"]
        return Seen(status, D(trade["price"]), maker, aside)

    def _futures_order(self, request: RestingRequest) -> Any:
        """The futures order behind `request`; None for an algo order not yet triggered."""
        if request.kind not in _ALGO_TYPES:
            return self.client.ok("GET", "/fapi/v1/order", symbol=BTC, origClientOrderId="case")
        algo = self.client.ok("GET", "/fapi/v1/algoOrder", clientAlgoId="case")
        if algo["algoStatus"] == "NEW":
            return None
        return self.client.ok("GET", "/fapi/v1/order", symbol=BTC, orderId=algo["actualOrderId"])


VENUES = {"simulated": Direct, "binance-server": OverHttp}


@pytest.fixture(params=sorted(VENUES))
def venue(request: pytest.FixtureRequest) -> Iterator[Venue]:
    clock = ManualClock(T0 + MINUTE)  # minute 1 has opened: the price now is 40,000
    with ExitStack() as stack:
        yield VENUES[request.param](clock, stack)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_same_order_has_the_same_outcome_on_the_venue_and_the_server(
    venue: Venue, case: Case
) -> None:
    refusals = venue.place(case.request)
    if isinstance(case.placed, Refusal):
        assert case.placed in refusals
        return
    assert refusals == set()
    assert venue.look(case.request) == case.placed
    if case.later is not None:
        minute, seen = case.later
        venue.clock.at_minute(minute)
        assert venue.look(case.request) == seen

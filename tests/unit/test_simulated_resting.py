"""Resting orders on the simulated venue: LIMIT, LIMIT_MAKER, stop-limit, OCO lists, and
futures conditional orders when flat; filled by the rule of docs/strategy.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import pytest

from tests.market_script import MINUTE, T0, ManualClock, minute_candles
from tests.market_script import same_candles_for_both_markets as both
from tradewind.adapters.exchange.simulated import (
    CandlesPriceFeed,
    Refusal,
    SimulatedVenue,
    VenueRejection,
)
from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.resting_request import RestingRequest
from tradewind.adapters.exchange.simulated.state import Account, RestingKind, SimOrder
from tradewind.adapters.exchange.simulated.state import TimeInForce as Tif
from tradewind.domain.orders import OrderStatus
from tradewind.domain.types import PositionSide, PositionType, Side

D = Decimal
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
T = TypeVar("T")
RATE = D("0.001")
MARKET = minute_candles(
    [
        ("100", "101", "99", "100.5"),
        ("101", "102", "100", "101.5"),
        ("102", "103", "101", "102.5"),
        ("99", "99.5", "95", "96"),  # a gap down from 102.5
        ("96", "97", "94", "95"),
        ("95", "100", "95", "99"),
    ]
)


class Paper:
    """One account on a venue over MARKET, the clock at minute 1 (price now 101)."""

    def __init__(self, snapshot: str | None = None) -> None:
        self.clock = ManualClock(T0 + MINUTE)
        feed = CandlesPriceFeed(both("BTCUSDT", MARKET))
        self.venue = SimulatedVenue(
            feed, self.clock, seed=3, fee_rates={SPOT: RATE, FUTURES: RATE}, snapshot=snapshot
        )
        self.venue.account(
            1, spot_balances={"USDT": D(10_000), "BTC": D(2)}, futures_balances={"USDT": D(1000)}
        )

    def run(self, action: Callable[[Desk, Account, int], T]) -> T:
        return self.venue.run("test", 1, action)

    def place(self, request: RestingRequest) -> SimOrder:
        return self.run(lambda desk, held, now: desk.resting.place(held, request, now))

    def held(self) -> Account:
        return self.run(lambda _desk, held, _now: held)

    def at_minute(self, index: int) -> Account:
        self.clock.at_minute(index)
        return self.held()


def limit(
    side: Side,
    price: str,
    kind: RestingKind = RestingKind.LIMIT,
    stop: str | None = None,
    market: PositionType = SPOT,
    cid: str = "a",
    **more: object,
) -> RestingRequest:
    return RestingRequest(
        cid, "BTCUSDT", market, side, D(1), kind,
        limit_price=D(price) if price else None, stop_price=D(stop) if stop else None,
        **more,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_resting_buy_locks_its_cost_and_fills_at_its_price_when_the_low_reaches_it() -> None:
    paper = Paper()
    order = paper.place(limit(Side.BUY, "100.50"))
    usdt = paper.held().spot["USDT"]
    assert order.status is OrderStatus.NEW
    assert usdt.locked == D("100.50")  # the notional: a BUY's fee is paid in the base
    assert usdt.free + usdt.locked == 10_000
    held = paper.at_minute(2)  # minute 1 closed: its low 100 reached 100.50
    assert (order.status, order.price, order.maker) == (OrderStatus.FILLED, D("100.50"), True)
    assert held.spot["USDT"].locked == 0
    assert held.spot["USDT"].free == 10_000 - D("100.50")
    assert held.spot["BTC"].free == 3 - RATE  # 2 held, 1 bought less its fee


def test_a_limit_that_crosses_fills_at_once_at_the_market_price_as_a_taker() -> None:
    paper = Paper()
    order = paper.place(limit(Side.BUY, "105"))  # the price now is 101
    assert (order.status, order.price, order.maker) == (OrderStatus.FILLED, D(101), False)
    assert paper.held().spot["USDT"].free == 10_000 - 101  # the fee comes out of the BTC


def test_a_limit_maker_that_would_take_is_refused_and_nothing_is_placed() -> None:
    paper = Paper()
    with pytest.raises(VenueRejection) as caught:
        paper.place(limit(Side.SELL, "100", RestingKind.LIMIT_MAKER))
    assert caught.value.refusal is Refusal.WOULD_TAKE
    held = paper.held()
    assert (held.orders, held.spot["BTC"].free) == ({}, 2)
    resting = paper.place(limit(Side.SELL, "102.50", RestingKind.LIMIT_MAKER))
    assert paper.held().spot["BTC"].locked == 1
    paper.at_minute(3)  # minute 2's high 103 reached it
    assert (resting.status, resting.price, resting.maker) == (OrderStatus.FILLED, D("102.5"), True)


@pytest.mark.parametrize("tif", [Tif.IOC, Tif.FOK])
def test_ioc_and_fok_that_do_not_cross_expire_at_once_locking_nothing(tif: Tif) -> None:
    paper = Paper()
    order = paper.place(limit(Side.BUY, "100", time_in_force=tif))
    assert order.status is OrderStatus.EXPIRED
    assert paper.held().spot["USDT"].locked == 0


def test_a_stop_limit_triggered_by_a_gap_fills_at_the_open_when_that_crosses_its_limit() -> None:
    paper = Paper()
    order = paper.place(limit(Side.SELL, "98.50", RestingKind.STOP_LIMIT, stop="99"))
    paper.at_minute(3)
    assert order.status is OrderStatus.NEW
    assert not order.triggered
    paper.at_minute(4)  # minute 3 opened at 99: triggered there, 99 >= 98.50
    assert (order.status, order.price, order.maker) == (OrderStatus.FILLED, D(99), False)


def test_a_triggered_stop_limit_below_the_market_rests_as_a_limit_from_the_next_candle() -> None:
    paper = Paper()
    order = paper.place(limit(Side.SELL, "99.40", RestingKind.STOP_LIMIT, stop="99.50"))
    paper.at_minute(5)  # triggered at the open 99 of minute 3; minute 4's high is 97
    assert (order.status, order.triggered) == (OrderStatus.NEW, True)
    assert paper.held().spot["BTC"].locked == 1
    paper.at_minute(6)  # minute 5's high 100 reaches 99.40
    assert (order.status, order.price, order.maker) == (OrderStatus.FILLED, D("99.4"), True)


def test_a_take_profit_limit_that_would_trigger_at_once_is_refused() -> None:
    paper = Paper()
    with pytest.raises(VenueRejection) as caught:
        paper.place(limit(Side.SELL, "100", RestingKind.TAKE_PROFIT_LIMIT, stop="100.50"))
    assert caught.value.refusal is Refusal.WOULD_TRIGGER


def test_an_oco_pair_locks_once_and_the_leg_that_fills_cancels_the_other() -> None:
    paper = Paper()
    above = limit(Side.SELL, "102.50", RestingKind.LIMIT_MAKER, cid="tp")
    below = limit(Side.SELL, "98", RestingKind.STOP_LIMIT, stop="99", cid="sl")
    take, stop = paper.run(lambda desk, held, now: desk.resting.place_list(held, above, below, now))
    assert take.group_id == stop.group_id
    assert take.group_id is not None
    assert paper.held().spot["BTC"].locked == 1  # not 2: the list sells one quantity
    held = paper.at_minute(3)
    assert (take.status, take.price, stop.status) == (
        OrderStatus.FILLED, D("102.5"), OrderStatus.CANCELED,
    )  # fmt: skip
    assert (held.spot["BTC"].free, held.spot["BTC"].locked) == (1, 0)
    assert held.spot["USDT"].free == 10_000 + D("102.5") * (1 - RATE)


def test_cancelling_an_oco_leg_cancels_the_list_and_frees_the_lock() -> None:
    paper = Paper()
    above = limit(Side.SELL, "104", RestingKind.LIMIT_MAKER, cid="tp")
    below = limit(Side.SELL, "98", RestingKind.STOP_LIMIT, stop="99", cid="sl")
    take, stop = paper.run(lambda desk, held, now: desk.resting.place_list(held, above, below, now))
    paper.run(lambda desk, held, now: desk.resting.cancel(held, stop, now))
    held = paper.held()
    assert (take.status, stop.status) == (OrderStatus.CANCELED, OrderStatus.CANCELED)
    assert (held.spot["BTC"].free, held.spot["BTC"].locked) == (2, 0)


def test_a_resting_order_survives_a_snapshot_and_fills_after_the_restart() -> None:
    paper = Paper()
    paper.place(limit(Side.BUY, "100.50", cid="kept"))
    again = Paper(snapshot=json.dumps(paper.venue.snapshot()))
    held = again.at_minute(2)
    (order,) = held.orders.values()
    assert (order.client_order_id, order.status, order.price) == (
        "kept", OrderStatus.FILLED, D("100.5"),
    )  # fmt: skip
    assert held.spot["USDT"].locked == 0


def test_a_futures_stop_market_when_flat_rests_and_opens_a_position_when_triggered() -> None:
    paper = Paper()
    order = paper.place(limit(Side.BUY, "", RestingKind.STOP_MARKET, stop="102.50", market=FUTURES))
    assert order.status is OrderStatus.NEW
    held = paper.at_minute(3)  # minute 2's high 103 passes 102.50
    assert (order.status, order.price) == (OrderStatus.FILLED, D("102.5"))
    position = held.positions["BTCUSDT"]
    assert (position.side, position.quantity) == (PositionSide.LONG, 1)


def test_a_resting_futures_limit_holds_its_margin_and_a_stop_holds_none_until_it_fires() -> None:
    paper = Paper()  # 1,000 USDT of futures at 1x
    paper.place(limit(Side.BUY, "", RestingKind.STOP_MARKET, stop="102.50", market=FUTURES))
    assert paper.held().available("USDT") == 1000  # a conditional order sets nothing aside
    bid = paper.place(limit(Side.BUY, "100.50", market=FUTURES, cid="bid"))
    held = paper.held()
    assert (bid.reserved, held.order_margin("USDT"), held.available("USDT")) == (
        D("100.5"), D("100.5"), D("899.5"),
    )  # fmt: skip
    with pytest.raises(VenueRejection) as caught:  # 900 of margin is no longer there
        paper.place(
            RestingRequest("big", "BTCUSDT", FUTURES, Side.BUY, D(9), RestingKind.LIMIT, D(100))
        )
    assert caught.value.refusal is Refusal.INSUFFICIENT_MARGIN
    again = Paper(snapshot=json.dumps(paper.venue.snapshot()))  # kept across a restart
    assert again.held().order_margin("USDT") == D("100.5")
    held = paper.at_minute(2)  # minute 1's low 100 filled the bid: its margin is the position's
    assert (bid.status, bid.reserved, held.order_margin("USDT")) == (OrderStatus.FILLED, 0, 0)
    assert held.margin_in_use("USDT") == D("100.5")


def test_a_reduce_only_limit_with_nothing_to_reduce_expires_when_it_would_fill() -> None:
    paper = Paper()
    order = paper.place(limit(Side.SELL, "102.50", market=FUTURES, reduce_only=True))
    paper.at_minute(3)
    assert order.status is OrderStatus.EXPIRED
    assert "BTCUSDT" not in paper.held().positions


def test_a_sell_without_the_base_to_lock_is_refused_and_leaves_no_order() -> None:
    paper = Paper()
    with pytest.raises(VenueRejection) as caught:
        paper.place(
            RestingRequest("big", "BTCUSDT", SPOT, Side.SELL, D(3), RestingKind.LIMIT, D(105))
        )
    assert caught.value.refusal is Refusal.INSUFFICIENT_BALANCE
    held = paper.held()
    assert (held.orders, held.working, held.spot["BTC"].locked) == ({}, {}, 0)


def test_a_trigger_in_the_placement_minute_reaches_the_saved_snapshot() -> None:
    saved: list[str] = []
    clock = ManualClock(T0 + MINUTE)  # placed at the very open of minute 1
    feed = CandlesPriceFeed(both("BTCUSDT", MARKET))
    venue = SimulatedVenue(feed, clock, on_change=saved.append)
    venue.account(1, spot_balances={"BTC": D(1)})
    request = limit(Side.SELL, "100.90", RestingKind.STOP_LIMIT, stop="100.50")
    venue.run("test", 1, lambda desk, held, now: desk.resting.place(held, request, now))
    clock.at_minute(2)  # minute 1 triggers it at 100.50, below its limit: it rests
    venue.catch_up()
    (order,) = json.loads(saved[-1])["orders"]
    assert (order["status"], order["triggered"]) == ("NEW", True)

"""What every `Exchange` adapter must do, whatever venue is behind it.

Each adapter joins through `EXCHANGE_BUILDERS`: a builder gets the scripted market below
(1m candles of BTCUSDT, the same on spot and futures) and a clock the test moves, and
returns the Exchange of a fresh account holding 10,000 USDT in spot and 10,000 USDT in
futures. The simulated exchange is the first; the Binance adapter joins over real HTTP
against the project's Binance-compatible server, which serves the same market.

Outcomes are checked in the domain's terms only: reports, balances and the error types of
`tradewind.domain.errors` (`OrderRejected`, `ConfigurationError`, ...), never a venue's own
codes; each venue's tests pin those (tests/integration/test_binance_adapter_http.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest

from tests.market_script import (
    MINUTE,
    T0,
    ManualClock,
    minute_candles,
    same_candles_for_both_markets,
)
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.simulated import CandlesPriceFeed, PriceFeed, SimulatedVenue
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.errors import ConfigurationError, OrderRejected
from tradewind.domain.orders import (
    ClientOrderId,
    OrderPurpose,
    OrderReport,
    OrderRequest,
    OrderStatus,
    ProtectionRequest,
)
from tradewind.domain.types import PositionSide, PositionType, Side
from tradewind.ports import AccountAccess, Exchange
from tradewind.testkit.binance_server.server import BinanceServer

D = Decimal
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
SYMBOL = "BTCUSDT"
START_USDT = D(10_000)

# Minute 1 opens at 40,000; minute 2 falls to 38,000 (a 2 % stop at 39,200 fires there).
MARKET = minute_candles(
    [
        ("39990", "40010", "39980", "40000"),
        ("40000", "40100", "39900", "40050"),
        ("40050", "40060", "38000", "38500"),
        ("38500", "38600", "38400", "38550"),
        ("38550", "38600", "38500", "38550"),
    ]
)

ExchangeBuilder = Callable[[PriceFeed, ManualClock, ExitStack], Exchange]


def simulated(feed: PriceFeed, clock: ManualClock, _stack: ExitStack) -> Exchange:
    venue = SimulatedVenue(feed, clock, seed=1)
    return venue.account(
        1, spot_balances={"USDT": START_USDT}, futures_balances={"USDT": START_USDT}
    )


def binance_over_http(feed: PriceFeed, clock: ManualClock, stack: ExitStack) -> Exchange:
    """The Binance adapter (ccxt) over real HTTP to the project's Binance-compatible server."""
    server = stack.enter_context(BinanceServer(SimulatedVenue(feed, clock, seed=1), seed=1))
    server.add_account("contract-key", "contract-secret", spot={"USDT": START_USDT},
                       futures={"USDT": START_USDT})  # fmt: skip
    options = BinanceOptions(url=server.base_url, timeout=30, lookup_delay=0.01, seed=1)
    access = AccountAccess(1, ExchangeKind.BINANCE, "contract-key", "contract-secret")
    return BinanceExchanges(options).for_account(access)


EXCHANGE_BUILDERS: dict[str, ExchangeBuilder] = {
    "simulated": simulated,
    "binance-over-http": binance_over_http,
}


@dataclass
class Venue:
    exchange: Exchange
    clock: ManualClock


@pytest.fixture(params=sorted(EXCHANGE_BUILDERS))
def venue(request: pytest.FixtureRequest) -> Iterator[Venue]:
    clock = ManualClock(T0 + MINUTE)  # the close of minute 0: orders fill at minute 1's open
    feed = CandlesPriceFeed(same_candles_for_both_markets(SYMBOL, MARKET))
    with ExitStack() as stack:
        yield Venue(EXCHANGE_BUILDERS[request.param](feed, clock, stack), clock)


def same_report(one: OrderReport, other: OrderReport) -> bool:
    """Tell whether two reports say the same of an order (the venue's raw answer aside)."""
    return replace(one, raw={}) == replace(other, raw={})


def buy(
    exchange: Exchange, client_id: str, quantity: str, kind: PositionType = SPOT
) -> OrderReport:
    return exchange.place_market_order(
        OrderRequest(ClientOrderId(client_id), SYMBOL, kind, Side.BUY, D(quantity))
    )


# --- Rules and balances ---------------------------------------------------------------------


def test_rules_describe_the_symbol_in_market_order_terms(venue: Venue) -> None:
    spot = venue.exchange.market_rules(SYMBOL, SPOT)
    futures = venue.exchange.market_rules(SYMBOL, FUTURES)
    assert (spot.symbol, spot.base_asset, spot.quote_asset) == (SYMBOL, "BTC", "USDT")
    assert spot.step > 0
    assert spot.min_notional > 0
    assert futures.position_type is FUTURES
    assert futures.max_leverage >= 1


def test_an_unknown_symbol_is_a_configuration_error(venue: Venue) -> None:
    with pytest.raises(ConfigurationError):
        venue.exchange.market_rules("NOPEUSDT", SPOT)


def test_a_fresh_account_shows_its_starting_balances(venue: Venue) -> None:
    assert venue.exchange.free_balance("USDT", SPOT) == START_USDT
    assert venue.exchange.free_balance("USDT", FUTURES) == START_USDT
    assert venue.exchange.free_balance("BTC", SPOT) == 0


# --- Market orders --------------------------------------------------------------------------


def test_a_market_buy_reports_its_fill_and_moves_the_balances(venue: Venue) -> None:
    report = buy(venue.exchange, "c-buy-1", "0.01")
    assert report.client_order_id == ClientOrderId("c-buy-1")
    assert report.exchange_order_id
    assert (report.symbol, report.side, report.status) == (SYMBOL, Side.BUY, OrderStatus.FILLED)
    assert report.requested_qty == report.executed_qty == D("0.01")
    assert report.avg_price == D(40_000)  # the open of the minute after the decision
    assert report.quote_qty == D(400)
    # As Binance charges a BUY without BNB: 0.1 % of the quantity, in the base received.
    assert (report.fee, report.fee_asset) == (D("0.00001"), "BTC")
    assert report.raw  # the venue's own answer is kept
    assert venue.exchange.free_balance("BTC", SPOT) == D("0.00999")
    assert venue.exchange.free_balance("USDT", SPOT) == START_USDT - D(400)


def test_a_market_sell_returns_the_quote_less_the_fee(venue: Venue) -> None:
    buy(venue.exchange, "c-buy-2", "0.01")
    before = venue.exchange.free_balance("USDT", SPOT)
    venue.clock.at_minute(2)
    sold = venue.exchange.place_market_order(
        OrderRequest(ClientOrderId("c-sell-2"), SYMBOL, SPOT, Side.SELL, D("0.00999"))
    )
    assert sold.status is OrderStatus.FILLED
    assert sold.avg_price == D(40_050)
    assert sold.fee_asset == "USDT"
    assert venue.exchange.free_balance("USDT", SPOT) == before + sold.quote_qty - sold.fee
    assert venue.exchange.free_balance("BTC", SPOT) == 0


def test_find_order_by_client_id_returns_the_same_report(venue: Venue) -> None:
    placed = buy(venue.exchange, "c-find-1", "0.01")
    found = venue.exchange.find_order(SYMBOL, SPOT, ClientOrderId("c-find-1"))
    assert found is not None
    assert same_report(found, placed)


def test_find_order_of_an_unknown_client_id_is_none(venue: Venue) -> None:
    assert venue.exchange.find_order(SYMBOL, SPOT, ClientOrderId("never-sent")) is None


# --- Protective orders ----------------------------------------------------------------------


def protect_spot(
    exchange: Exchange, quantity: str, prefix: str, trailing: str | None = None
) -> list[OrderReport]:
    ids = {
        OrderPurpose.STOP_LOSS: ClientOrderId(f"{prefix}-s"),
        OrderPurpose.TAKE_PROFIT: ClientOrderId(f"{prefix}-t"),
    }
    if trailing is not None:
        ids[OrderPurpose.TRAILING_STOP] = ClientOrderId(f"{prefix}-r")
    return exchange.protect_position(
        ProtectionRequest(
            symbol=SYMBOL,
            position_type=SPOT,
            position_side=PositionSide.LONG,
            quantity=D(quantity),
            entry_price=D(40_000),
            stop_loss=D(39_200),
            take_profit=D(44_000),
            trailing_rate=None if trailing is None else D(trailing),
            ids=ids,
        )
    )


def test_protective_orders_rest_then_one_fills_and_cancels_the_other(venue: Venue) -> None:
    buy(venue.exchange, "p-entry", "0.01")
    resting = protect_spot(venue.exchange, "0.00999", "p")  # what the buy left after its fee
    assert {r.purpose for r in resting} == {OrderPurpose.STOP_LOSS, OrderPurpose.TAKE_PROFIT}
    assert all(r.status is OrderStatus.NEW for r in resting)
    found = venue.exchange.find_order(SYMBOL, SPOT, ClientOrderId("p-s"))
    assert found is not None
    assert found.status is OrderStatus.NEW

    venue.clock.at_minute(4)  # minute 2 (down to 38,000) has closed
    stop = venue.exchange.find_order(SYMBOL, SPOT, ClientOrderId("p-s"))
    target = venue.exchange.find_order(SYMBOL, SPOT, ClientOrderId("p-t"))
    assert stop is not None
    assert target is not None
    assert (stop.status, stop.purpose) == (OrderStatus.FILLED, OrderPurpose.STOP_LOSS)
    assert stop.executed_qty == D("0.00999")
    assert stop.avg_price == D(39_200)
    assert stop.time == T0 + 2 * MINUTE  # the open time of the candle where it fired
    assert target.status is OrderStatus.CANCELED


@pytest.mark.parametrize(
    ("trailing", "rested_stop"),
    [
        ("0.05", OrderPurpose.STOP_LOSS),  # wider than the 2 % stop: the stop-loss rests
        ("0.02", OrderPurpose.TRAILING_STOP),  # as wide: its level never falls below the stop
        ("0.01", OrderPurpose.TRAILING_STOP),
    ],
)
def test_spot_rests_one_stop_and_the_target_as_one_oco(
    venue: Venue, trailing: str, rested_stop: OrderPurpose
) -> None:
    # Every venue rests what Binance spot holds; the stop left out gets no order and no
    # report (the bot watches it), and is not found by its client id.
    buy(venue.exchange, "o-entry", "0.01")
    resting = protect_spot(venue.exchange, "0.00999", "o", trailing)
    assert {r.purpose for r in resting} == {rested_stop, OrderPurpose.TAKE_PROFIT}
    left_out = "o-r" if rested_stop is OrderPurpose.STOP_LOSS else "o-s"
    assert venue.exchange.find_order(SYMBOL, SPOT, ClientOrderId(left_out)) is None


def test_a_spot_trailing_stop_binance_cannot_rest_is_rejected(venue: Venue) -> None:
    buy(venue.exchange, "w-entry", "0.01")
    with pytest.raises(OrderRejected):
        venue.exchange.protect_position(
            ProtectionRequest(
                symbol=SYMBOL, position_type=SPOT, position_side=PositionSide.LONG,
                quantity=D("0.00999"), entry_price=D(40_000), stop_loss=None,
                take_profit=None, trailing_rate=D("0.25"),
                ids={OrderPurpose.TRAILING_STOP: ClientOrderId("w-r")},
            )
        )  # fmt: skip
    assert venue.exchange.free_balance("BTC", SPOT) == D("0.00999")  # nothing rests


def test_the_spot_holding_counts_what_resting_exits_lock(venue: Venue) -> None:
    assert venue.exchange.spot_holding("BTC") == 0
    buy(venue.exchange, "h-entry", "0.01")  # 0.00999 held: the fee is taken in BTC
    protect_spot(venue.exchange, "0.00999", "h")
    assert venue.exchange.free_balance("BTC", SPOT) == 0  # locked by the exits
    assert venue.exchange.spot_holding("BTC") == D("0.00999")
    assert venue.exchange.spot_holding("USDT") == venue.exchange.free_balance("USDT", SPOT)


def test_a_resting_protective_order_can_be_cancelled(venue: Venue) -> None:
    buy(venue.exchange, "k-entry", "0.01")
    protect_spot(venue.exchange, "0.00999", "k")
    cancelled = venue.exchange.cancel_order(SYMBOL, SPOT, ClientOrderId("k-s"))
    assert cancelled is not None
    assert cancelled.status is OrderStatus.CANCELED
    found = venue.exchange.find_order(SYMBOL, SPOT, ClientOrderId("k-s"))
    assert found is not None
    assert found.status is OrderStatus.CANCELED
    assert venue.exchange.cancel_order(SYMBOL, SPOT, ClientOrderId("never-sent")) is None


# --- Rejects --------------------------------------------------------------------------------


def test_a_quantity_off_the_step_is_rejected_and_nothing_is_placed(venue: Venue) -> None:
    with pytest.raises(OrderRejected):
        buy(venue.exchange, "r-step", "0.000015")
    assert venue.exchange.find_order(SYMBOL, SPOT, ClientOrderId("r-step")) is None


def test_a_notional_below_the_minimum_is_rejected(venue: Venue) -> None:
    with pytest.raises(OrderRejected):
        buy(venue.exchange, "r-small", "0.00001")  # 0.40 USDT
    assert venue.exchange.find_order(SYMBOL, SPOT, ClientOrderId("r-small")) is None


def test_an_order_beyond_the_balance_is_rejected_and_changes_nothing(venue: Venue) -> None:
    with pytest.raises(OrderRejected):
        buy(venue.exchange, "r-big", "1")  # 40,000 USDT
    assert venue.exchange.free_balance("USDT", SPOT) == START_USDT


def test_selling_what_the_account_does_not_hold_is_rejected(venue: Venue) -> None:
    with pytest.raises(OrderRejected):
        venue.exchange.place_market_order(
            OrderRequest(ClientOrderId("r-sell"), SYMBOL, SPOT, Side.SELL, D("0.01"))
        )


# --- Futures --------------------------------------------------------------------------------


def test_leverage_within_the_bracket_is_applied_and_outside_it_rejected(venue: Venue) -> None:
    assert venue.exchange.set_leverage(SYMBOL, 10) == 10
    with pytest.raises(OrderRejected):
        venue.exchange.set_leverage(SYMBOL, 0)


def test_isolated_margin_can_be_asked_for_twice(venue: Venue) -> None:
    venue.exchange.set_isolated_margin(SYMBOL)
    venue.exchange.set_isolated_margin(SYMBOL)  # already isolated: fine, and still isolated
    buy(venue.exchange, "f-twice", "0.01", FUTURES)
    position = venue.exchange.position(SYMBOL)
    assert position is not None
    assert position.isolated
    venue.exchange.set_isolated_margin(SYMBOL)  # with the isolated position open: fine too
    position = venue.exchange.position(SYMBOL)
    assert position is not None
    assert position.isolated


def test_a_position_opened_without_asking_for_isolated_margin_is_cross(venue: Venue) -> None:
    # The other side of the test above: isolated is a setting asked for, not the default.
    buy(venue.exchange, "f-cross", "0.01", FUTURES)
    position = venue.exchange.position(SYMBOL)
    assert position is not None
    assert not position.isolated


def test_a_futures_position_opens_and_a_reduce_only_order_closes_it(venue: Venue) -> None:
    venue.exchange.set_leverage(SYMBOL, 10)
    venue.exchange.set_isolated_margin(SYMBOL)
    opened = buy(venue.exchange, "f-open", "0.01", FUTURES)
    assert opened.status is OrderStatus.FILLED
    assert opened.avg_price == D(40_000)
    position = venue.exchange.position(SYMBOL)
    assert position is not None
    assert (position.side, position.quantity, position.entry_price) == (
        PositionSide.LONG,
        D("0.01"),
        D(40_000),
    )
    assert position.isolated
    assert position.leverage == 10
    assert 0 < position.liquidation_price < position.entry_price
    venue.exchange.place_market_order(
        OrderRequest(ClientOrderId("f-close"), SYMBOL, FUTURES, Side.SELL, D("0.01"), True)
    )
    assert venue.exchange.position(SYMBOL) is None


def test_a_transfer_moves_spot_funds_to_futures_and_not_more_than_spot_holds(
    venue: Venue,
) -> None:
    transfer_id = venue.exchange.transfer_spot_to_futures("USDT", D(250))
    assert transfer_id
    assert venue.exchange.free_balance("USDT", SPOT) == START_USDT - 250
    assert venue.exchange.free_balance("USDT", FUTURES) == START_USDT + 250
    with pytest.raises(OrderRejected):
        venue.exchange.transfer_spot_to_futures("USDT", D(1_000_000))


# --- Open orders ----------------------------------------------------------------------------


def test_open_orders_list_the_resting_exits_until_they_are_cancelled(venue: Venue) -> None:
    assert venue.exchange.open_orders(SYMBOL, SPOT) == []
    buy(venue.exchange, "o-entry", "0.01")
    protect_spot(venue.exchange, "0.00999", "o")
    resting = venue.exchange.open_orders(SYMBOL, SPOT)
    assert sorted(o.client_order_id for o in resting) == ["o-s", "o-t"]
    assert {(o.symbol, o.position_type, o.side, o.quantity) for o in resting} == {
        (SYMBOL, SPOT, Side.SELL, D("0.00999"))
    }
    assert venue.exchange.open_orders(SYMBOL, FUTURES) == []  # another market
    for client_id in ("o-s", "o-t"):
        venue.exchange.cancel_order(SYMBOL, SPOT, ClientOrderId(client_id))
    assert venue.exchange.open_orders(SYMBOL, SPOT) == []


def test_open_orders_list_the_futures_conditional_exits(venue: Venue) -> None:
    buy(venue.exchange, "of-entry", "0.01", FUTURES)
    venue.exchange.protect_position(
        ProtectionRequest(
            symbol=SYMBOL, position_type=FUTURES, position_side=PositionSide.LONG,
            quantity=D("0.01"), entry_price=D(40_000), stop_loss=D(39_200),
            take_profit=D(44_000), trailing_rate=None,
            ids={OrderPurpose.STOP_LOSS: ClientOrderId("of-s0"),
                 OrderPurpose.TAKE_PROFIT: ClientOrderId("of-t0")},
        )
    )  # fmt: skip
    resting = venue.exchange.open_orders(SYMBOL, FUTURES)
    assert sorted(o.client_order_id for o in resting) == ["of-s0", "of-t0"]
    assert {(o.position_type, o.side, o.quantity) for o in resting} == {
        (FUTURES, Side.SELL, D("0.01"))
    }
    assert venue.exchange.open_orders(SYMBOL, SPOT) == []
    cancelled = venue.exchange.cancel_order(SYMBOL, FUTURES, ClientOrderId("of-s0"))
    assert cancelled is not None
    assert cancelled.status is OrderStatus.CANCELED
    assert [o.client_order_id for o in venue.exchange.open_orders(SYMBOL, FUTURES)] == ["of-t0"]

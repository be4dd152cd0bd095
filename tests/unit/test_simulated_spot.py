"""Spot on the simulated exchange: fills at the next open, fees as Binance takes them (a BUY's
in the base it receives, a SELL's in the quote), refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.market_script import (
    MINUTE,
    T0,
    ManualClock,
    flat_candles,
    minute_candles,
    same_candles_for_both_markets,
)
from tradewind.adapters.exchange.simulated import (
    CandlesPriceFeed,
    Refusal,
    SimulatedExchange,
    SimulatedVenue,
    VenueRejection,
    VenueTemporaryError,
    VenueUnknownSymbol,
)
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.orders import ClientOrderId, OrderRequest, OrderStatus
from tradewind.domain.types import PositionType, Side

D = Decimal
SPOT = PositionType.SPOT

# Each candle's open differs from the previous close, so a fill at the wrong one shows.
MARKET = minute_candles(
    [
        ("100", "101", "99", "100.5"),
        ("101", "102", "100", "101.5"),
        ("102", "103", "101", "102.5"),
    ]
)


def account(
    candles: Candles = MARKET, usdt: str = "10000", **venue_args: object
) -> tuple[SimulatedExchange, ManualClock]:
    clock = ManualClock(T0 + MINUTE)
    feed = CandlesPriceFeed(same_candles_for_both_markets("BTCUSDT", candles))
    venue = SimulatedVenue(feed, clock, **venue_args)  # type: ignore[arg-type]
    return venue.account(7, spot_balances={"USDT": D(usdt)}), clock


def order(
    side: Side, quantity: str, client_id: str = "o1", symbol: str = "BTCUSDT"
) -> OrderRequest:
    return OrderRequest(ClientOrderId(client_id), symbol, SPOT, side, D(quantity))


def rejection(exchange: SimulatedExchange, request: OrderRequest) -> VenueRejection:
    with pytest.raises(VenueRejection) as caught:
        exchange.place_market_order(request)
    return caught.value


def test_an_order_sent_at_a_candle_close_fills_at_the_next_candles_open() -> None:
    exchange, _ = account()  # the clock stands at the close of minute 0
    report = exchange.place_market_order(order(Side.BUY, "1"))
    assert report.avg_price == D(101)  # minute 1's open, not minute 0's close 100.5
    assert report.time == T0 + MINUTE


def test_an_order_inside_a_minute_fills_at_that_minutes_open() -> None:
    exchange, clock = account()
    clock.at_minute(2, second=42)
    assert exchange.place_market_order(order(Side.BUY, "1")).avg_price == D(102)


def test_after_the_last_candle_an_order_fills_at_the_last_close() -> None:
    exchange, clock = account()
    clock.at_minute(10)
    assert exchange.place_market_order(order(Side.BUY, "1")).avg_price == D("102.5")


def test_with_no_price_at_all_the_order_is_a_temporary_error_and_nothing_is_placed() -> None:
    exchange, clock = account()
    clock.time = T0 - 90 * 86_400
    with pytest.raises(VenueTemporaryError):
        exchange.place_market_order(order(Side.BUY, "1"))
    assert exchange.find_order("BTCUSDT", SPOT, ClientOrderId("o1")) is None


def test_a_buy_spends_the_notional_and_pays_a_tenth_of_a_percent_fee_in_the_base() -> None:
    exchange, _ = account()
    report = exchange.place_market_order(order(Side.BUY, "2.5"))
    assert report.quote_qty == D("252.5")
    assert (report.fee, report.fee_asset) == (D("0.0025"), "BTC")  # 2.5 x 0.1 %
    assert exchange.spot_balance("USDT").free == D(10_000) - D("252.5")
    assert exchange.spot_balance("BTC").free == D("2.4975")


def test_a_sell_receives_notional_minus_the_fee_in_the_quote() -> None:
    exchange, clock = account()
    exchange.place_market_order(order(Side.BUY, "2", "b"))  # holds 1.998 BTC
    usdt = exchange.free_balance("USDT", SPOT)
    clock.at_minute(2)
    sold = exchange.place_market_order(order(Side.SELL, "1.99", "s"))
    assert sold.quote_qty == D("202.98")
    assert (sold.fee, sold.fee_asset) == (D("0.20298"), "USDT")
    assert exchange.free_balance("USDT", SPOT) == usdt + D("202.98") - D("0.20298")
    assert exchange.free_balance("BTC", SPOT) == D("0.008")


def test_selling_all_that_was_bought_is_refused_the_fee_was_taken_from_it() -> None:
    exchange, clock = account()
    exchange.place_market_order(order(Side.BUY, "2", "b"))
    clock.at_minute(2)
    error = rejection(exchange, order(Side.SELL, "2", "s"))
    assert error.refusal is Refusal.INSUFFICIENT_BALANCE
    assert str(error).endswith("sell 2 BTCUSDT: free 1.998 BTC")


def test_the_fee_rate_can_be_set_per_market() -> None:
    exchange, _ = account(fee_rates={SPOT: D("0.00075"), PositionType.FUTURES: D("0.0004")})
    assert exchange.place_market_order(order(Side.BUY, "4")).fee == D("0.003")  # BTC


def test_the_raw_answer_is_the_venues_own_record_of_the_order() -> None:
    exchange, _ = account()
    raw = exchange.place_market_order(order(Side.BUY, "1.5")).raw
    assert raw["client_order_id"] == "o1"
    assert raw["updated_at"] == T0 + MINUTE
    assert (raw["quantity"], raw["executed_qty"], raw["price"]) == ("1.5", "1.5", "101.0")
    assert (raw["status"], raw["side"], raw["position_type"]) == ("FILLED", "BUY", "spot")
    assert (raw["fee"], raw["fee_asset"], raw["purpose"]) == ("0.0015", "BTC", None)


def test_find_order_returns_the_report_the_order_got() -> None:
    exchange, _ = account()
    placed = exchange.place_market_order(order(Side.BUY, "1"))
    assert exchange.find_order("BTCUSDT", SPOT, ClientOrderId("o1")) == placed
    assert exchange.find_order("BTCUSDT", SPOT, ClientOrderId("o2")) is None


def test_a_filled_market_orders_client_id_can_be_used_again_as_on_binance() -> None:
    exchange, _ = account()
    first = exchange.place_market_order(order(Side.BUY, "1"))
    second = exchange.place_market_order(order(Side.BUY, "1"))
    assert second.exchange_order_id != first.exchange_order_id
    assert exchange.find_order("BTCUSDT", SPOT, ClientOrderId("o1")) == second


# --- Rejects --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "refusal"),
    [
        ("0.000015", Refusal.QUANTITY_OFF_STEP),  # off the 0.00001 step
        ("0.000001", Refusal.BELOW_MIN_QTY),
        ("0", Refusal.QUANTITY_NOT_POSITIVE),
        ("96.18440000", Refusal.ABOVE_MAX_QTY),  # above the market maximum
        ("0.04", Refusal.BELOW_MIN_NOTIONAL),  # 4.04 USDT < 5
    ],
)
def test_a_quantity_that_breaks_a_rule_is_refused_naming_the_rule(
    quantity: str, refusal: Refusal
) -> None:
    exchange, _ = account(usdt="100000000")
    error = rejection(exchange, order(Side.BUY, quantity))
    assert (error.refusal, error.market) == (refusal, SPOT)
    assert str(error).startswith(f"rejected ({refusal.value}): BTCUSDT ")


def test_a_buy_beyond_the_free_quote_is_refused_and_changes_nothing() -> None:
    exchange, _ = account(usdt="100")
    error = rejection(exchange, order(Side.BUY, "1"))  # 101 > 100
    assert error.refusal is Refusal.INSUFFICIENT_BALANCE
    assert str(error) == "rejected (insufficient_balance): buy 1 BTCUSDT needs 101.0 USDT, free 100"
    assert exchange.spot_balance("USDT").free == D(100)
    assert exchange.find_order("BTCUSDT", SPOT, ClientOrderId("o1")) is None


def test_a_buy_needs_only_its_notional_in_the_quote_its_fee_is_taken_in_the_base() -> None:
    exchange, _ = account(usdt="100.99")
    assert rejection(exchange, order(Side.BUY, "1")).refusal is Refusal.INSUFFICIENT_BALANCE
    exchange, _ = account(usdt="101")
    assert exchange.place_market_order(order(Side.BUY, "1")).status is OrderStatus.FILLED
    assert exchange.spot_balance("USDT").free == 0


def test_selling_more_base_than_is_free_is_refused() -> None:
    exchange, _ = account()
    exchange.place_market_order(order(Side.BUY, "1", "b"))
    error = rejection(exchange, order(Side.SELL, "1.5", "s"))
    assert error.refusal is Refusal.INSUFFICIENT_BALANCE


def test_an_unknown_symbol_is_refused_as_a_configuration_error() -> None:
    exchange, _ = account()
    with pytest.raises(VenueUnknownSymbol) as caught:
        exchange.place_market_order(order(Side.BUY, "1", symbol="DOGEUSDT"))
    assert caught.value.symbol == "DOGEUSDT"
    assert isinstance(caught.value, ConfigurationError)
    with pytest.raises(ConfigurationError):
        exchange.market_rules("DOGEUSDT", SPOT)


def test_a_rejected_order_uses_no_order_id() -> None:
    exchange, _ = account()
    first = exchange.place_market_order(order(Side.BUY, "1", "a"))
    rejection(exchange, order(Side.BUY, "0", "b"))
    third = exchange.place_market_order(order(Side.BUY, "1", "c"))
    assert int(third.exchange_order_id) == int(first.exchange_order_id) + 1


def test_the_rules_are_the_built_in_rules_of_the_symbol() -> None:
    exchange, _ = account()
    rules = exchange.market_rules("BTCUSDT", SPOT)
    assert (rules.step, rules.min_notional) == (D("0.00001"), D(5))


def test_a_new_account_gets_ten_thousand_usdt_unless_told_otherwise() -> None:
    clock = ManualClock()
    venue = SimulatedVenue(CandlesPriceFeed({("BTCUSDT", SPOT): flat_candles("100", 5)}), clock)
    first = venue.account(1)
    assert first.free_balance("USDT", SPOT) == D(10_000)
    again = venue.account(1, spot_balances={"USDT": D(5)})  # an existing account keeps its own
    assert again.free_balance("USDT", SPOT) == D(10_000)
    assert venue.account(2, spot_balances={}).free_balance("USDT", SPOT) == 0


def test_a_feed_of_coarser_candles_is_refused() -> None:
    five_minutes = minute_candles([("100", "100", "100", "100")] * 3)
    coarse = type(five_minutes)(
        five_minutes.open_time * 5 - 4 * T0,
        five_minutes.open,
        five_minutes.high,
        five_minutes.low,
        five_minutes.close,
        five_minutes.volume,
    )
    with pytest.raises(ConfigurationError, match="1m candles"):
        CandlesPriceFeed({("BTCUSDT", SPOT): coarse})


def test_one_series_can_move_both_markets_of_a_symbol() -> None:
    feed = CandlesPriceFeed.both_markets({"BTCUSDT": MARKET})
    for kind in PositionType:
        assert len(feed.minute_candles("BTCUSDT", kind, T0, T0 + 2 * MINUTE)) == 2

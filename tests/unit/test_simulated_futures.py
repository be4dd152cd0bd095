"""USDⓈ-M futures on the simulated exchange: leverage, margin, PnL, reduce-only, liquidation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tests.market_script import (
    MINUTE,
    T0,
    ManualClock,
    minute_candles,
    same_candles_for_both_markets,
)
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.exchange.simulated import (
    CandlesPriceFeed,
    Refusal,
    SimulatedExchange,
    SimulatedVenue,
    VenueRejection,
)
from tradewind.adapters.exchange.simulated.state import Account
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import (
    ClientOrderId,
    OrderPurpose,
    OrderReport,
    OrderRequest,
    OrderStatus,
    ProtectionRequest,
)
from tradewind.domain.types import PositionSide, PositionType, Side

D = Decimal
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
BUY, SELL = Side.BUY, Side.SELL
FLAT = ("100", "100", "100", "100")
# Minute 1 opens at 100, minute 2 at 110, minute 3 at 90.
MARKET = [FLAT, FLAT, ("110", "110", "110", "110"), ("90", "90", "90", "90"), FLAT]


def futures_account(
    rows: list[tuple[str, str, str, str]] = MARKET,
    wallet: str = "1000",
    leverage: int | None = None,
    isolated: bool = True,
    rules: MarketRules | None = None,
) -> tuple[SimulatedExchange, ManualClock]:
    clock = ManualClock(T0 + MINUTE)
    feed = CandlesPriceFeed(same_candles_for_both_markets("BTCUSDT", minute_candles(rows)))

    def source(symbol: str, kind: PositionType) -> MarketRules:
        return rules if rules is not None and kind is FUTURES else rules_for(symbol, kind)

    venue = SimulatedVenue(feed, clock, rules=source)
    exchange = venue.account(
        3, spot_balances={"USDT": D(500)}, futures_balances={"USDT": D(wallet)}
    )
    if leverage is not None:
        exchange.set_leverage("BTCUSDT", leverage)
    if isolated:
        exchange.set_isolated_margin("BTCUSDT")
    return exchange, clock


def trade(
    exchange: SimulatedExchange, side: Side, quantity: str, cid: str, reduce_only: bool = False
) -> OrderReport:
    return exchange.place_market_order(
        OrderRequest(ClientOrderId(cid), "BTCUSDT", FUTURES, side, D(quantity), reduce_only)
    )


def rejected(
    exchange: SimulatedExchange, side: Side, quantity: str, reduce_only: bool = False
) -> VenueRejection:
    with pytest.raises(VenueRejection) as caught:
        trade(exchange, side, quantity, "rejected", reduce_only)
    assert exchange.find_order("BTCUSDT", FUTURES, ClientOrderId("rejected")) is None
    return caught.value


# --- Leverage and margin mode -------------------------------------------------------------


def test_leverage_is_one_until_set_so_a_position_needs_its_whole_notional() -> None:
    exchange, _ = futures_account(wallet="150")
    trade(exchange, BUY, "1", "o")
    assert exchange.free_balance("USDT", FUTURES) == D("150") - D(100) - D("0.04")
    position = exchange.position("BTCUSDT")
    assert position is not None
    assert position.leverage == 1


@pytest.mark.parametrize(
    ("symbol", "leverage"), [("BTCUSDT", 0), ("BTCUSDT", 126), ("XRPUSDT", 76)]
)
def test_leverage_outside_one_to_the_symbols_bracket_is_refused(symbol: str, leverage: int) -> None:
    exchange, _ = futures_account()
    with pytest.raises(VenueRejection) as caught:
        exchange.set_leverage(symbol, leverage)
    error = caught.value
    assert (error.refusal, error.value) == (Refusal.LEVERAGE_OUT_OF_RANGE, leverage)
    assert error.limit == {"BTCUSDT": 125, "XRPUSDT": 75}[symbol]


def test_the_brackets_maximum_itself_is_applied() -> None:
    exchange, _ = futures_account()
    assert exchange.set_leverage("BTCUSDT", 125) == 125
    assert exchange.set_leverage("XRPUSDT", 75) == 75


def test_isolated_margin_is_idempotent_and_cannot_change_under_a_cross_position() -> None:
    exchange, _ = futures_account(isolated=False)
    trade(exchange, BUY, "1", "o")
    position = exchange.position("BTCUSDT")
    assert position is not None
    assert not position.isolated
    with pytest.raises(VenueRejection) as caught:
        exchange.set_isolated_margin("BTCUSDT")
    assert caught.value.refusal is Refusal.MARGIN_MODE_LOCKED
    isolated, _ = futures_account()
    isolated.set_isolated_margin("BTCUSDT")  # already isolated: fine, nothing to change
    trade(isolated, BUY, "1", "o")
    isolated.set_isolated_margin("BTCUSDT")


def test_opening_needs_margin_plus_fee_within_the_available_balance() -> None:
    exchange, _ = futures_account(wallet="100", leverage=10)
    error = rejected(exchange, BUY, "10")  # margin 100 + fee 0.4 > 100
    assert (error.refusal, error.market) == (Refusal.INSUFFICIENT_MARGIN, FUTURES)
    assert exchange.futures_wallet("USDT") == D(100)
    trade(exchange, BUY, "9", "o")
    assert exchange.free_balance("USDT", FUTURES) == D(100) - D(90) - D("0.36")


def test_opening_pays_only_the_fee_out_of_the_wallet_and_sets_the_margin_aside() -> None:
    exchange, _ = futures_account(leverage=5)
    report = trade(exchange, SELL, "2", "o")
    assert report.fee == D("0.08")
    assert exchange.futures_wallet("USDT") == D(1000) - D("0.08")
    assert exchange.free_balance("USDT", FUTURES) == D(1000) - D("0.08") - D(40)


# --- Positions and PnL --------------------------------------------------------------------


def test_adding_to_a_position_weights_its_entry_price() -> None:
    exchange, clock = futures_account()
    trade(exchange, BUY, "1", "a")
    clock.at_minute(2)
    trade(exchange, BUY, "3", "b")
    position = exchange.position("BTCUSDT")
    assert position is not None
    assert (position.quantity, position.entry_price) == (D(4), D("107.5"))


def test_closing_a_long_realizes_its_pnl_into_the_wallet() -> None:
    exchange, clock = futures_account()
    trade(exchange, BUY, "2", "open")
    clock.at_minute(2)
    close = trade(exchange, SELL, "2", "close", reduce_only=True)
    assert close.avg_price == D(110)
    assert exchange.futures_wallet("USDT") == D(1000) + D(20) - D("0.08") - D("0.088")
    assert exchange.position("BTCUSDT") is None
    assert exchange.free_balance("USDT", FUTURES) == exchange.futures_wallet("USDT")


def test_closing_a_short_above_its_entry_loses() -> None:
    exchange, clock = futures_account()
    trade(exchange, SELL, "1", "open")
    clock.at_minute(2)
    trade(exchange, BUY, "1", "close", reduce_only=True)
    assert exchange.futures_wallet("USDT") == D(1000) - D(10) - D("0.04") - D("0.044")


def test_a_larger_opposite_order_closes_and_opens_the_other_way() -> None:
    exchange, clock = futures_account()
    trade(exchange, BUY, "1", "open")
    clock.at_minute(2)
    trade(exchange, SELL, "3", "flip")
    position = exchange.position("BTCUSDT")
    assert position is not None
    assert (position.side, position.quantity, position.entry_price) == (
        PositionSide.SHORT,
        D(2),
        D(110),
    )
    assert exchange.futures_wallet("USDT") == D(1000) + D(10) - D("0.04") - D("0.132")


def test_reduce_only_orders_only_ever_reduce() -> None:
    exchange, _ = futures_account()
    flat = rejected(exchange, SELL, "1", reduce_only=True)
    assert flat.refusal is Refusal.WOULD_NOT_REDUCE
    trade(exchange, BUY, "1", "open")
    error = rejected(exchange, BUY, "1", reduce_only=True)  # same side
    assert error.refusal is Refusal.WOULD_NOT_REDUCE
    report = trade(exchange, SELL, "3", "close", reduce_only=True)
    assert (report.requested_qty, report.executed_qty) == (D(3), D(1))
    assert exchange.position("BTCUSDT") is None


def test_the_raw_answer_is_the_venues_own_record_of_the_order() -> None:
    exchange, _ = futures_account()
    raw = trade(exchange, BUY, "1.5", "o").raw
    assert (raw["status"], raw["position_type"], raw["purpose"]) == ("FILLED", "futures", None)
    assert (raw["executed_qty"], raw["price"], raw["realized_pnl"]) == ("1.5", "100.0", "0")
    assert raw["reduce_only"] is False
    assert raw["updated_at"] == T0 + MINUTE


# --- Filters ----------------------------------------------------------------------------------


def test_a_notional_below_the_minimum_is_rejected_unless_reduce_only() -> None:
    exchange, _ = futures_account()
    error = rejected(exchange, BUY, "0.5")  # 50 USDT < 100
    assert (error.refusal, error.limit) == (Refusal.BELOW_MIN_NOTIONAL, D(100))
    trade(exchange, BUY, "2", "open")
    assert trade(exchange, SELL, "0.5", "trim", reduce_only=True).executed_qty == D("0.5")


def test_quantities_off_the_step_or_outside_the_limits_are_refused_naming_the_rule() -> None:
    exchange, _ = futures_account(wallet="100000000", leverage=125)
    assert rejected(exchange, BUY, "1.0005").refusal is Refusal.QUANTITY_OFF_STEP
    assert rejected(exchange, BUY, "0").refusal is Refusal.QUANTITY_NOT_POSITIVE
    assert rejected(exchange, BUY, "121").refusal is Refusal.ABOVE_MAX_QTY
    coarse = replace(rules_for("BTCUSDT", FUTURES), min_qty=D(2), min_notional=D(0))
    strict, _ = futures_account(rules=coarse)
    assert rejected(strict, BUY, "1").refusal is Refusal.BELOW_MIN_QTY


# --- Liquidation ------------------------------------------------------------------------------


def test_the_liquidation_price_follows_binances_isolated_formula() -> None:
    exchange, _ = futures_account(leverage=10)
    trade(exchange, BUY, "1", "long")
    long = exchange.position("BTCUSDT")
    assert long is not None
    assert long.liquidation_price == D("90.4")  # (100 - 10) / 0.996 = 90.36, up to the tick
    short_exchange, _ = futures_account(leverage=10)
    trade(short_exchange, SELL, "1", "short")
    short = short_exchange.position("BTCUSDT")
    assert short is not None
    assert short.liquidation_price == D("109.5")  # (100 + 10) / 1.004 = 109.56, down


def test_a_one_x_long_cannot_be_liquidated() -> None:
    exchange, _ = futures_account()
    trade(exchange, BUY, "1", "long")
    position = exchange.position("BTCUSDT")
    assert position is not None
    assert position.liquidation_price == 0


def liquidated(rows: list[tuple[str, str, str, str]], stop: str | None = None) -> SimulatedExchange:
    exchange, clock = futures_account([FLAT, FLAT, *rows], leverage=10)
    trade(exchange, BUY, "1", "long")
    if stop is not None:
        exchange.protect_position(
            ProtectionRequest(
                "BTCUSDT",
                FUTURES,
                PositionSide.LONG,
                D(1),
                D(100),
                D(stop),
                None,
                None,
                {OrderPurpose.STOP_LOSS: ClientOrderId("stop")},
            )
        )
    clock.at_minute(2 + len(rows))
    return exchange


def test_a_candle_reaching_the_liquidation_price_closes_the_position_and_takes_its_margin() -> None:
    exchange = liquidated([("99", "99", "89", "95")], stop="85")
    assert exchange.position("BTCUSDT") is None
    assert exchange.futures_wallet("USDT") == D(1000) - D("0.04") - D(10)
    autoclose = exchange.find_order(
        "BTCUSDT", FUTURES, ClientOrderId(f"autoclose-{(T0 + 2 * MINUTE) * 1000}")
    )
    assert autoclose is not None
    assert (autoclose.status, autoclose.avg_price, autoclose.executed_qty) == (
        OrderStatus.FILLED,
        D("90.4"),
        D(1),
    )
    assert autoclose.purpose is OrderPurpose.CLOSE
    assert autoclose.raw["liquidation"] is True
    stop = exchange.find_order("BTCUSDT", FUTURES, ClientOrderId("stop"))
    assert stop is not None
    assert stop.status is OrderStatus.CANCELED


def test_a_stop_nearer_than_the_liquidation_price_fires_first() -> None:
    exchange = liquidated([("99", "99", "89", "95")], stop="95")
    stop = exchange.find_order("BTCUSDT", FUTURES, ClientOrderId("stop"))
    assert stop is not None
    assert (stop.status, stop.avg_price) == (OrderStatus.FILLED, D(95))
    assert exchange.futures_wallet("USDT") == D(1000) - D("0.04") - D(5) - D("0.038")


def test_a_gap_past_the_liquidation_price_still_loses_only_the_margin() -> None:
    exchange = liquidated([("80", "82", "79", "81")], stop="95")
    assert exchange.futures_wallet("USDT") == D(1000) - D("0.04") - D(10)
    stop = exchange.find_order("BTCUSDT", FUTURES, ClientOrderId("stop"))
    assert stop is not None
    assert stop.status is OrderStatus.CANCELED


def test_a_market_order_at_a_price_past_the_liquidation_price_finds_the_position_gone() -> None:
    exchange, clock = futures_account([FLAT, FLAT, ("85", "86", "84", "85")], leverage=10)
    trade(exchange, BUY, "1", "long")
    clock.at_minute(2, second=5)  # minute 2 opened at 85, below 90.4, and has not closed
    assert rejected(exchange, SELL, "1", reduce_only=True).refusal is Refusal.WOULD_NOT_REDUCE
    assert exchange.position("BTCUSDT") is None
    assert exchange.futures_wallet("USDT") == D(1000) - D("0.04") - D(10)


# --- Wallet transfers -------------------------------------------------------------------------


def test_a_transfer_moves_spot_funds_into_the_futures_wallet() -> None:
    exchange, _ = futures_account()
    first = exchange.transfer_spot_to_futures("USDT", D("120.5"))
    second = exchange.transfer_spot_to_futures("USDT", D("10"))
    assert int(second) == int(first) + 1
    assert exchange.free_balance("USDT", SPOT) == D("369.5")
    assert exchange.futures_wallet("USDT") == D("1130.5")


def test_a_transfer_beyond_the_spot_balance_or_not_positive_is_rejected() -> None:
    exchange, _ = futures_account()
    with pytest.raises(VenueRejection) as caught:
        exchange.transfer_spot_to_futures("USDT", D("500.01"))
    assert caught.value.refusal is Refusal.TRANSFER_EXCEEDS_BALANCE
    with pytest.raises(VenueRejection) as caught:
        exchange.transfer_spot_to_futures("USDT", D(0))
    assert (caught.value.refusal, caught.value.field) == (Refusal.INVALID_FIELD, "amount")
    assert exchange.free_balance("USDT", SPOT) == D(500)


def test_a_transfer_back_to_spot_moves_only_what_open_positions_leave_available() -> None:
    exchange, _ = futures_account(leverage=10)
    trade(exchange, BUY, "1", "open")  # 10 USDT of margin set aside, 0.04 fee paid
    with pytest.raises(VenueRejection) as caught:
        exchange.transfer_futures_to_spot("USDT", D("989.97"))
    assert caught.value.refusal is Refusal.TRANSFER_EXCEEDS_BALANCE
    exchange.transfer_futures_to_spot("USDT", D("989.96"))
    assert exchange.free_balance("USDT", FUTURES) == 0
    assert exchange.free_balance("USDT", SPOT) == D("1489.96")


def realized_pnl(exchange: SimulatedExchange, client_id: str) -> Decimal:
    """Read the venue's own record of an order (the realized PnL is beyond the port)."""

    def read(_book: object, account: Account, _now: int) -> Decimal:
        order = account.find(FUTURES, "BTCUSDT", client_id)
        assert order is not None
        return order.realized_pnl

    return exchange.venue.run("test", exchange.account_id, read)


def test_each_futures_fill_keeps_the_pnl_it_realized_before_fees() -> None:
    exchange, clock = futures_account()
    trade(exchange, BUY, "1", "open")
    clock.at_minute(2)
    trade(exchange, SELL, "3", "flip")  # closes 1 at 110 (+10), opens 2 short
    clock.at_minute(3)
    trade(exchange, BUY, "2", "close", reduce_only=True)  # closes 2 at 90 (+40)
    assert [realized_pnl(exchange, c) for c in ("open", "flip", "close")] == [0, 10, 40]


def test_a_stop_and_a_liquidation_keep_their_realized_pnl_too() -> None:
    stopped = liquidated([("99", "99", "89", "95")], stop="95")
    assert realized_pnl(stopped, "stop") == D(-5)
    wiped = liquidated([("99", "99", "89", "95")], stop="85")
    assert realized_pnl(wiped, f"autoclose-{(T0 + 2 * MINUTE) * 1000}") == D(-10)

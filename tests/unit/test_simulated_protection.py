"""Protective orders on the simulated exchange fire as STRATEGY.md "Fills" says."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.exit_rule import exit_at, stop_loss_at, take_profit_at, trailing_at
from tests.market_script import (
    MINUTE,
    T0,
    ManualClock,
    minute_candles,
    same_candles_for_both_markets,
)
from tradewind.adapters.exchange.simulated import (
    CandlesPriceFeed,
    Refusal,
    SimulatedExchange,
    SimulatedVenue,
    VenueRejection,
)
from tradewind.adapters.exchange.simulated.triggers import exit_at_levels
from tradewind.domain.candles import Candles
from tradewind.domain.orders import (
    ClientOrderId,
    OrderPurpose,
    OrderReport,
    OrderRequest,
    OrderStatus,
    ProtectionRequest,
)
from tradewind.domain.types import ExitReason, PositionSide, PositionType, Side

D = Decimal
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
LONG, SHORT = PositionSide.LONG, PositionSide.SHORT
SL, TP, TS = OrderPurpose.STOP_LOSS, OrderPurpose.TAKE_PROFIT, OrderPurpose.TRAILING_STOP
FLAT = ("100", "100", "100", "100")


def entered(
    rows: list[tuple[str, str, str, str]], kind: PositionType = SPOT, side: Side = Side.BUY
) -> tuple[SimulatedExchange, ManualClock]:
    """An account that bought (or sold) 1 BTC at minute 1's open, protected from then on.

    It held 0.001 BTC before, so after the BUY's fee (0.1 %, taken in BTC) it holds 1 BTC.
    """
    candles: Candles = minute_candles([FLAT, *rows])
    clock = ManualClock(T0 + MINUTE)
    venue = SimulatedVenue(
        CandlesPriceFeed(same_candles_for_both_markets("BTCUSDT", candles)), clock
    )
    exchange = venue.account(
        1,
        spot_balances={"USDT": D(10_000), "BTC": D("0.001")},
        futures_balances={"USDT": D(10_000)},
    )
    exchange.place_market_order(OrderRequest(ClientOrderId("entry"), "BTCUSDT", kind, side, D(1)))
    return exchange, clock


def protect(
    exchange: SimulatedExchange,
    stop: str | None = None,
    target: str | None = None,
    trailing: str | None = None,
    kind: PositionType = SPOT,
    side: PositionSide = LONG,
    entry: str = "100",
    prefix: str = "p",
) -> list[OrderReport]:
    levels = {SL: stop, TP: target, TS: trailing}
    return exchange.protect_position(
        ProtectionRequest(
            symbol="BTCUSDT",
            position_type=kind,
            position_side=side,
            quantity=D(1),
            entry_price=D(entry),
            stop_loss=None if stop is None else D(stop),
            take_profit=None if target is None else D(target),
            trailing_rate=None if trailing is None else D(trailing),
            ids={p: ClientOrderId(f"{prefix}-{p.code}") for p, v in levels.items() if v},
        )
    )


def status(
    exchange: SimulatedExchange, purpose: OrderPurpose, kind: PositionType = SPOT
) -> OrderReport:
    report = exchange.find_order("BTCUSDT", kind, ClientOrderId(f"p-{purpose.code}"))
    assert report is not None
    return report


def test_a_stop_fills_at_its_level_at_the_open_time_of_its_candle_and_cancels_the_target() -> None:
    exchange, clock = entered([("100", "101", "99", "100"), ("100", "100.5", "97", "98.5")])
    protect(exchange, stop="98", target="110")
    clock.at_minute(3)
    stop = status(exchange, SL)
    assert (stop.status, stop.avg_price, stop.executed_qty) == (OrderStatus.FILLED, D(98), D(1))
    assert stop.time == T0 + 2 * MINUTE
    assert stop.purpose is SL
    assert stop.fee == D("0.098")
    assert status(exchange, TP).status is OrderStatus.CANCELED
    assert exchange.spot_balance("BTC").locked == 0


def test_nothing_fires_before_its_candle_has_closed() -> None:
    exchange, clock = entered([("100", "101", "99", "100"), ("100", "100.5", "97", "98.5")])
    protect(exchange, stop="98")
    clock.at_minute(2, second=59)  # minute 2 is still forming
    assert status(exchange, SL).status is OrderStatus.NEW


def test_a_candle_that_opens_beyond_the_stop_fills_at_its_open() -> None:
    exchange, clock = entered([("100", "101", "99", "100"), ("95", "96", "94", "95")])
    protect(exchange, stop="98", target="110")
    clock.at_minute(3)
    assert status(exchange, SL).avg_price == D(95)


def test_a_target_gap_fills_at_the_open_too() -> None:
    exchange, clock = entered([("100", "101", "99", "100"), ("112", "113", "111", "112")])
    protect(exchange, stop="98", target="110")
    clock.at_minute(3)
    report = status(exchange, TP)
    assert (report.status, report.avg_price) == (OrderStatus.FILLED, D(112))
    assert status(exchange, SL).status is OrderStatus.CANCELED


def test_when_stop_and_target_lie_in_one_candle_the_stop_comes_first() -> None:
    exchange, clock = entered([("100", "111", "97", "105")])
    protect(exchange, stop="98", target="110")
    clock.at_minute(2)
    assert status(exchange, SL).status is OrderStatus.FILLED
    assert status(exchange, TP).status is OrderStatus.CANCELED


def test_the_entry_candle_counts() -> None:
    exchange, clock = entered([("100", "100", "97", "99")])  # minute 1: the entry candle
    protect(exchange, stop="98")
    clock.at_minute(2)
    report = status(exchange, SL)
    assert (report.status, report.time) == (OrderStatus.FILLED, T0 + MINUTE)


def test_the_trailing_stop_uses_the_peak_known_at_the_end_of_the_previous_candle() -> None:
    # Minute 1 reaches 110 then dips to 104: the trailing level there is still 100 x 0.95
    # (the same candle's high must not count). Minute 2 uses the 110 peak: 104.5.
    exchange, clock = entered(
        [("100", "110", "104", "106"), ("106", "107", "104", "105"), ("105", "105", "105", "105")]
    )
    protect(exchange, trailing="0.05")
    clock.at_minute(2)
    assert status(exchange, TS).status is OrderStatus.NEW
    clock.at_minute(3)
    report = status(exchange, TS)
    assert (report.status, report.avg_price, report.time) == (
        OrderStatus.FILLED,
        D("104.50"),
        T0 + 2 * MINUTE,
    )


def test_a_short_trailing_stop_follows_the_lowest_low() -> None:
    exchange, clock = entered(
        [("100", "101", "90", "92"), ("92", "95", "91", "94")], kind=FUTURES, side=Side.SELL
    )
    protect(exchange, trailing="0.05", kind=FUTURES, side=SHORT)
    clock.at_minute(3)
    report = status(exchange, TS, FUTURES)
    assert (report.status, report.avg_price, report.side) == (
        OrderStatus.FILLED,
        D("94.50"),
        Side.BUY,
    )
    assert exchange.position("BTCUSDT") is None


def test_protective_orders_are_new_while_they_rest_and_carry_their_purpose() -> None:
    exchange, _ = entered([FLAT], kind=FUTURES)  # futures rest all three
    reports = protect(exchange, stop="98", target="110", trailing="0.03", kind=FUTURES)
    assert [(r.purpose, r.status, r.side) for r in reports] == [
        (SL, OrderStatus.NEW, Side.SELL),
        (TP, OrderStatus.NEW, Side.SELL),
        (TS, OrderStatus.NEW, Side.SELL),
    ]
    assert [r.raw["stop_price"] for r in reports] == ["98", "110", None]
    assert reports[2].raw["trailing_rate"] == "0.03"
    assert len({r.raw["group_id"] for r in reports}) == 1  # one group: one fills, all end
    assert status(exchange, TP, FUTURES) == reports[1]


def test_spot_rests_the_stop_that_fires_first_and_the_target_as_binance_does() -> None:
    # A 3 % trailing stop is wider than the 2 % stop-loss: the stop-loss rests, the
    # trailing stop gets no order (the bot watches it); a 1 % one rests in its place.
    exchange, _ = entered([FLAT])
    wide = protect(exchange, stop="98", target="110", trailing="0.03")
    assert [(r.purpose, r.status) for r in wide] == [(SL, OrderStatus.NEW), (TP, OrderStatus.NEW)]
    assert exchange.find_order("BTCUSDT", SPOT, ClientOrderId("p-r")) is None
    for purpose in (SL, TP):
        exchange.cancel_order("BTCUSDT", SPOT, ClientOrderId(f"p-{purpose.code}"))
    narrow = protect(exchange, stop="98", target="110", trailing="0.01", prefix="q")
    assert [r.purpose for r in narrow] == [TP, TS]


@pytest.mark.parametrize("rate", ["0.0009", "0.21"])
def test_a_spot_trailing_stop_outside_binances_trailing_delta_is_refused(rate: str) -> None:
    exchange, _ = entered([FLAT])
    with pytest.raises(VenueRejection) as caught:
        protect(exchange, target="110", trailing=rate)
    assert (caught.value.refusal, caught.value.field) == (Refusal.INVALID_FIELD, "trailing_rate")
    assert exchange.spot_balance("BTC").locked == 0  # nothing rests
    assert protect(exchange, trailing="0.2")  # 2,000 BIPS, the widest Binance takes


def test_the_spot_venue_refuses_a_stop_loss_beside_a_trailing_stop() -> None:
    exchange, _ = entered([FLAT])
    both = ProtectionRequest(
        symbol="BTCUSDT", position_type=SPOT, position_side=LONG, quantity=D(1),
        entry_price=D(100), stop_loss=D(98), take_profit=None, trailing_rate=D("0.03"),
        ids={SL: ClientOrderId("p-s"), TS: ClientOrderId("p-r")},
    )  # fmt: skip
    with pytest.raises(VenueRejection) as caught:
        exchange.venue.run(
            "protect_position", 1, lambda desk, account, now: desk.exits.place(account, both, now)
        )
    assert (caught.value.refusal, caught.value.field) == (Refusal.INVALID_FIELD, "trailing_rate")
    assert exchange.spot_balance("BTC").locked == 0  # nothing rests


def test_a_spot_group_locks_the_base_it_will_sell_until_cancelled() -> None:
    exchange, _ = entered([FLAT])
    protect(exchange, stop="98", target="110")
    assert (exchange.spot_balance("BTC").free, exchange.spot_balance("BTC").locked) == (D(0), D(1))
    with pytest.raises(VenueRejection) as caught:
        exchange.place_market_order(
            OrderRequest(ClientOrderId("close"), "BTCUSDT", SPOT, Side.SELL, D(1))
        )
    assert caught.value.refusal is Refusal.INSUFFICIENT_BALANCE
    exchange.cancel_order("BTCUSDT", SPOT, ClientOrderId("p-s"))
    assert exchange.spot_balance("BTC").locked == 1  # the target still rests
    cancelled = exchange.cancel_order("BTCUSDT", SPOT, ClientOrderId("p-t"))
    assert cancelled is not None
    assert cancelled.status is OrderStatus.CANCELED
    assert (exchange.spot_balance("BTC").free, exchange.spot_balance("BTC").locked) == (D(1), D(0))


def test_a_cancelled_leg_no_longer_fires() -> None:
    exchange, clock = entered([("100", "111", "97", "105")])
    protect(exchange, stop="98", target="110")
    exchange.cancel_order("BTCUSDT", SPOT, ClientOrderId("p-s"))
    clock.at_minute(2)
    assert status(exchange, SL).status is OrderStatus.CANCELED
    assert status(exchange, TP).avg_price == D(110)


def test_cancelling_a_filled_order_returns_its_fill_and_an_unknown_one_none() -> None:
    exchange, clock = entered([("100", "100", "97", "99")])
    protect(exchange, stop="98")
    clock.at_minute(2)
    report = exchange.cancel_order("BTCUSDT", SPOT, ClientOrderId("p-s"))
    assert report is not None
    assert report.status is OrderStatus.FILLED
    assert exchange.cancel_order("BTCUSDT", SPOT, ClientOrderId("nothing")) is None


def test_protecting_more_base_than_is_free_is_rejected() -> None:
    exchange, _ = entered([FLAT])
    protect(exchange, stop="98")
    with pytest.raises(VenueRejection) as caught:
        protect(exchange, stop="97", prefix="q")
    assert caught.value.refusal is Refusal.INSUFFICIENT_BALANCE


def test_a_resting_client_id_cannot_be_used_again() -> None:
    exchange, _ = entered([FLAT])
    exchange.place_market_order(
        OrderRequest(ClientOrderId("more"), "BTCUSDT", SPOT, Side.BUY, D(1))
    )
    protect(exchange, stop="98")
    with pytest.raises(VenueRejection) as caught:
        protect(exchange, stop="97")
    assert (caught.value.refusal, caught.value.value) == (Refusal.DUPLICATE_CLIENT_ID, "p-s")


def test_a_request_without_any_level_is_rejected() -> None:
    exchange, _ = entered([FLAT])
    with pytest.raises(VenueRejection) as caught:
        protect(exchange)
    assert (caught.value.refusal, caught.value.field) == (Refusal.INVALID_FIELD, "levels")


def test_futures_protection_needs_a_position_on_that_side() -> None:
    exchange, _ = entered([FLAT], kind=FUTURES)
    with pytest.raises(VenueRejection) as caught:
        protect(exchange, stop="102", kind=FUTURES, side=SHORT)
    assert caught.value.refusal is Refusal.WOULD_NOT_REDUCE


def test_futures_protection_is_cancelled_when_the_position_closes_otherwise() -> None:
    exchange, _ = entered([FLAT], kind=FUTURES)
    reports = protect(exchange, stop="98", target="110", kind=FUTURES)
    assert reports[0].raw["purpose"] == "stop_loss"
    assert reports[0].raw["reduce_only"] is True
    exchange.place_market_order(
        OrderRequest(ClientOrderId("close"), "BTCUSDT", FUTURES, Side.SELL, D(1), True)
    )
    assert status(exchange, SL, FUTURES).status is OrderStatus.CANCELED
    assert status(exchange, TP, FUTURES).status is OrderStatus.CANCELED


def test_a_futures_stop_realizes_its_loss_in_the_wallet() -> None:
    exchange, clock = entered([("100", "100", "97", "99")], kind=FUTURES)
    wallet = exchange.futures_wallet("USDT")
    protect(exchange, stop="98", kind=FUTURES)
    clock.at_minute(2)
    report = status(exchange, SL, FUTURES)
    assert report.fee == D("0.0392")
    assert exchange.futures_wallet("USDT") == wallet - D(2) - D("0.0392")
    assert exchange.position("BTCUSDT") is None


# --- The venue's rule is the strategy page's rule ---------------------------------------------

prices = st.decimals(min_value=D(50), max_value=D(150), places=2)
fractions = st.none() | st.decimals(min_value=D("0.001"), max_value=D("0.3"), places=3)


@given(
    side=st.sampled_from([LONG, SHORT]),
    entry=prices,
    peak=prices,
    sl=fractions,
    tp=fractions,
    ts=fractions,
    a=prices,
    b=prices,
    c=prices,
)
def test_levels_fire_exactly_as_the_strategy_page_says(
    side: PositionSide,
    entry: Decimal,
    peak: Decimal,
    sl: Decimal | None,
    tp: Decimal | None,
    ts: Decimal | None,
    a: Decimal,
    b: Decimal,
    c: Decimal,
) -> None:
    # Levels from the page's formulas (tests/exit_rule.py), not from the domain's functions.
    low, open_, high = sorted((a, b, c))
    s = side.value
    stop, target = stop_loss_at(s, entry, sl), take_profit_at(s, entry, tp)
    expected = exit_at(s, stop, target, trailing_at(s, peak, ts), open_, high, low)
    got = exit_at_levels(side, stop, target, ts, peak, open_, high, low)
    assert got == (None if expected is None else (expected[0], ExitReason(expected[1])))

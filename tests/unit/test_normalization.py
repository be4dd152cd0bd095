"""A MARKET order's quantity is floored, capped and checked exactly as STRATEGY.md says."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tradewind.adapters.exchange.builtin_rules import BUILTIN_RULES
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import (
    NoOrder,
    NoOrderReason,
    floor_to_step,
    normalize_quantity,
)
from tradewind.domain.types import PositionType

D = Decimal


def rules(
    step: str = "0",
    min_qty: str = "0",
    max_qty: str = "0",
    min_notional: str = "0",
    max_notional: str = "0",
) -> MarketRules:
    return MarketRules(
        "ABCUSDT", PositionType.SPOT, "ABC", "USDT",
        step=D(step), min_qty=D(min_qty), max_qty=D(max_qty),
        min_notional=D(min_notional), max_notional=D(max_notional),
    )  # fmt: skip


# --- examples ------------------------------------------------------------------------------


def test_quantity_is_floored_to_the_step_never_rounded_up() -> None:
    assert normalize_quantity(D("0.00083999"), D(30000), rules("0.00001")) == D("0.00083")


def test_the_result_carries_the_step_s_decimal_places() -> None:
    assert str(normalize_quantity(D("0.123456789"), D(100), rules("0.00001000"))) == "0.12345000"


def test_a_zero_step_means_no_flooring() -> None:
    assert normalize_quantity(D("0.123456789"), D(100), rules("0")) == D("0.123456789")


def test_a_quantity_above_the_maximum_is_cut_to_it_and_floored_again() -> None:
    assert normalize_quantity(D(500), D(10), rules("0.001", max_qty="120")) == D(120)
    assert normalize_quantity(D(500), D(10), rules("1", max_qty="120.5")) == D(120)


def test_a_quantity_whose_notional_exceeds_the_maximum_notional_is_cut_to_it() -> None:
    qty = normalize_quantity(D(10), D(30000), rules("0.00001", max_notional="100000"))
    assert qty == D("3.33333")


def test_below_the_minimum_quantity_there_is_no_order_and_the_detail_names_the_numbers() -> None:
    result = normalize_quantity(D("0.0004"), D(60000), rules("0.001", min_qty="0.001"))
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.BELOW_MIN_QTY
    assert "0.0004" in result.detail
    assert "0.001" in result.detail
    assert "ABCUSDT" in result.detail


def test_below_the_minimum_notional_there_is_no_order_and_the_detail_names_the_numbers() -> None:
    result = normalize_quantity(D("0.002"), D(2000), rules("0.001", "0.001", min_notional="5"))
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.BELOW_MIN_NOTIONAL
    assert "notional 4.000" in result.detail
    assert "minimum notional 5" in result.detail


def test_a_quantity_that_floors_to_zero_without_a_minimum_is_a_zero_quantity() -> None:
    result = normalize_quantity(D("0.4"), D(1), rules("1"))
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.ZERO_QUANTITY


@pytest.mark.parametrize("price", [D(0), D(-1), D("NaN"), D("Infinity")])
def test_a_price_that_is_not_positive_and_finite_gives_no_order(price: Decimal) -> None:
    result = normalize_quantity(D(1), price, rules("0.1"))
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.INVALID_PRICE


@pytest.mark.parametrize("wish", [D(-1), D("NaN"), D("-Infinity")])
def test_a_wish_that_is_negative_or_not_finite_gives_no_order(wish: Decimal) -> None:
    result = normalize_quantity(wish, D(1), rules("0.1"))
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.INVALID_QUANTITY


def test_a_zero_wish_gives_no_order() -> None:
    result = normalize_quantity(D(0), D(1), rules("0.1"))
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.ZERO_QUANTITY


def test_huge_and_tiny_magnitudes_floor_exactly_beyond_the_default_precision() -> None:
    # Written as literals: adding 1E+30 and 0.123456 would itself round to 28 digits.
    huge = D("1000000000000000000000000000000.123456")
    assert floor_to_step(huge, D("0.00001")) == D("1000000000000000000000000000000.12345")
    assert floor_to_step(D("1E-40"), D("0.001")) == 0


def test_a_long_step_floors_a_huge_quantity_exactly() -> None:
    # 1E+30 / 0.12345678901 has 31 integer digits: more than the default precision holds.
    step = D("0.12345678901")
    exact = floor(Fraction(10**30) / Fraction(step)) * Fraction(step)
    assert Fraction(floor_to_step(D("1E+30"), step)) == exact


def test_the_maximum_notional_cut_rounds_down_never_up_past_the_limit() -> None:
    # 200 / 3 = 66.666…: to 28 digits that is …666 rounded down, …667 rounded to nearest;
    # 66.66666666666666666666666667 x 3 = 200.00000000000000000000000001, over the limit.
    qty = normalize_quantity(D(100), D(3), rules("0", max_notional="200"))
    assert qty == D("66.66666666666666666666666666")
    assert Fraction(qty) * 3 <= 200


def test_the_minimum_notional_is_checked_on_the_exact_notional_never_a_rounded_one() -> None:
    # 1.9999999999999999999 x 5.000000009 = 10.0000000179999999994999999991 exactly (30
    # digits); to 28 digits it rounds up to 10.00000001799999999950000000, the minimum here.
    minimum = "10.00000001799999999950000000"
    result = normalize_quantity(
        D("1.9999999999999999999"), D("5.000000009"), rules(min_notional=minimum)
    )
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.BELOW_MIN_NOTIONAL


def test_a_long_quantity_is_checked_against_the_minimum_on_its_exact_notional() -> None:
    # 29 + 1 digits: more than the default precision. 1.00…01 x 2 = 2.00…02, above the
    # minimum 2 exactly; to 28 digits it would be 2.000…000, still enough: it is sent.
    long = D("1.0000000000000000000000000001")
    assert normalize_quantity(long, D(2), rules(min_notional="2")) == long


def test_a_notional_of_exactly_the_maximum_is_not_cut_however_many_digits_it_has() -> None:
    # A wish of 30 digits whose notional is exactly the maximum stays whole (not floored
    # to the 28 digits a division would give).
    wish = D("1.00000000000000000000000000001")
    assert normalize_quantity(wish, D(1), rules(max_notional=str(wish))) == wish


def test_a_notional_of_exactly_the_minimum_is_enough() -> None:
    assert normalize_quantity(D("0.001"), D(20_000), rules("0.001", min_notional="20")) == D(
        "0.001"
    )


@pytest.mark.parametrize(
    ("wish", "price", "market", "reason", "detail"),
    [
        ("-1", "10", rules(), NoOrderReason.INVALID_QUANTITY, "quantity -1 is not a finite >= 0"),
        ("1", "0", rules(), NoOrderReason.INVALID_PRICE, "price 0 is not a finite > 0"),
        ("0", "10", rules(), NoOrderReason.ZERO_QUANTITY, "the wished quantity is 0"),
        ("0.4", "1", rules("1"), NoOrderReason.ZERO_QUANTITY,
         "quantity 0.4 floors to 0 at step 1 of ABCUSDT"),
        # Cut to 40 USDT of notional at 10 (4), then refused: the detail says it was cut.
        ("10", "10", rules("1", min_qty="5", max_notional="40"), NoOrderReason.BELOW_MIN_QTY,
         "quantity 4 (wish 10 floored to step 1) (cut from 10 to the maximum) is below the "
         "minimum quantity 5 of ABCUSDT"),
        ("10", "10", rules("1", max_notional="5"), NoOrderReason.ZERO_QUANTITY,
         "quantity 10 floors to 0 at step 1 of ABCUSDT (cut from 10 to the maximum)"),
        ("4", "10", rules("1", min_qty="5"), NoOrderReason.BELOW_MIN_QTY,
         "quantity 4 (wish 4 floored to step 1) is below the minimum quantity 5 of ABCUSDT"),
    ],
)  # fmt: skip
def test_each_refusal_says_why_in_words_and_numbers(
    wish: str, price: str, market: MarketRules, reason: NoOrderReason, detail: str
) -> None:
    result = normalize_quantity(D(wish), D(price), market)
    assert result == NoOrder(reason, detail)


# --- properties ----------------------------------------------------------------------------

STEPS = ["1", "0.1", "0.001", "0.00001", "0.00001000", "0.5", "0"]


@st.composite
def market_rules(draw: st.DrawFn) -> MarketRules:
    """Consistent rules over wide ranges, half of them with each rule off (0)."""
    step = D(draw(st.sampled_from(STEPS)))
    unit = step if step else D("0.0001")
    min_qty = draw(st.sampled_from([D(0), unit * draw(st.integers(1, 10_000))]))
    max_qty = draw(st.sampled_from([D(0), max(min_qty, unit) * draw(st.integers(1, 1_000_000))]))
    min_notional = draw(st.sampled_from([D(0), D(5), D(100), D("0.0001")]))
    max_notional = draw(st.sampled_from([D(0), D(9_000_000), D(50_000), D(1)]))
    return MarketRules(
        "ABCUSDT", PositionType.SPOT, "ABC", "USDT", step=step, min_qty=min_qty,
        max_qty=max_qty, min_notional=min_notional, max_notional=max_notional,
    )  # fmt: skip


any_rules = st.one_of(market_rules(), st.sampled_from(list(BUILTIN_RULES.values())))
wishes = st.decimals(min_value=0, max_value=10**12, places=12, allow_nan=False)
prices = st.decimals(min_value=D("0.00000001"), max_value=10**7, places=8, allow_nan=False)
amounts = st.decimals(min_value=1, max_value=10**7, places=2, allow_nan=False)


@st.composite
def orders(draw: st.DrawFn) -> tuple[Decimal, Decimal, MarketRules]:
    """A wish, a price and rules; half the wishes come from a quote amount, as the bot's do."""
    price = draw(prices)
    sized = (draw(amounts) / price).quantize(D("1E-12"))
    return draw(st.one_of(wishes, st.just(sized))), price, draw(any_rules)


def expected_quantity(wish: Decimal, price: Decimal, r: MarketRules) -> Fraction:
    """The rule in exact rational arithmetic: cap to the maxima, then floor to the step."""
    cap = Fraction(wish)
    if r.max_qty:
        cap = min(cap, Fraction(r.max_qty))
    if r.max_notional:
        cap = min(cap, Fraction(r.max_notional) / Fraction(price))
    if not r.step:
        return cap
    step = Fraction(r.step)
    return floor(cap / step) * step


def expected_reason(
    qty: Fraction, wish: Decimal, price: Decimal, r: MarketRules
) -> NoOrderReason | None:
    if wish == 0:
        return NoOrderReason.ZERO_QUANTITY
    if r.min_qty and qty < r.min_qty:
        return NoOrderReason.BELOW_MIN_QTY
    if qty == 0:
        return NoOrderReason.ZERO_QUANTITY
    if r.min_notional and qty * Fraction(price) < r.min_notional:
        return NoOrderReason.BELOW_MIN_NOTIONAL
    return None


@given(orders())
@example((D("0.0001"), D(50000), rules("0.0001", "0.0001", min_notional="5")))
@example((D(1), D(5), rules("1", "1", min_notional="5")))  # notional exactly the minimum
@example((D(7), D(1), rules("0", max_notional="3")))
@example((D(100), D(3), rules("0", max_notional="200")))  # the cap rounds: down, never up
def test_a_normalized_quantity_meets_every_rule_or_there_is_no_order_for_the_right_reason(
    order: tuple[Decimal, Decimal, MarketRules],
) -> None:
    wish, price, r = order
    result = normalize_quantity(wish, price, r)
    qty = expected_quantity(wish, price, r)
    reason = expected_reason(qty, wish, price, r)
    if isinstance(result, NoOrder):
        # No order only when the rules forbid one, and then for the reason they forbid it.
        assert result.reason == reason, result.detail
        return
    assert reason is None
    assert 0 < result <= wish
    if r.step:
        assert result % r.step == 0
        assert Fraction(result) == qty
    else:  # the maximum-notional cap divides, exactly up to 28 significant digits
        assert abs(Fraction(result) - qty) <= qty * Fraction(1, 10**26)
        assert result <= qty
    assert result >= r.min_qty
    if r.max_qty:
        assert result <= r.max_qty
    # Exactly: a product rounded to 28 digits could hide a notional just past a limit.
    assert Fraction(result) * Fraction(price) >= r.min_notional
    if r.max_notional:
        assert Fraction(result) * Fraction(price) <= r.max_notional


@given(orders())
def test_normalizing_a_normalized_quantity_returns_it_unchanged(
    order: tuple[Decimal, Decimal, MarketRules],
) -> None:
    wish, price, r = order
    result = normalize_quantity(wish, price, r)
    if isinstance(result, Decimal):
        again = normalize_quantity(result, price, r)
        assert again == result
        assert str(again) == str(result)


@given(orders())
def test_more_wished_never_gives_less(order: tuple[Decimal, Decimal, MarketRules]) -> None:
    wish, price, r = order
    smaller = normalize_quantity(wish, price, r)
    larger = normalize_quantity(wish * 2, price, r)
    if isinstance(smaller, Decimal):
        assert isinstance(larger, Decimal)
        assert larger >= smaller

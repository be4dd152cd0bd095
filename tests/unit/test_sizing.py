"""Entries are sized from the quote amount, capped leverage and the market rules."""

from __future__ import annotations

import itertools
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.adapters.exchange.builtin_rules import BUILTIN_RULES, rules_for
from tradewind.domain.errors import DomainError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import NoOrder, NoOrderReason, normalize_quantity
from tradewind.domain.params import MAX_LEVERAGE, SizingRule
from tradewind.domain.sizing import (
    effective_leverage,
    entry_quantity,
    entry_sizer,
    quote_amount,
    size_entry,
)
from tradewind.domain.types import PositionType, Symbol

D = Decimal
SPOT = PositionType.SPOT
FUTURES = PositionType.FUTURES


@pytest.mark.parametrize(
    ("configured", "exchange_max", "expected"),
    [
        (10, 125, 10),
        (75, 125, 50),
        (75, 0, 50),
        (75, 20, 20),
        (30, 20, 20),
        (1, 0, 1),
        (0, 0, 1),
        (10, 1, 1),  # an exchange maximum of 1 is a maximum, not "unknown"
    ],
)
def test_effective_leverage_is_the_least_of_configured_fifty_and_the_exchange_maximum(
    configured: int, exchange_max: int, expected: int
) -> None:
    assert effective_leverage(configured, exchange_max) == expected


@given(configured=st.integers(-10, 1000), exchange_max=st.integers(-5, 200))
def test_effective_leverage_never_exceeds_fifty_or_the_known_exchange_maximum(
    configured: int, exchange_max: int
) -> None:
    lev = effective_leverage(configured, exchange_max)
    assert 1 <= lev <= MAX_LEVERAGE
    if exchange_max >= 1:
        assert lev <= exchange_max
    assert lev <= max(configured, 1)


def test_quote_amount_is_fixed_when_set_else_a_fraction_of_free_balance_else_25() -> None:
    assert quote_amount(SizingRule(fixed_quote=D(100)), D(50)) == D(100)
    assert quote_amount(SizingRule(D(100), balance_fraction=D("0.5")), D(1000)) == D(100)
    assert quote_amount(SizingRule(balance_fraction=D("0.1")), D(1234)) == D("123.4")
    assert quote_amount(SizingRule(), D(1_000_000)) == D(25)


def test_entry_quantity_is_amount_over_price_on_spot_and_times_leverage_on_futures() -> None:
    assert entry_quantity(D(25), D(50000), 10, SPOT) == D("0.0005")
    assert entry_quantity(D(25), D(50000), 10, FUTURES) == D("0.005")


# Each run of the test asks a precision not asked before in the process (the mutation run
# forks its mutants from a process that ran the tests once already).
_FRESH_PRECISIONS = itertools.count(13)


def test_an_entry_quantity_rounds_toward_zero_at_the_precision_in_force() -> None:
    # 2 / 3 rounded half-even would end in ...7, and 3 x that is more than the 2 committed.
    with localcontext(prec=next(_FRESH_PRECISIONS)) as context:
        quantity = entry_quantity(D(2), D(3), 1, SPOT)
        assert quantity == D("0." + "6" * context.prec)
        assert quantity * 3 <= 2
    assert entry_quantity(D(2), D(3), 1, SPOT) == D("0." + "6" * 28)


@pytest.mark.parametrize(
    ("price", "leverage", "message"),
    [
        (D(0), 1, "price must be a finite Decimal > 0, got 0"),
        (D(-5), 1, "price must be a finite Decimal > 0, got -5"),
        (D(100), 0, "leverage must be >= 1, got 0"),
    ],
)
def test_entry_quantity_refuses_an_impossible_price_or_leverage(
    price: Decimal, leverage: int, message: str
) -> None:
    with pytest.raises(DomainError) as refused:
        entry_quantity(D(25), price, leverage, FUTURES)
    assert str(refused.value) == message


def test_the_default_25_usdt_buys_btc_floored_to_the_spot_step() -> None:
    qty = size_entry(SizingRule(), D(1000), D(60000), 1, rules_for("BTCUSDT", SPOT))
    assert qty == D("0.00041")  # 25 / 60000 = 0.000416…


def test_spot_ignores_leverage() -> None:
    rules = rules_for("BTCUSDT", SPOT)
    assert size_entry(SizingRule(), D(1000), D(60000), 20, rules) == D("0.00041")


def test_futures_margin_times_leverage_is_the_notional() -> None:
    qty = size_entry(SizingRule(), D(1000), D(60000), 10, rules_for("BTCUSDT", FUTURES))
    assert qty == D("0.004")  # 25 x 10 / 60000 = 0.004166…


def test_futures_leverage_is_capped_at_fifty_even_where_the_exchange_allows_more() -> None:
    rules = rules_for("BTCUSDT", FUTURES)  # exchange maximum 125
    qty = size_entry(SizingRule(fixed_quote=D(100)), D(1000), D(50000), 125, rules)
    assert qty == D("0.1")  # 100 x 50 / 50000


def test_futures_leverage_is_capped_at_the_exchange_maximum_when_it_is_lower() -> None:
    rules = MarketRules("ABCUSDT", FUTURES, "ABC", "USDT", step=D("0.1"), max_leverage=20)
    assert size_entry(SizingRule(fixed_quote=D(10)), D(100), D(1), 50, rules) == D(200)


def test_a_futures_entry_below_the_minimum_notional_is_not_sent() -> None:
    # BTCUSDT perpetuals need 100 USDT of notional: 25 USDT x 3 buys 0.001 BTC, worth 60.
    result = size_entry(SizingRule(), D(1000), D(60000), 3, rules_for("BTCUSDT", FUTURES))
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.BELOW_MIN_NOTIONAL


def test_an_amount_above_the_free_balance_is_insufficient_balance_naming_the_margin() -> None:
    rules = rules_for("ETHUSDT", FUTURES)
    result = size_entry(SizingRule(fixed_quote=D(100)), D(40), D(3000), 5, rules)
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.INSUFFICIENT_BALANCE
    assert "margin 100 USDT" in result.detail
    assert "free balance 40 USDT" in result.detail


def test_a_fraction_of_an_empty_balance_is_insufficient_balance() -> None:
    rule = SizingRule(balance_fraction=D("0.5"))
    result = size_entry(rule, D(0), D(3000), 1, rules_for("ETHUSDT", SPOT))
    assert isinstance(result, NoOrder)
    assert result.reason is NoOrderReason.INSUFFICIENT_BALANCE


def test_an_invalid_price_gives_no_order() -> None:
    result = size_entry(SizingRule(), D(1000), D(0), 1, rules_for("ETHUSDT", SPOT))
    assert result == NoOrder(NoOrderReason.INVALID_PRICE, "price 0 is not a finite > 0")


@pytest.mark.parametrize(
    ("rule", "free", "detail"),
    [
        # On spot the quote committed is an amount (a margin on futures, above).
        (SizingRule(fixed_quote=D(100)), "40",
         "amount 100 USDT is more than the free balance 40 USDT"),
        # An amount below 1 USDT is an amount too.
        (SizingRule(fixed_quote=D("0.5")), "0.2",
         "amount 0.5 USDT is more than the free balance 0.2 USDT"),
        (SizingRule(balance_fraction=D("0.5")), "0",
         "free balance 0 USDT leaves nothing to trade"),
    ],
)  # fmt: skip
def test_a_spot_entry_the_balance_cannot_pay_says_so_in_words(
    rule: SizingRule, free: str, detail: str
) -> None:
    result = size_entry(rule, D(free), D(3000), 1, rules_for("ETHUSDT", SPOT))
    assert result == NoOrder(NoOrderReason.INSUFFICIENT_BALANCE, detail)


sizing_rules = st.one_of(
    st.builds(SizingRule, fixed_quote=st.decimals("0.01", "100000", places=2)),
    st.builds(SizingRule, balance_fraction=st.decimals("0.01", "1", places=4)),
    st.just(SizingRule()),
)
balances = st.one_of(
    st.decimals("0", "100", places=8),
    st.decimals("100", "10000000", places=2),
)
# Wide prices, and prices near where the five majors trade.
prices = st.one_of(
    st.decimals("0.00001", "1000000", places=5),
    st.sampled_from(["0.52", "2.31", "148.7", "602.1", "3150.25", "64012.5"]).map(Decimal),
)


@given(
    rule=sizing_rules,
    free=balances,
    price=prices,
    leverage=st.integers(1, 200),
    rules=st.sampled_from(list(BUILTIN_RULES.values())),
)
def test_a_sized_entry_never_commits_more_than_the_amount_nor_the_free_balance(
    rule: SizingRule, free: Decimal, price: Decimal, leverage: int, rules: MarketRules
) -> None:
    result = size_entry(rule, free, price, leverage, rules)
    amount = quote_amount(rule, free)
    if isinstance(result, NoOrder):
        insufficient = amount <= 0 or amount > free
        assert (result.reason is NoOrderReason.INSUFFICIENT_BALANCE) == insufficient
        return
    lev = effective_leverage(leverage, rules.max_leverage) if rules.position_type is FUTURES else 1
    notional = result * price
    margin = notional / lev
    assert margin <= amount <= free
    # The leverage actually used never exceeds 50 nor the exchange's maximum.
    assert notional <= amount * MAX_LEVERAGE
    if rules.max_leverage:
        assert notional <= amount * rules.max_leverage
    if rules.position_type is SPOT:
        assert notional <= amount
    # And the quantity is exactly the normalized wish.
    wish = entry_quantity(amount, price, lev, rules.position_type)
    assert result == normalize_quantity(wish, price, rules)


# --- the backtester's entry sizer ------------------------------------------------------------
# `entry_sizer` is `size_entry` with what does not change between entries worked out once:
# entry after entry it gives exactly what `size_entry` gives, the same quantity (value and
# digits) or the same refusal, for any balance, price, sizing rule, leverage and market rules.

STEPS = [D(0), D("0.00001"), D("0.001"), D("0.1"), D(1), D("0.00000001"), D("0.005")]


def _amounts(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=D(low), max_value=D(high), places=places, allow_nan=False)


@st.composite
def sizer_markets(draw: st.DrawFn) -> MarketRules:
    kind = draw(st.sampled_from(list(PositionType)))
    step = draw(st.sampled_from(STEPS))
    min_qty = draw(st.sampled_from([D(0), step, step * 10 or D("0.001")]))
    max_qty = draw(st.sampled_from([D(0), D("0.5"), D(100), D(9000)]))
    return MarketRules(
        symbol=Symbol("BTCUSDT"), position_type=kind, base_asset="BTC", quote_asset="USDT",
        tick_size=D("0.01"), step=step, min_qty=min_qty,
        max_qty=max(max_qty, min_qty) if max_qty else max_qty,
        min_notional=draw(st.sampled_from([D(0), D(5), D(100)])),
        max_notional=draw(st.sampled_from([D(0), D(0), D(50_000)])),
        max_leverage=draw(st.sampled_from([0, 20, 125])) if kind is PositionType.FUTURES else 0,
    )  # fmt: skip


sizer_rules = st.one_of(
    st.builds(SizingRule, fixed_quote=_amounts("0.01", "100000", 4)),
    st.builds(SizingRule, balance_fraction=_amounts("0.0001", "1", 4)),
    st.just(SizingRule()),
)


@settings(max_examples=400)
@given(
    rule=sizer_rules,
    market=sizer_markets(),
    leverage=st.integers(min_value=1, max_value=125),
    entries=st.lists(
        st.tuples(_amounts("0", "1000000", 8), _amounts("0.00000001", "150000", 8)),
        min_size=1, max_size=8,
    ),
)  # fmt: skip
def test_the_entry_sizer_is_size_entry_to_the_last_digit(
    rule: SizingRule, market: MarketRules, leverage: int, entries: list[tuple[Decimal, Decimal]]
) -> None:
    size = entry_sizer(rule, leverage, market)
    for free, price in entries:
        expected = size_entry(rule, free, price, leverage, market)
        got = size(free, price)
        assert got == expected
        assert str(got) == str(expected)  # the same digits, not only the same value


def test_prices_that_are_not_finite_or_positive_are_refused_as_size_entry_refuses() -> None:
    market = MarketRules(Symbol("BTCUSDT"), PositionType.SPOT, "BTC", "USDT", step=D("0.001"))
    size = entry_sizer(SizingRule(fixed_quote=D(25)), 1, market)
    for price in (D(0), D(-1), D("NaN"), D("Infinity")):
        expected = size_entry(SizingRule(fixed_quote=D(25)), D(100), price, 1, market)
        assert size(D(100), price) == expected


SPOT_BY_THE_UNIT = MarketRules(
    Symbol("BTCUSDT"), PositionType.SPOT, "BTC", "USDT", step=D(1), min_qty=D(0)
)  # no minimum quantity nor notional: only the step can refuse


def test_an_entry_that_floors_to_nothing_is_refused_never_sent_as_zero() -> None:
    # 25 USDT at 100 buys 0.25, which a step of 1 floors to 0.
    rule = SizingRule(fixed_quote=D(25))
    for refused in (
        size_entry(rule, D(100), D(100), 1, SPOT_BY_THE_UNIT),
        entry_sizer(rule, 1, SPOT_BY_THE_UNIT)(D(100), D(100)),
    ):
        assert isinstance(refused, NoOrder)
        assert refused.reason is NoOrderReason.ZERO_QUANTITY


def test_an_amount_finer_than_the_precision_never_buys_more_than_it_pays_for() -> None:
    # A fixed quote of 30 significant digits, 0.00...01 short of 2 USDT, at a price of 1:
    # rounded to the 28 digits of the context it would be 2, and buy 2. Rounded down, as
    # every division of the sizing is, it buys 1.999 (step 0.001).
    amount = D("1.99999999999999999999999999999")
    spot = MarketRules(Symbol("BTCUSDT"), PositionType.SPOT, "BTC", "USDT", step=D("0.001"))
    rule = SizingRule(fixed_quote=amount)
    assert size_entry(rule, D(10), D(1), 1, spot) == D("1.999")
    assert entry_sizer(rule, 1, spot)(D(10), D(1)) == D("1.999")

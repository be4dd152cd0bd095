"""Properties of the resting-order fill rule (docs/strategy.md "Resting orders")."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tradewind.adapters.exchange.simulated.fill_rule import (
    crosses,
    resting_fill,
    trigger_in_bar,
    triggers_now,
)
from tradewind.adapters.exchange.simulated.state import RestingKind
from tradewind.domain.types import Side

prices = st.decimals(min_value="0.01", max_value="100000", places=2)
sides = st.sampled_from(Side)
conditional = st.sampled_from([k for k in RestingKind if k.conditional])


@st.composite
def candles(draw: st.DrawFn) -> tuple[Decimal, Decimal, Decimal]:
    """(open, high, low) of a candle whose open lies inside its range."""
    values = sorted(draw(st.lists(prices, min_size=3, max_size=3)))
    return draw(st.sampled_from(values)), values[2], values[0]


@given(sides, prices, candles())
def test_a_resting_limit_fills_at_its_own_price_only_in_a_candle_that_reaches_it(
    side: Side, limit: Decimal, candle: tuple[Decimal, Decimal, Decimal]
) -> None:
    _, high, low = candle
    price = resting_fill(side, limit, high, low)
    reached = low <= limit if side is Side.BUY else high >= limit
    assert (price is not None) == reached
    assert price is None or price == limit


@given(sides, prices, prices)
def test_a_crossing_limit_fills_at_a_price_no_worse_than_its_limit(
    side: Side, limit: Decimal, market: Decimal
) -> None:
    if crosses(side, limit, market):  # it fills at `market`
        assert market <= limit if side is Side.BUY else market >= limit
    else:  # it rests: filling at `market` now would be worse than the limit
        assert market > limit if side is Side.BUY else market < limit


@given(conditional, sides, prices, candles())
def test_a_trigger_is_the_stop_or_the_open_beyond_it_and_only_when_the_candle_reaches_it(
    kind: RestingKind, side: Side, stop: Decimal, candle: tuple[Decimal, Decimal, Decimal]
) -> None:
    open_, high, low = candle
    price = trigger_in_bar(kind, side, stop, open_, high, low)
    falls = triggers_now(kind, side, stop, stop - 1)  # does a lower price trigger it?
    assert (price is not None) == (low <= stop if falls else high >= stop)
    if price is not None:
        assert price in (stop, open_)
        assert low <= price <= high
        assert triggers_now(kind, side, stop, price)  # at or beyond the stop, never short


@given(conditional, prices, candles())
def test_buy_and_sell_triggers_mirror_each_other(
    kind: RestingKind, stop: Decimal, candle: tuple[Decimal, Decimal, Decimal]
) -> None:
    open_, high, low = candle
    buy = trigger_in_bar(kind, Side.BUY, stop, open_, high, low)
    sell = trigger_in_bar(kind, Side.SELL, -stop, -open_, -low, -high)
    assert buy == (None if sell is None else -sell)

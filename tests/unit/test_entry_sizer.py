"""The backtester's entry sizer gives exactly what `size_entry` gives, entry after entry:
the same quantity (value and digits) or the same refusal, for any balance, price,
sizing rule, leverage and market rules."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.domain.market_rules import MarketRules
from tradewind.domain.params import SizingRule
from tradewind.domain.sizing import entry_sizer, size_entry
from tradewind.domain.types import PositionType, Symbol

D = Decimal
STEPS = [D(0), D("0.00001"), D("0.001"), D("0.1"), D(1), D("0.00000001"), D("0.005")]


def _money(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=D(low), max_value=D(high), places=places, allow_nan=False)


@st.composite
def markets(draw: st.DrawFn) -> MarketRules:
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


sizing_rules = st.one_of(
    st.builds(SizingRule, fixed_quote=_money("0.01", "100000", 4)),
    st.builds(SizingRule, balance_fraction=_money("0.0001", "1", 4)),
    st.just(SizingRule()),
)


@settings(max_examples=400)
@given(
    rule=sizing_rules,
    market=markets(),
    leverage=st.integers(min_value=1, max_value=125),
    entries=st.lists(
        st.tuples(_money("0", "1000000", 8), _money("0.00000001", "150000", 8)),
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

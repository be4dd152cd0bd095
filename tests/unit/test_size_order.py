"""The domain's sizing step, `size_order`, and the futures top-up rule, on their own.

An entry decided by `decide` is sized from the close it was decided at and what the
exchange says of the funds; the quantity meets every market rule and never commits more
than the wallet holds (as margin, on futures), or there is no order and the reason says
why. Checked on examples, then as properties in exact rational arithmetic.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from tradewind.domain.decide import (
    FEE_ROOM,
    Enter,
    TradingRules,
    funding_shortfall,
    size_order,
    transfer_size,
)
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import NoOrder, NoOrderReason
from tradewind.domain.params import DailyLimits, ExitRules, SizingRule
from tradewind.domain.sizing import effective_leverage, quote_amount
from tradewind.domain.strategies import StrategyChoice
from tradewind.domain.strategies.ema_rsi import EMA_RSI, EmaRsiParams
from tradewind.domain.types import PositionSide, PositionType, Signal

D = Decimal
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES


def bot(position_type: PositionType = SPOT, **changes: Any) -> TradingRules:
    default = TradingRules(
        StrategyChoice(EMA_RSI, EmaRsiParams()), ExitRules(), SizingRule(), DailyLimits(),
        position_type,
    )  # fmt: skip
    return replace(default, **changes)


def market(position_type: PositionType = SPOT, **rules: Any) -> MarketRules:
    return MarketRules("BTCUSDT", position_type, "BTC", "USDT", **rules)


LONG_AT_42000 = Enter(PositionSide.LONG, Signal.BUY, D(42_000))
BTC = market(step=D("0.00001"), min_qty=D("0.00001"), min_notional=D(5))


def test_a_spot_entry_buys_its_amount_at_the_decided_close_floored_to_the_step() -> None:
    hundred = bot(sizing=SizingRule(fixed_quote=D(100)))
    assert size_order(hundred, LONG_AT_42000, BTC, D(10_000), 1) == D("0.00238")  # 0.0023809…


def test_without_a_set_amount_a_spot_entry_takes_its_share_of_the_free_balance_else_25() -> None:
    share = bot(sizing=SizingRule(balance_fraction=D("0.1")))
    assert size_order(share, LONG_AT_42000, BTC, D(8_400), 1) == D("0.02")
    assert size_order(bot(), LONG_AT_42000, BTC, D(8_400), 1) == D("0.00059")


def test_a_futures_entry_is_its_margin_times_the_leverage_the_exchange_allows() -> None:
    short = Enter(PositionSide.SHORT, Signal.SELL, D(40_000))
    rules = bot(FUTURES, sizing=SizingRule(fixed_quote=D(50)), leverage=75)
    up_to_20x = replace(BTC, position_type=FUTURES, max_leverage=20)
    assert size_order(rules, short, up_to_20x, D(60), 75) == D("0.025")  # 50 x 20 / 40,000


def test_an_amount_the_wallet_does_not_hold_is_no_order_for_insufficient_balance() -> None:
    hundred = bot(sizing=SizingRule(fixed_quote=D(100)))
    sized = size_order(hundred, LONG_AT_42000, BTC, D("99.99"), 1)
    assert isinstance(sized, NoOrder)
    assert sized.reason is NoOrderReason.INSUFFICIENT_BALANCE


def test_an_entry_below_the_minimum_notional_is_no_order_and_names_the_minimum() -> None:
    rules = market(step=D("0.00001"), min_notional=D(10))
    sized = size_order(bot(sizing=SizingRule(fixed_quote=D(5))), LONG_AT_42000, rules, D(100), 1)
    assert isinstance(sized, NoOrder)
    assert sized.reason is NoOrderReason.BELOW_MIN_NOTIONAL
    assert "minimum notional 10" in sized.detail


# --- properties --------------------------------------------------------------------------------

STEPS = ["1", "0.1", "0.001", "0.00001", "0.5", "0"]


@st.composite
def market_rules(draw: st.DrawFn) -> MarketRules:
    """Consistent rules of either market, each rule off (0) about half the time."""
    position_type = draw(st.sampled_from(PositionType))
    step = D(draw(st.sampled_from(STEPS)))
    unit = step or D("0.0001")
    min_qty = draw(st.sampled_from([D(0), unit * draw(st.integers(1, 1_000))]))
    max_qty = draw(st.sampled_from([D(0), max(min_qty, unit) * draw(st.integers(1, 10**6))]))
    return market(
        position_type, step=step, min_qty=min_qty, max_qty=max_qty,
        min_notional=draw(st.sampled_from([D(0), D(5), D(100)])),
        max_notional=draw(st.sampled_from([D(0), D(50_000), D(9_000_000)])),
        max_leverage=0 if position_type is SPOT else draw(st.integers(0, 125)),
    )  # fmt: skip


sizing_rules = st.one_of(
    st.builds(SizingRule, fixed_quote=st.decimals("0.01", "100000", places=2)),
    st.builds(SizingRule, balance_fraction=st.decimals("0.0001", "1", places=4)),
    st.just(SizingRule()),
)
balances = st.decimals("0", "10000000", places=8)
prices = st.decimals("0.0001", "1000000", places=4)


@given(sizing=sizing_rules, free=balances, price=prices, leverage=st.integers(1, 125),
       rules=market_rules())  # fmt: skip
@example(SizingRule(D(100)), D(100), D(3), 1, market(step=D(1), min_notional=D(5)))
@example(SizingRule(D(25)), D(25), D("0.0001"), 1, market(step=D(0)))  # no step: an exact wish
def test_a_sized_order_never_commits_more_than_the_wallet_holds_and_meets_every_market_rule(
    sizing: SizingRule, free: Decimal, price: Decimal, leverage: int, rules: MarketRules
) -> None:
    position_type = rules.position_type
    entry = Enter(PositionSide.LONG, Signal.BUY, price)
    sized = size_order(bot(position_type, sizing=sizing), entry, rules, free, leverage)
    amount = quote_amount(sizing, free)
    if isinstance(sized, NoOrder):
        short_of_funds = amount <= 0 or amount > free
        assert (sized.reason is NoOrderReason.INSUFFICIENT_BALANCE) == short_of_funds
        return
    lev = effective_leverage(leverage, rules.max_leverage) if position_type is FUTURES else 1
    qty, notional = Fraction(sized), Fraction(sized) * Fraction(price)
    assert qty > 0
    # Funds: the notional (its margin x leverage on futures) is within the amount and the wallet.
    assert notional <= Fraction(amount) * lev <= Fraction(free) * lev
    # The market's rules, each where it is set.
    if rules.step:
        assert qty % Fraction(rules.step) == 0
    if rules.min_qty:
        assert qty >= Fraction(rules.min_qty)
    if rules.max_qty:
        assert qty <= Fraction(rules.max_qty)
    if rules.min_notional:
        assert notional >= Fraction(rules.min_notional)
    if rules.max_notional:
        assert notional <= Fraction(rules.max_notional)


@given(sizing=sizing_rules, free=balances, leverage=st.integers(1, 50),
       spot_free=balances, set_amount=st.none() | st.decimals("1", "100000", places=2))  # fmt: skip
def test_a_futures_wallet_topped_up_by_its_shortfall_pays_the_entry_and_its_fees(
    sizing: SizingRule,
    free: Decimal,
    leverage: int,
    spot_free: Decimal,
    set_amount: Decimal | None,
) -> None:
    rules = bot(FUTURES, sizing=sizing, auto_transfer=True, transfer_amount=set_amount)
    needed = quote_amount(sizing, free) * (1 + leverage * FEE_ROOM)
    shortfall = funding_shortfall(rules, free, leverage)
    if shortfall is None:
        assert free >= needed
        return
    assert shortfall == needed - free > 0
    moved = transfer_size(rules, shortfall, spot_free)
    assert 0 <= moved <= spot_free
    assert moved == min(set_amount or shortfall, spot_free)
    if sizing.balance_fraction is None and moved >= shortfall:
        entry = Enter(PositionSide.LONG, Signal.BUY, D(40_000))
        sized = size_order(rules, entry, market(FUTURES), free + moved, leverage)
        assert not (
            isinstance(sized, NoOrder) and sized.reason is NoOrderReason.INSUFFICIENT_BALANCE
        )


@given(free=balances, leverage=st.integers(1, 50), position_type=st.sampled_from(PositionType))
def test_only_a_futures_bot_that_asks_for_it_is_topped_up(
    free: Decimal, leverage: int, position_type: PositionType
) -> None:
    assert funding_shortfall(bot(position_type), free, leverage) is None
    assert funding_shortfall(bot(SPOT, auto_transfer=True), free, leverage) is None

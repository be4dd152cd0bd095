"""How big an entry is: quote amount, leverage, quantity, then exchange normalization.

Docs: STRATEGY.md, "Sizing". The amount is `position_size_fixed` if set, else a fraction of
the free quote balance, else 25 USDT. For futures the amount is the margin and the notional is
amount x leverage, with leverage = min(configured, 50, the exchange's maximum).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Context, Decimal, getcontext

from tradewind.domain.errors import DomainError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import (
    NoOrder,
    NoOrderReason,
    floor_to_step,
    normalize_quantity,
    notional_of,
)
from tradewind.domain.params import MAX_LEVERAGE, SizingRule
from tradewind.domain.types import PositionType

ZERO = Decimal(0)


def effective_leverage(configured: int, exchange_max: int) -> int:
    """Return min(configured, 50, exchange_max when known (> 0)), and at least 1."""
    cap = MAX_LEVERAGE if exchange_max <= 0 else min(MAX_LEVERAGE, exchange_max)
    return max(1, min(configured, cap))


def quote_amount(rule: SizingRule, free_quote: Decimal) -> Decimal:
    """Return the quote amount to commit: fixed, else a fraction of the free balance, else 25."""
    if rule.fixed_quote is not None:
        return rule.fixed_quote
    if rule.balance_fraction is not None:
        return max(free_quote, ZERO) * rule.balance_fraction
    return rule.default_quote


def entry_quantity(
    amount: Decimal, price: Decimal, leverage: int, position_type: PositionType
) -> Decimal:
    """Return the base quantity `amount` buys at `price` (x leverage for futures margin)."""
    if not price.is_finite() or price <= 0:
        raise DomainError(f"price must be a finite Decimal > 0, got {price}")
    if leverage < 1:
        raise DomainError(f"leverage must be >= 1, got {leverage}")
    notional = amount if position_type is PositionType.SPOT else amount * leverage
    # Rounding down keeps quantity x price within the amount even when the step is 0.
    return _rounding_down().divide(notional, price)


_ROUNDING_DOWN: dict[int, Context] = {}


def _rounding_down() -> Context:
    """Return a context of the current precision that rounds toward zero (one per precision:
    cheaper than a local context at every entry)."""
    prec = getcontext().prec
    context = _ROUNDING_DOWN.get(prec)
    if context is None:
        context = _ROUNDING_DOWN[prec] = Context(prec=prec, rounding=ROUND_DOWN)
    return context


def size_entry(
    rule: SizingRule,
    free_quote: Decimal,
    price: Decimal,
    leverage: int,
    rules: MarketRules,
) -> Decimal | NoOrder:
    """Return the normalized entry quantity at `price`, or why there is no order.

    `leverage` is capped here too (min of it, 50 and `rules.max_leverage`), so a caller that
    passes the configured value and one that passes the effective value size alike. Spot
    ignores leverage.
    """
    if not price.is_finite() or price <= 0:
        return NoOrder(NoOrderReason.INVALID_PRICE, f"price {price} is not a finite > 0")
    amount = quote_amount(rule, free_quote)
    what = "margin" if rules.position_type is PositionType.FUTURES else "amount"
    if amount <= 0 or amount > free_quote:
        return NoOrder(
            NoOrderReason.INSUFFICIENT_BALANCE,
            f"{what} {amount} {rules.quote_asset} is more than the free balance "
            f"{free_quote} {rules.quote_asset}"
            if amount > 0
            else f"free balance {free_quote} {rules.quote_asset} leaves nothing to trade",
        )
    lev = 1
    if rules.position_type is PositionType.FUTURES:
        lev = effective_leverage(leverage, rules.max_leverage)
    wish = entry_quantity(amount, price, lev, rules.position_type)
    return normalize_quantity(wish, price, rules)


Sizer = Callable[[Decimal, Decimal], "Decimal | NoOrder"]


def entry_sizer(rule: SizingRule, leverage: int, rules: MarketRules) -> Sizer:
    """Return `size_entry(rule, free, price, leverage, rules)` as a function of (free, price),
    for a caller that sizes many entries with the same settings (the backtester).

    The same Decimal operations in the same order as `size_entry`, with what does not
    change between entries worked out once; any entry that is not plainly accepted (no
    balance, a cap, a minimum, a market with a notional cap) goes to `size_entry` itself,
    so the reasons and messages of a refusal are its own.
    """
    if rules.max_notional:
        return lambda free, price: size_entry(rule, free, price, leverage, rules)
    futures = rules.position_type is PositionType.FUTURES
    lev = effective_leverage(leverage, rules.max_leverage) if futures else 1
    step, min_qty, max_qty, min_notional = (
        rules.step,
        rules.min_qty,
        rules.max_qty,
        rules.min_notional,
    )

    def size(free: Decimal, price: Decimal) -> Decimal | NoOrder:
        amount = quote_amount(rule, free)
        if not (price.is_finite() and price > 0 and 0 < amount <= free):
            return size_entry(rule, free, price, leverage, rules)
        wish = _rounding_down().divide(amount * lev if futures else amount, price)
        if not wish > 0 or (max_qty and wish > max_qty):
            return size_entry(rule, free, price, leverage, rules)
        qty = floor_to_step(wish, step)
        if (
            qty == 0
            or (min_qty and qty < min_qty)
            or (min_notional and notional_of(qty, price) < min_notional)
        ):
            return size_entry(rule, free, price, leverage, rules)
        return qty

    return size

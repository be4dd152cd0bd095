"""The quantity limits of orders: a MARKET order's and a limit order's maximum differ.

A venue caps a MARKET order lower than an order that rests at a price of its own (on
Binance, MARKET_LOT_SIZE below LOT_SIZE). `MarketRules.max_qty` is the MARKET order's
cap; the venue's cap for a limit order (LIMIT, LIMIT_MAKER, a stop-limit once triggered)
is derived from it here, in one place, so the venue and any server publishing its rules
agree: ten times the MARKET cap, and never below 9,000.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.errors import Refusal
from tradewind.domain.market_rules import MarketRules

_LIMIT_FLOOR = Decimal(9_000)


def limit_max_qty(rules: MarketRules) -> Decimal:
    """Return the largest quantity of a limit order (zero: no rule, as `max_qty` says)."""
    return max(rules.max_qty * 10, _LIMIT_FLOOR) if rules.max_qty else rules.max_qty


def max_qty_rule(rules: MarketRules, limit_order: bool) -> tuple[Refusal, Decimal]:
    """Return the maximum quantity of a MARKET or a limit order, and its refusal."""
    if limit_order:
        return Refusal.ABOVE_MAX_LIMIT_QTY, limit_max_qty(rules)
    return Refusal.ABOVE_MAX_QTY, rules.max_qty

"""Turn a wished MARKET-order quantity into one the exchange accepts, or say why there is none.

The rule (docs: STRATEGY.md, "Sizing"): floor to the step, cut to the maximum quantity (and
to the maximum notional when the market has one), then refuse below the minimum quantity or
the minimum notional. A rule value of zero means "no rule". Flooring is `(q // step) * step`
in `Decimal`, so the result is an exact multiple of the step and never exceeds the wish.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_FLOOR, Context, Decimal, localcontext
from enum import StrEnum

from tradewind.domain.market_rules import MarketRules

ZERO = Decimal(0)
# A context as precise as Decimal allows: `//` and `*` in it are exact whatever the
# magnitudes (their cost depends on the operands, never on the precision allowed).
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


class NoOrderReason(StrEnum):
    """Why no order is placed; the value is stable and safe to count or store."""

    INVALID_QUANTITY = "invalid_quantity"
    INVALID_PRICE = "invalid_price"
    ZERO_QUANTITY = "zero_quantity"
    BELOW_MIN_QTY = "below_min_qty"
    BELOW_MIN_NOTIONAL = "below_min_notional"
    INSUFFICIENT_BALANCE = "insufficient_balance"


@dataclass(frozen=True, slots=True)
class NoOrder:
    """The decision not to send an order, with a reason code and the numbers behind it."""

    reason: NoOrderReason
    detail: str

    def __str__(self) -> str:
        return f"no order ({self.reason.value}): {self.detail}"


def floor_to_step(quantity: Decimal, step: Decimal) -> Decimal:
    """Round `quantity` (>= 0) down to a multiple of `step`; a zero step leaves it as is."""
    if step == 0:
        return quantity
    return _EXACT.multiply(_EXACT.divide_int(quantity, step), step)


def notional_of(quantity: Decimal, price: Decimal) -> Decimal:
    """Return quantity x price exactly (no rounding to the context precision)."""
    return _EXACT.multiply(quantity, price)


def normalize_quantity(wish: Decimal, price: Decimal, rules: MarketRules) -> Decimal | NoOrder:
    """Fit a MARKET order's quantity to `rules` at `price`, or return why none can be sent."""
    if not wish.is_finite() or wish < 0:
        return NoOrder(NoOrderReason.INVALID_QUANTITY, f"quantity {wish} is not a finite >= 0")
    if not price.is_finite() or price <= 0:
        return NoOrder(NoOrderReason.INVALID_PRICE, f"price {price} is not a finite > 0")
    if wish == 0:
        return NoOrder(NoOrderReason.ZERO_QUANTITY, "the wished quantity is 0")

    # Capping before flooring gives the same result as floor-cut-floor (flooring is monotone)
    # and keeps the division small when the wish is huge.
    capped = wish
    if rules.max_qty and capped > rules.max_qty:
        capped = rules.max_qty
    if rules.max_notional and notional_of(capped, price) > rules.max_notional:
        with localcontext() as ctx:
            ctx.rounding = ROUND_FLOOR  # never round the cap up past the limit
            capped = rules.max_notional / price
    qty = floor_to_step(capped, rules.step)

    cut = "" if capped == wish else f" (cut from {wish} to the maximum)"
    if rules.min_qty and qty < rules.min_qty:
        return NoOrder(
            NoOrderReason.BELOW_MIN_QTY,
            f"quantity {qty} (wish {wish} floored to step {rules.step}){cut} is below the "
            f"minimum quantity {rules.min_qty} of {rules.symbol}",
        )
    if qty == 0:
        return NoOrder(
            NoOrderReason.ZERO_QUANTITY,
            f"quantity {wish} floors to 0 at step {rules.step} of {rules.symbol}{cut}",
        )
    notional = notional_of(qty, price)
    if rules.min_notional and notional < rules.min_notional:
        return NoOrder(
            NoOrderReason.BELOW_MIN_NOTIONAL,
            f"notional {notional} (quantity {qty} x price {price}) is below the minimum "
            f"notional {rules.min_notional} of {rules.symbol}",
        )
    return qty

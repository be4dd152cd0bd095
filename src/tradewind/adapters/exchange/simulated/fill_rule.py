"""Where resting orders fill on 1m candles: the rule of docs/strategy.md, as pure functions.

- At placement, the market price is the open of the current minute (what a MARKET order
  gets). A limit order *crosses* when that price is at or better than its limit (a BUY
  at or below it, a SELL at or above); it then fills at once at the market price, which
  is the better of the two, as a taker.
- Resting, a BUY limit fills at its limit price in the first candle whose low reaches it,
  a SELL in the first whose high reaches it, as a maker; a gap through the limit still
  fills at the limit (the order was on the book).
- A conditional order triggers in the first candle that reaches its stop price: at the
  stop price, or at the candle's open when the candle opened beyond it (a gap). A
  `_MARKET` kind fills there; a `_LIMIT` kind fills there when that price crosses its
  limit (the trigger price is then the better one), else it rests as a LIMIT from the
  next candle (which way the candle went after the trigger is not known).
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.state import RestingKind
from tradewind.domain.types import Side


def crosses(side: Side, limit: Decimal, price: Decimal) -> bool:
    """Tell whether a limit order would trade at once at `price` (a taker)."""
    return price <= limit if side is Side.BUY else price >= limit


def waits_for_fall(kind: RestingKind, side: Side) -> bool:
    """Tell whether a conditional order triggers on a fall to its stop (else on a rise)."""
    stop = kind in (RestingKind.STOP_LIMIT, RestingKind.STOP_MARKET)
    return stop == (side is Side.SELL)


def triggers_now(kind: RestingKind, side: Side, stop: Decimal, price: Decimal) -> bool:
    """Tell whether a conditional order's stop is already reached at `price`."""
    return price <= stop if waits_for_fall(kind, side) else price >= stop


def trigger_in_bar(
    kind: RestingKind, side: Side, stop: Decimal, open_: Decimal, high: Decimal, low: Decimal
) -> Decimal | None:
    """Return the price at which a conditional order triggers in this candle, if it does."""
    if waits_for_fall(kind, side):
        if open_ <= stop:
            return open_
        return stop if low <= stop else None
    if open_ >= stop:
        return open_
    return stop if high >= stop else None


def resting_fill(side: Side, limit: Decimal, high: Decimal, low: Decimal) -> Decimal | None:
    """Return the price at which a resting limit order fills in this candle, if it does."""
    reached = low <= limit if side is Side.BUY else high >= limit
    return limit if reached else None

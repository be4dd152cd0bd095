"""What a resting order sets aside while it rests, and gives back when it fills or ends.

Spot: a resting BUY locks the notional at its limit price (a BUY stop-market leg: at its
stop) in the quote (its fee is taken from the base it receives: docs/strategy.md "Fees"),
a SELL locks its quantity of the base; refused when the free balance is short. The two
legs of a one-cancels-other list lock once (the larger of the two).

Futures: an order that may open is checked against the available margin when placed
(the part that would close the position needs none); a LIMIT sets that margin aside
while it rests (its opening part at its price and the leverage then), so the available
balance and every later order see less, as on Binance. A conditional order (STOP,
TAKE_PROFIT …) sets nothing aside: Binance holds no margin for one before it triggers,
and the venue checks the margin again at the fill.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated import errors
from tradewind.adapters.exchange.simulated.futures import required_margin
from tradewind.adapters.exchange.simulated.resting_request import RestingRequest
from tradewind.adapters.exchange.simulated.state import ZERO, Account, SimOrder
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import notional_of
from tradewind.domain.types import PositionType, Side


def reservation(
    account: Account, rules: MarketRules, request: RestingRequest, price: Decimal
) -> Decimal:
    """Return what a resting spot order locks (refused when not free); check a futures
    order's margin at its price (`price`, the market's now, when it has none)."""
    quantity = request.quantity
    if rules.position_type is PositionType.SPOT:
        if request.side is Side.SELL:
            amount = quantity
        else:
            # A BUY stop-market leg locks at its stop price (a gap may then leave it
            # short: the fill is refused and the order EXPIRES).
            limit = request.limit_price or request.stop_price
            assert limit is not None
            amount = notional_of(quantity, limit)
        asset = locked_asset(rules, request.side)
        free = account.balance(asset).free
        if free < amount:
            raise errors.refused(
                errors.Refusal.INSUFFICIENT_BALANCE,
                PositionType.SPOT,
                f"{request.side.value} {quantity} {rules.symbol} locks {amount} {asset}, "
                f"free {free}",
            )
        return amount
    if request.reduce_only:
        return ZERO
    at = request.limit_price or request.stop_price or price
    margin = required_margin(account, rules, request.side, quantity, at)
    return ZERO if request.kind.conditional else margin


def lock(account: Account, rules: MarketRules, order: SimOrder, amount: Decimal) -> None:
    """Set `amount` (checked by `reservation`) aside for `order`."""
    if rules.position_type is not PositionType.SPOT:
        account.hold_order_margin(order, amount)  # off the available balance while it rests
        return
    balance = account.balance(locked_asset(rules, order.side))
    balance.free -= amount
    balance.locked += amount
    order.reserved = amount


def release(account: Account, rules: MarketRules, order: SimOrder) -> bool:
    """Give back what `order` set aside; return whether it had set anything aside."""
    if not order.reserved:
        return False
    if rules.position_type is not PositionType.SPOT:
        account.hold_order_margin(order, ZERO)
        return True
    balance = account.balance(locked_asset(rules, order.side))
    balance.locked -= order.reserved
    balance.free += order.reserved
    order.reserved = ZERO
    return True


def locked_asset(rules: MarketRules, side: Side) -> str:
    """The asset a resting spot order locks: the quote for a BUY, the base for a SELL."""
    return rules.quote_asset if side is Side.BUY else rules.base_asset

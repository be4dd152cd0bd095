"""A resting order as asked (`RestingRequest`) and the checks of its shape.

The rules of the symbol, the balance and the market price are checked by `resting.py`
when the order is placed; here only what the request itself must hold: a limit price for
a limit kind, a stop price for a conditional one, and which kinds spot rests alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradewind.adapters.exchange.simulated import errors
from tradewind.adapters.exchange.simulated.state import RestingKind, TimeInForce
from tradewind.domain.types import PositionType, Side

_SPOT_KINDS = (  # the MARKET kinds only as legs of a list
    RestingKind.LIMIT,
    RestingKind.LIMIT_MAKER,
    RestingKind.STOP_LIMIT,
    RestingKind.TAKE_PROFIT_LIMIT,
)


@dataclass(frozen=True, slots=True)
class RestingRequest:
    """A resting order as asked: its kind, prices and time in force."""

    client_order_id: str
    symbol: str
    position_type: PositionType
    side: Side
    quantity: Decimal
    kind: RestingKind
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False


def check_request(request: RestingRequest, in_list: bool) -> None:
    """Refuse a request whose kind, prices or time in force do not go together."""
    kind = request.kind
    if request.position_type is PositionType.SPOT and kind not in _SPOT_KINDS and not in_list:
        raise errors.invalid("kind", f"a spot {kind} order rests only as a leg of a list")
    if kind.limit and (request.limit_price is None or request.limit_price <= 0):
        raise errors.invalid("limit_price", f"a {kind} order needs a positive limit price")
    if kind.conditional and (request.stop_price is None or request.stop_price <= 0):
        raise errors.invalid("stop_price", f"a {kind} order needs a positive stop price")
    if not kind.limit and request.limit_price is not None:
        raise errors.invalid("limit_price", f"a {kind} order has no limit price")
    if kind is RestingKind.LIMIT_MAKER and request.time_in_force is not TimeInForce.GTC:
        raise errors.invalid("time_in_force", "a LIMIT_MAKER order rests until cancelled")

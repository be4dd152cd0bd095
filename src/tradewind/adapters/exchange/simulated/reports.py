"""Order reports of the simulated venue; `raw` is the venue's own record of the order.

The record is the order as a snapshot holds it (decimals as strings, times in Unix
seconds, enums by value): what the venue knows, in its own words. A liquidation is a
FILLED order with `"liquidation": true` and client order id `autoclose-<ms>`.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.snapshot import record
from tradewind.adapters.exchange.simulated.state import SimOrder
from tradewind.domain.orders import ClientOrderId, OrderReport


def report_of(order: SimOrder) -> OrderReport:
    """Return the report of `order` as it stands."""
    return OrderReport(
        client_order_id=ClientOrderId(order.client_order_id),
        exchange_order_id=str(order.order_id),
        symbol=order.symbol,
        side=order.side,
        status=order.status,
        requested_qty=order.quantity,
        executed_qty=order.executed_qty,
        avg_price=order.price if order.executed_qty else Decimal(0),
        quote_qty=order.quote_qty,
        fee=order.fee,
        fee_asset=order.commission_asset,
        time=order.updated_at,
        purpose=order.purpose,
        raw=record(order),
    )

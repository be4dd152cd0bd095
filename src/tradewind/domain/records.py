"""What the repositories store of orders, fills and notification events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.types import PositionType, Side, Symbol


@dataclass(slots=True)
class OrderRecord:
    """One row of `orders`: the intent first, then what the exchange said."""

    bot_id: int
    user_id: int
    client_order_id: str
    symbol: Symbol
    position_type: PositionType
    side: Side
    purpose: OrderPurpose
    status: OrderStatus
    requested_qty: Decimal
    slot: int
    created_at: int
    exchange_order_id: str | None = None
    filled_qty: Decimal = Decimal(0)
    avg_price: Decimal | None = None
    quote_qty: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    fee_asset: str | None = None
    reason: str | None = None
    raw: Mapping[str, object] | None = None
    updated_at: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One fill of an order, with the realized PnL when it closed a position."""

    bot_id: int
    user_id: int
    exchange_order_id: str
    client_order_id: str
    symbol: Symbol
    side: Side
    order_type: str
    purpose: OrderPurpose
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal
    fee: Decimal
    fee_asset: str
    realized_pnl: Decimal | None
    timestamp: int


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """A notification-worthy event, written in the transaction of the change it reports."""

    event_type: str
    user_id: int
    bot_id: int | None
    payload: Mapping[str, object]
    created_at: int

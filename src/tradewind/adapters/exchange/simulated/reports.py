"""Order reports, with `raw` shaped like Binance's own response for the market.

Spot raws follow POST /api/v3/order (FULL) and futures raws POST /fapi/v1/order (RESULT):
numbers as strings, times in milliseconds. A protective order carries its type
(spot STOP_LOSS / TAKE_PROFIT with `trailingDelta` for the trailing stop; futures
STOP_MARKET / TAKE_PROFIT_MARKET / TRAILING_STOP_MARKET with `callbackRate` in percent) and
its group as `orderListId`. A liquidation is a FILLED order with `clientOrderId`
"autoclose-<ms>" (as Binance names them), type LIQUIDATION and `"liquidation": true`.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.state import SimOrder
from tradewind.domain.orders import OrderPurpose, OrderReport
from tradewind.domain.types import PositionType

_SPOT_TYPES = {
    OrderPurpose.STOP_LOSS: "STOP_LOSS",
    OrderPurpose.TAKE_PROFIT: "TAKE_PROFIT",
    OrderPurpose.TRAILING_STOP: "STOP_LOSS",
}
_FUTURES_TYPES = {
    OrderPurpose.STOP_LOSS: "STOP_MARKET",
    OrderPurpose.TAKE_PROFIT: "TAKE_PROFIT_MARKET",
    OrderPurpose.TRAILING_STOP: "TRAILING_STOP_MARKET",
}


def text(value: Decimal) -> str:
    """Write a decimal as a plain string without exponent or trailing zeros."""
    return f"{value.normalize():f}"


def order_type(order: SimOrder) -> str:
    """Return Binance's type name for the order."""
    if order.liquidation:
        return "LIQUIDATION"
    if order.purpose is None or order.purpose not in _SPOT_TYPES:
        return "MARKET"
    table = _SPOT_TYPES if order.position_type is PositionType.SPOT else _FUTURES_TYPES
    return table[order.purpose]


def report_of(order: SimOrder) -> OrderReport:
    """Return the report of `order` as it stands."""
    raw = _spot_raw(order) if order.position_type is PositionType.SPOT else _futures_raw(order)
    return OrderReport(
        client_order_id=order.client_order_id,
        exchange_order_id=str(order.order_id),
        symbol=order.symbol,
        side=order.side,
        status=order.status,
        requested_qty=order.quantity,
        executed_qty=order.executed_qty,
        avg_price=order.price if order.executed_qty else Decimal(0),
        quote_qty=order.quote_qty,
        fee=order.fee,
        fee_asset=order.quote_asset,
        time=order.updated_at,
        purpose=order.purpose,
        raw=raw,
    )


def _stop_fields(order: SimOrder, futures: bool) -> dict[str, object]:
    fields: dict[str, object] = {}
    if order.stop_price is not None:
        fields["stopPrice"] = text(order.stop_price)
    if order.trailing_rate is not None:
        if futures:
            fields["callbackRate"] = text(order.trailing_rate * 100)
        else:
            fields["trailingDelta"] = int(order.trailing_rate * 10_000)
    return fields


def _spot_raw(order: SimOrder) -> dict[str, object]:
    raw: dict[str, object] = {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.group_id if order.group_id is not None else -1,
        "clientOrderId": order.client_order_id,
        "transactTime": order.updated_at * 1000,
        "price": "0",
        "origQty": text(order.quantity),
        "executedQty": text(order.executed_qty),
        "cummulativeQuoteQty": text(order.quote_qty),
        "status": order.status.value,
        "timeInForce": "GTC",
        "type": order_type(order),
        "side": order.side.value,
        "workingTime": order.created_at * 1000,
        "selfTradePreventionMode": "NONE",
        **_stop_fields(order, futures=False),
        "fills": [],
    }
    if order.executed_qty:
        raw["fills"] = [
            {
                "price": text(order.price),
                "qty": text(order.executed_qty),
                "commission": text(order.fee),
                "commissionAsset": order.quote_asset,
                "tradeId": order.trade_id,
            }
        ]
    return raw


def _futures_raw(order: SimOrder) -> dict[str, object]:
    kind = order_type(order)
    raw: dict[str, object] = {
        "orderId": order.order_id,
        "symbol": order.symbol,
        "status": order.status.value,
        "clientOrderId": order.client_order_id,
        "price": "0",
        "avgPrice": text(order.price) if order.executed_qty else "0",
        "origQty": text(order.quantity),
        "executedQty": text(order.executed_qty),
        "cumQty": text(order.executed_qty),
        "cumQuote": text(order.quote_qty),
        "timeInForce": "GTC",
        "type": kind,
        "reduceOnly": order.reduce_only,
        "closePosition": False,
        "side": order.side.value,
        "positionSide": "BOTH",
        "workingType": "CONTRACT_PRICE",
        "origType": kind,
        "updateTime": order.updated_at * 1000,
        **_stop_fields(order, futures=True),
    }
    if order.group_id is not None:
        raw["orderListId"] = order.group_id
    if order.liquidation:
        raw["liquidation"] = True
    return raw

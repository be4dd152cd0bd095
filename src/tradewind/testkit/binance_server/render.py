"""The simulated venue's orders and trades as Binance's JSON, field for field.

Decimals go out as strings: spot with Binance's eight places ("0.00100000"), never fewer
digits than the value has (the venue's exact fee of a fill may have more, and rounding
it here would make the client's books differ from the venue's); USDⓈ-M futures as plain
decimals ("0.001"). Times are milliseconds; the venue keeps seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from tradewind.adapters.exchange.simulated.state import SimOrder
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.types import Side

_EIGHT = Decimal("1e-8")
ZERO8 = "0.00000000"
_SPOT_TYPES = {
    OrderPurpose.STOP_LOSS: "STOP_LOSS",
    OrderPurpose.TRAILING_STOP: "STOP_LOSS",
    OrderPurpose.TAKE_PROFIT: "TAKE_PROFIT",
}
ALGO_TYPES = {
    OrderPurpose.STOP_LOSS: "STOP_MARKET",
    OrderPurpose.TAKE_PROFIT: "TAKE_PROFIT_MARKET",
    OrderPurpose.TRAILING_STOP: "TRAILING_STOP_MARKET",
}
_ALGO_STATUS = {
    OrderStatus.NEW: "NEW",
    OrderStatus.FILLED: "FINISHED",
    OrderStatus.CANCELED: "CANCELED",
    OrderStatus.EXPIRED: "EXPIRED",
}


def spot_text(value: Decimal) -> str:
    """Write a spot amount with eight decimals, or more when the value has more."""
    with localcontext() as ctx:
        ctx.prec = 60  # room for any amount at eight places
        eight = value.quantize(_EIGHT)
    return f"{eight:f}" if eight == value else f"{value.normalize():f}"


def plain(value: Decimal) -> str:
    """Write a decimal as a plain string without exponent or trailing zeros."""
    return f"{value.normalize():f}" if value else "0"


def ms(seconds: int) -> int:
    """Turn the venue's Unix seconds into Binance's milliseconds."""
    return seconds * 1000


def trailing_bips(rate: Decimal) -> int:
    """Turn a trailing fraction back into Binance's basis points (100 = 1 %)."""
    return int(rate * 10_000)


# --- Spot ------------------------------------------------------------------------------


def spot_type(order: SimOrder) -> str:
    """Return the Binance spot type of a venue order."""
    return _SPOT_TYPES.get(order.purpose, "MARKET") if order.purpose else "MARKET"


def _spot_stop_fields(order: SimOrder) -> dict[str, object]:
    if order.purpose not in _SPOT_TYPES:
        return {}
    fields: dict[str, object] = {
        "stopPrice": spot_text(order.stop_price) if order.stop_price is not None else ZERO8
    }
    if order.trailing_rate is not None:
        fields["trailingDelta"] = trailing_bips(order.trailing_rate)
    return fields


def spot_ack(order: SimOrder) -> dict[str, object]:
    """Return POST /api/v3/order's ACK answer."""
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.group_id if order.group_id is not None else -1,
        "clientOrderId": order.client_order_id,
        "transactTime": ms(order.created_at),
    }


def spot_result(order: SimOrder) -> dict[str, object]:
    """Return POST /api/v3/order's RESULT answer."""
    return {
        **spot_ack(order),
        "price": ZERO8,
        "origQty": spot_text(order.quantity),
        "executedQty": spot_text(order.executed_qty),
        "cummulativeQuoteQty": spot_text(order.quote_qty),
        "status": order.status.value,
        "timeInForce": "GTC",
        "type": spot_type(order),
        "side": order.side.value,
        **_spot_stop_fields(order),
        "workingTime": ms(order.created_at) if order.purpose is None else -1,
        "origQuoteOrderQty": ZERO8,  # quoteOrderQty orders are not served
        "selfTradePreventionMode": "NONE",
    }


def spot_full(order: SimOrder) -> dict[str, object]:
    """Return POST /api/v3/order's FULL answer: RESULT with its fills."""
    fills = []
    if order.executed_qty:
        fills.append(
            {
                "price": spot_text(order.price),
                "qty": spot_text(order.executed_qty),
                "commission": spot_text(order.fee),
                "commissionAsset": order.commission_asset,
                "tradeId": order.trade_id,
            }
        )
    return {**spot_result(order), "fills": fills}


def spot_answer(order: SimOrder, response_type: str) -> dict[str, object]:
    """Return the POST answer of `response_type` (ACK, RESULT or FULL)."""
    if response_type == "ACK":
        return spot_ack(order)
    return spot_result(order) if response_type == "RESULT" else spot_full(order)


def spot_order(order: SimOrder) -> dict[str, object]:
    """Return GET /api/v3/order's answer."""
    waiting = order.purpose is not None and order.status is OrderStatus.NEW
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.group_id if order.group_id is not None else -1,
        "clientOrderId": order.client_order_id,
        "price": ZERO8,
        "origQty": spot_text(order.quantity),
        "executedQty": spot_text(order.executed_qty),
        "cummulativeQuoteQty": spot_text(order.quote_qty),
        "status": order.status.value,
        "timeInForce": "GTC",
        "type": spot_type(order),
        "side": order.side.value,
        "stopPrice": ZERO8,
        **_spot_stop_fields(order),
        "icebergQty": ZERO8,
        "time": ms(order.created_at),
        "updateTime": ms(order.updated_at),
        "isWorking": not waiting,
        "workingTime": -1
        if waiting
        else ms(order.updated_at if order.purpose else order.created_at),
        "origQuoteOrderQty": ZERO8,
        "selfTradePreventionMode": "NONE",
    }


def spot_trade(order: SimOrder) -> dict[str, object]:
    """Return the GET /api/v3/myTrades entry of a filled order (each fill is one trade)."""
    return {
        "symbol": order.symbol,
        "id": order.trade_id,
        "orderId": order.order_id,
        "orderListId": order.group_id if order.group_id is not None else -1,
        "price": spot_text(order.price),
        "qty": spot_text(order.executed_qty),
        "quoteQty": spot_text(order.quote_qty),
        "commission": spot_text(order.fee),
        "commissionAsset": order.commission_asset,
        "time": ms(order.updated_at),
        "isBuyer": order.side is Side.BUY,
        "isMaker": False,
        "isBestMatch": True,
    }


# --- USDⓈ-M futures ----------------------------------------------------------------------


def futures_order(order: SimOrder, ack: bool = False) -> dict[str, object]:
    """Return the /fapi/v1/order answer (RESULT; `ack`: as placed, before any fill)."""
    filled = order.executed_qty and not ack
    if order.liquidation:
        original = "LIQUIDATION"
    elif order.purpose in ALGO_TYPES:
        original = ALGO_TYPES[order.purpose]
    else:
        original = "MARKET"
    return {
        "orderId": order.order_id,
        "symbol": order.symbol,
        "status": OrderStatus.NEW.value if ack else order.status.value,
        "clientOrderId": order.client_order_id,
        "price": "0",
        "avgPrice": plain(order.price) if filled else "0",
        "origQty": plain(order.quantity),
        "executedQty": plain(order.executed_qty) if filled else "0",
        "cumQty": plain(order.executed_qty) if filled else "0",
        "cumQuote": plain(order.quote_qty) if filled else "0",
        "timeInForce": "GTC",
        "type": "MARKET",
        "reduceOnly": order.reduce_only,
        "closePosition": False,
        "side": order.side.value,
        "positionSide": "BOTH",
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "origType": original,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "NONE",
        "goodTillDate": 0,
        "updateTime": ms(order.created_at if ack else order.updated_at),
    }


def futures_trade(order: SimOrder) -> dict[str, object]:
    """Return the GET /fapi/v1/userTrades entry of a filled order."""
    return {
        "buyer": order.side is Side.BUY,
        "commission": plain(order.fee),
        "commissionAsset": order.commission_asset,
        "id": order.trade_id,
        "maker": False,
        "orderId": order.order_id,
        "price": plain(order.price),
        "qty": plain(order.executed_qty),
        "quoteQty": plain(order.quote_qty),
        "realizedPnl": plain(order.realized_pnl),
        "side": order.side.value,
        "positionSide": "BOTH",
        "symbol": order.symbol,
        "time": ms(order.updated_at),
    }


@dataclass(frozen=True, slots=True)
class AlgoOrder:
    """What the server keeps of a USDⓈ-M algo order besides the venue's order behind it."""

    algo_id: int
    client_algo_id: str
    order_id: int  # the venue order that rests and, once triggered, fills
    order_type: str
    trigger_price: Decimal | None
    callback_rate: Decimal | None  # percent, as sent
    activate_price: Decimal | None
    working_type: str
    reduce_only: bool = False  # as the client asked (the order behind it always reduces)
    close_position: bool = False


def algo_order(algo: AlgoOrder, order: SimOrder) -> dict[str, object]:
    """Return the /fapi/v1/algoOrder answer of `algo`, whose venue order is `order`."""
    fired = order.status is OrderStatus.FILLED
    return {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "algoType": "CONDITIONAL",
        "orderType": algo.order_type,
        "symbol": order.symbol,
        "side": order.side.value,
        "positionSide": "BOTH",
        "timeInForce": "GTC",
        "quantity": plain(order.quantity),
        "algoStatus": _ALGO_STATUS.get(order.status, order.status.value),
        "triggerPrice": plain(algo.trigger_price) if algo.trigger_price is not None else "0",
        "price": "0",
        "workingType": algo.working_type,
        "closePosition": algo.close_position,
        "priceProtect": False,
        "reduceOnly": algo.reduce_only,
        "activatePrice": plain(algo.activate_price) if algo.activate_price is not None else "",
        "callbackRate": plain(algo.callback_rate) if algo.callback_rate is not None else "",
        "createTime": ms(order.created_at),
        "updateTime": ms(order.updated_at),
        "triggerTime": ms(order.updated_at) if fired else 0,
        "actualOrderId": str(order.order_id) if fired else "",
        "executedQty": plain(order.executed_qty),
        "avgPrice": plain(order.price) if fired else "0",
    }

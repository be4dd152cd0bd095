"""The simulated venue's orders and trades as Binance's JSON, field for field.

Decimals go out as strings: spot with Binance's eight places ("0.00100000"), never fewer
digits than the value has (the venue's exact fee of a fill may have more, and rounding
it here would make the client's books differ from the venue's); USDⓈ-M futures as plain
decimals ("0.001"). Times are milliseconds; the venue keeps seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from tradewind.adapters.exchange.simulated.state import RestingKind, SimOrder
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.types import PositionType, Side

_EIGHT = Decimal("1e-8")
ZERO8 = "0.00000000"
_SPOT_TYPES = {
    OrderPurpose.STOP_LOSS: "STOP_LOSS",
    OrderPurpose.TRAILING_STOP: "STOP_LOSS",
    OrderPurpose.TAKE_PROFIT: "TAKE_PROFIT",
}
_SPOT_KINDS = {
    RestingKind.LIMIT: "LIMIT",
    RestingKind.LIMIT_MAKER: "LIMIT_MAKER",
    RestingKind.STOP_LIMIT: "STOP_LOSS_LIMIT",
    RestingKind.TAKE_PROFIT_LIMIT: "TAKE_PROFIT_LIMIT",
    RestingKind.STOP_MARKET: "STOP_LOSS",
    RestingKind.TAKE_PROFIT_MARKET: "TAKE_PROFIT",
}
FUTURES_KINDS = {
    RestingKind.LIMIT: "LIMIT",
    RestingKind.LIMIT_MAKER: "LIMIT",  # timeInForce GTX
    RestingKind.STOP_LIMIT: "STOP",
    RestingKind.TAKE_PROFIT_LIMIT: "TAKE_PROFIT",
    RestingKind.STOP_MARKET: "STOP_MARKET",
    RestingKind.TAKE_PROFIT_MARKET: "TAKE_PROFIT_MARKET",
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
    if order.kind is not None:
        return _SPOT_KINDS[order.kind]
    return _SPOT_TYPES.get(order.purpose, "MARKET") if order.purpose else "MARKET"


def is_algo(order: SimOrder) -> bool:
    """Tell whether a futures order is a conditional (algo) order rather than a regular one."""
    return order.purpose in ALGO_TYPES or (order.kind is not None and order.kind.conditional)


def algo_only(order: SimOrder) -> bool:
    """Tell whether a futures order lives only as an algo order (its trigger not reached).

    Once it fires, the order it places shows among the regular orders too.
    """
    return is_algo(order) and order.status is not OrderStatus.FILLED and not order.triggered


def waiting(order: SimOrder) -> bool:
    """Tell whether an order waits for its trigger (not yet working on the book)."""
    if order.status is not OrderStatus.NEW:
        return False
    if order.kind is not None:
        return order.kind.conditional and not order.triggered
    return order.purpose is not None


def time_in_force(order: SimOrder) -> str:
    """Return the order's timeInForce as Binance writes it (GTX: a futures post-only)."""
    if order.kind is RestingKind.LIMIT_MAKER and order.position_type is PositionType.FUTURES:
        return "GTX"
    return order.time_in_force.value if order.time_in_force is not None else "GTC"


def _spot_price(order: SimOrder) -> str:
    return spot_text(order.limit_price) if order.limit_price is not None else ZERO8


def _spot_stop_fields(order: SimOrder) -> dict[str, object]:
    if order.kind is not None:
        stop = order.stop_price
        return {"stopPrice": spot_text(stop)} if stop is not None else {}
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
        "price": _spot_price(order),
        "origQty": spot_text(order.quantity),
        "executedQty": spot_text(order.executed_qty),
        "cummulativeQuoteQty": spot_text(order.quote_qty),
        "status": order.status.value,
        "timeInForce": time_in_force(order),
        "type": spot_type(order),
        "side": order.side.value,
        **_spot_stop_fields(order),
        "workingTime": -1 if waiting(order) else ms(order.created_at),
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
    waits = waiting(order)
    if waits:
        working_time = -1
    elif order.purpose is not None or order.triggered:
        working_time = ms(order.updated_at)
    else:
        working_time = ms(order.created_at)
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.group_id if order.group_id is not None else -1,
        "clientOrderId": order.client_order_id,
        "price": _spot_price(order),
        "origQty": spot_text(order.quantity),
        "executedQty": spot_text(order.executed_qty),
        "cummulativeQuoteQty": spot_text(order.quote_qty),
        "status": order.status.value,
        "timeInForce": time_in_force(order),
        "type": spot_type(order),
        "side": order.side.value,
        "stopPrice": ZERO8,
        **_spot_stop_fields(order),
        "icebergQty": ZERO8,
        "time": ms(order.created_at),
        "updateTime": ms(order.updated_at),
        "isWorking": not waits,
        "workingTime": working_time,
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
        "isMaker": order.maker,
        "isBestMatch": True,
    }


# --- USDⓈ-M futures ----------------------------------------------------------------------


def futures_order(order: SimOrder, ack: bool = False) -> dict[str, object]:
    """Return the /fapi/v1/order answer (RESULT; `ack`: as placed, before any fill)."""
    filled = order.executed_qty and not ack
    kind = "MARKET"
    if order.liquidation:
        original = "LIQUIDATION"
    elif order.kind is not None:
        original = FUTURES_KINDS[order.kind]
        # A triggered conditional order trades as the LIMIT or MARKET order it places.
        kind = original if not order.kind.conditional else "LIMIT" if order.kind.limit else kind
    elif order.purpose in ALGO_TYPES:
        original = ALGO_TYPES[order.purpose]
    else:
        original = "MARKET"
    limit = order.limit_price
    return {
        "orderId": order.order_id,
        "symbol": order.symbol,
        "status": OrderStatus.NEW.value if ack else order.status.value,
        "clientOrderId": order.client_order_id,
        "price": plain(limit) if limit is not None else "0",
        "avgPrice": plain(order.price) if filled else "0",
        "origQty": plain(order.quantity),
        "executedQty": plain(order.executed_qty) if filled else "0",
        "cumQty": plain(order.executed_qty) if filled else "0",
        "cumQuote": plain(order.quote_qty) if filled else "0",
        "timeInForce": time_in_force(order),
        "type": kind,
        "reduceOnly": order.reduce_only,
        "closePosition": False,
        "side": order.side.value,
        "positionSide": "BOTH",
        "stopPrice": plain(order.stop_price) if order.kind and order.stop_price else "0",
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
        "maker": order.maker,
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
    fired = order.status is OrderStatus.FILLED or order.triggered
    return {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "algoType": "CONDITIONAL",
        "orderType": algo.order_type,
        "symbol": order.symbol,
        "side": order.side.value,
        "positionSide": "BOTH",
        "timeInForce": time_in_force(order),
        "quantity": plain(order.quantity),
        "algoStatus": "TRIGGERED"
        if order.triggered and order.resting
        else _ALGO_STATUS.get(order.status, order.status.value),
        "triggerPrice": plain(algo.trigger_price) if algo.trigger_price is not None else "0",
        "price": plain(order.limit_price) if order.limit_price is not None else "0",
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

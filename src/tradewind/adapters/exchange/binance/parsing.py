"""Binance's JSON (decimals as strings) -> the domain's order reports, balances, positions.

Every number is read from its string into a `Decimal`; a missing or malformed field is a
`BinanceOutcomeUnknown` naming it, since an answer we cannot read is an answer we do not
have (the order is then settled by client order id, never assumed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from tradewind.adapters.exchange.binance.errors import BinanceOutcomeUnknown
from tradewind.domain.errors import DomainError
from tradewind.domain.orders import (
    ClientOrderId,
    ExchangePosition,
    OpenOrder,
    OrderPurpose,
    OrderReport,
    OrderStatus,
)
from tradewind.domain.types import PositionSide, PositionType, Side, Symbol

ZERO = Decimal(0)
Json = Mapping[str, object]

_STATUS = {
    "NEW": OrderStatus.NEW,
    "PENDING_NEW": OrderStatus.NEW,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "PENDING_CANCEL": OrderStatus.NEW,  # still resting until Binance says otherwise
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,
}
# Resting conditional orders, by Binance order type, and what they protect against.
_SPOT_PURPOSE = {"STOP_LOSS": OrderPurpose.STOP_LOSS, "TAKE_PROFIT": OrderPurpose.TAKE_PROFIT}
FUTURES_TYPE = {
    OrderPurpose.STOP_LOSS: "STOP_MARKET",
    OrderPurpose.TAKE_PROFIT: "TAKE_PROFIT_MARKET",
    OrderPurpose.TRAILING_STOP: "TRAILING_STOP_MARKET",
}
_FUTURES_PURPOSE = {v: k for k, v in FUTURES_TYPE.items()}


def wire(value: Decimal) -> str:
    """Write a quantity or price as Binance wants it: plain digits, no exponent."""
    written = format(value.normalize(), "f")
    return "0" if written in ("", "-0") else written


def unreadable(what: str) -> BinanceOutcomeUnknown:
    return BinanceOutcomeUnknown(f"Binance answer not understood: {what}")


def dec(raw: Json, key: str) -> Decimal:
    """Read a decimal field (Binance sends decimal strings; ints are accepted too)."""
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise unreadable(f"field {key!r} is {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise unreadable(f"field {key!r} is {value!r}") from None
    if not number.is_finite():
        raise unreadable(f"field {key!r} is {value!r}")
    return number


def text(raw: Json, key: str) -> str:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise unreadable(f"field {key!r} is {value!r}")
    return str(value)


def millis(raw: Json, *keys: str) -> int:
    """Return the first present time field (ms) as Unix seconds."""
    for key in keys:
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value // 1000
    raise unreadable(f"none of the time fields {keys} is set")


def client_id(raw: Json, key: str) -> ClientOrderId:
    """Read a client order id (ours, or one Binance made up: both follow its rules)."""
    try:
        return ClientOrderId(text(raw, key))
    except DomainError as e:
        raise unreadable(str(e)) from None


def symbol_of(raw: Json) -> Symbol:
    return Symbol(text(raw, "symbol"))


def status(raw: Json, key: str = "status") -> OrderStatus:
    name = text(raw, key)
    if name not in _STATUS:
        raise unreadable(f"order status {name!r}")
    return _STATUS[name]


def side(raw: Json) -> Side:
    name = text(raw, "side")
    if name not in ("BUY", "SELL"):
        raise unreadable(f"side {name!r}")
    return Side(name)


def fee_of(trades: Sequence[Json], default_asset: str) -> tuple[Decimal, str]:
    """Sum the commission of an order's fills (or trades) and name its asset."""
    fee = sum((dec(t, "commission") for t in trades), ZERO)
    assets = {text(t, "commissionAsset") for t in trades}
    return fee, (assets.pop() if len(assets) == 1 else default_asset)


def spot_report(raw: Json, fills: Sequence[Json], quote_asset: str) -> OrderReport:
    """Read a spot order (POST FULL, GET order or DELETE answer) with its fills/trades."""
    executed = dec(raw, "executedQty")
    quote = dec(raw, "cummulativeQuoteQty")
    fee, fee_asset = fee_of(fills, quote_asset)
    kind = text(raw, "type")
    purpose = _SPOT_PURPOSE.get(kind)
    if purpose is OrderPurpose.STOP_LOSS and raw.get("trailingDelta") not in (None, "", 0, "0"):
        purpose = OrderPurpose.TRAILING_STOP
    return OrderReport(
        client_order_id=client_id(raw, "clientOrderId"),
        exchange_order_id=text(raw, "orderId"),
        symbol=symbol_of(raw),
        side=side(raw),
        status=status(raw),
        requested_qty=dec(raw, "origQty"),
        executed_qty=executed,
        avg_price=quote / executed if executed > 0 else ZERO,
        quote_qty=quote,
        fee=fee,
        fee_asset=fee_asset,
        time=millis(raw, "transactTime", "updateTime", "time"),
        purpose=purpose,
        raw=dict(raw),
    )


def futures_report(
    raw: Json,
    trades: Sequence[Json],
    quote_asset: str,
    *,
    client_order_id: ClientOrderId | None = None,
) -> OrderReport:
    """Read a futures order (POST RESULT or GET) with the trades that carry its fees."""
    executed = dec(raw, "executedQty")
    fee, fee_asset = fee_of(trades, quote_asset)
    return OrderReport(
        client_order_id=client_id(raw, "clientOrderId")
        if client_order_id is None
        else client_order_id,
        exchange_order_id=text(raw, "orderId"),
        symbol=symbol_of(raw),
        side=side(raw),
        status=status(raw),
        requested_qty=dec(raw, "origQty"),
        executed_qty=executed,
        avg_price=dec(raw, "avgPrice") if executed > 0 else ZERO,
        quote_qty=dec(raw, "cumQuote"),
        fee=fee,
        fee_asset=fee_asset,
        time=millis(raw, "updateTime", "time"),
        purpose=_FUTURES_PURPOSE.get(text(raw, "origType")) if "origType" in raw else None,
        raw=dict(raw),
    )


_ALGO_STATUS = {
    "NEW": OrderStatus.NEW,
    "TRIGGERING": OrderStatus.NEW,
    "TRIGGERED": OrderStatus.NEW,  # its MARKET order is on its way: not settled yet
    "FINISHED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
}


def algo_status(raw: Json) -> OrderStatus:
    name = text(raw, "algoStatus")
    if name not in _ALGO_STATUS:
        raise unreadable(f"algo status {name!r}")
    return _ALGO_STATUS[name]


def algo_purpose(raw: Json) -> OrderPurpose:
    kind = text(raw, "orderType")
    if kind not in _FUTURES_PURPOSE:
        raise unreadable(f"algo order type {kind!r}")
    return _FUTURES_PURPOSE[kind]


def resting_algo_report(raw: Json, quote_asset: str) -> OrderReport:
    """Read a futures conditional (algo) order that has not placed its MARKET order."""
    return OrderReport(
        client_order_id=client_id(raw, "clientAlgoId"),
        exchange_order_id=f"algo-{text(raw, 'algoId')}",
        symbol=symbol_of(raw),
        side=side(raw),
        status=algo_status(raw),
        requested_qty=dec(raw, "quantity"),
        executed_qty=ZERO,
        avg_price=ZERO,
        quote_qty=ZERO,
        fee=ZERO,
        fee_asset=quote_asset,
        time=millis(raw, "updateTime", "createTime"),
        purpose=algo_purpose(raw),
        raw=dict(raw),
    )


def free_spot(account: Json, asset: str) -> Decimal:
    """Return the free amount of `asset` in a GET /api/v3/account answer."""
    for balance in rows(account.get("balances"), "balances"):
        if balance.get("asset") == asset:
            return dec(balance, "free")
    return ZERO


def held_spot(account: Json, asset: str) -> Decimal:
    """Return the free plus locked amount of `asset` in a GET /api/v3/account answer."""
    for balance in rows(account.get("balances"), "balances"):
        if balance.get("asset") == asset:
            return dec(balance, "free") + dec(balance, "locked")
    return ZERO


def free_futures(balances: object, asset: str) -> Decimal:
    """Return the available balance of `asset` in a GET /fapi/v2/balance answer."""
    for balance in rows(balances, "balance"):
        if balance.get("asset") == asset:
            return dec(balance, "availableBalance")
    return ZERO


def position_of(answer: object, symbol: Symbol) -> ExchangePosition | None:
    """Read the one-way position of `symbol` from GET /fapi/v2/positionRisk."""
    for row in rows(answer, "positionRisk"):
        if row.get("symbol") != symbol:
            continue
        amount = dec(row, "positionAmt")
        if amount == 0:
            return None
        return ExchangePosition(
            symbol=symbol,
            side=PositionSide.LONG if amount > 0 else PositionSide.SHORT,
            quantity=abs(amount),
            entry_price=dec(row, "entryPrice"),
            liquidation_price=dec(row, "liquidationPrice"),
            leverage=int(text(row, "leverage")),
            isolated=str(row.get("marginType", "")).lower() == "isolated",
        )
    return None


def max_leverage(brackets: object, symbol: str) -> int:
    """Return the initial leverage of bracket 1 (the most a new position may use)."""
    for entry in rows(brackets, "leverageBracket"):
        if entry.get("symbol") == symbol:
            tiers = rows(entry.get("brackets"), "brackets")
            if tiers:
                return max(int(text(t, "initialLeverage")) for t in tiers)
    raise unreadable(f"no leverage bracket for {symbol}")


def open_orders(answer: object, position_type: PositionType) -> list[OpenOrder]:
    """Read GET openOrders (spot or futures): the regular orders resting on the book."""
    return [
        OpenOrder(
            client_order_id=text(raw, "clientOrderId"),
            symbol=symbol_of(raw),
            position_type=position_type,
            side=side(raw),
            quantity=dec(raw, "origQty"),
            order_type=text(raw, "type"),
            reduce_only=raw.get("reduceOnly") is True,
        )
        for raw in rows(answer, "open orders")
    ]


def open_algo_orders(answer: object) -> list[OpenOrder]:
    """Read GET /fapi/v1/openAlgoOrders: futures conditional orders not fired yet."""
    return [
        OpenOrder(
            client_order_id=text(raw, "clientAlgoId"),
            symbol=symbol_of(raw),
            position_type=PositionType.FUTURES,
            side=side(raw),
            quantity=dec(raw, "quantity"),
            order_type=text(raw, "orderType"),
            reduce_only=raw.get("reduceOnly") is True,
        )
        for raw in rows(answer, "open algo orders")
    ]


def rows(value: object, what: str) -> list[Json]:
    """Return a JSON list of objects (a lone object counts as a list of one)."""
    if isinstance(value, Mapping):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise unreadable(f"{what} is not a list of objects")
    return list(value)

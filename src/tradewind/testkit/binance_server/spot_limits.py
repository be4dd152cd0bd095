"""Spot orders with a limit price, and OCO lists made of them, on the venue's resting book.

POST /api/v3/order takes LIMIT (`timeInForce` GTC, IOC or FOK), LIMIT_MAKER (refused
with -2010 "Order would immediately match and take." when it would cross), and
STOP_LOSS_LIMIT / TAKE_PROFIT_LIMIT (a stop that the last price already reached: -2010
"Order would trigger immediately."), BUY or SELL; prices pass the precision and
PRICE_FILTER checks as stop prices do. An OCO list (`orderList/oco`, and the legacy
`order/oco`) pairs a LIMIT_MAKER, TAKE_PROFIT or TAKE_PROFIT_LIMIT leg with a STOP_LOSS or
STOP_LOSS_LIMIT leg: above and below the last price as Binance requires (SELL: the
profit leg above, BUY: below). How they fill on the candles: docs/strategy.md "Resting
orders" (`simulated/fill_rule.py`). `trailingDelta` on these is not served (-1014).
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.resting_request import RestingRequest
from tradewind.adapters.exchange.simulated.state import Account, RestingKind, SimOrder
from tradewind.adapters.exchange.simulated.state import TimeInForce as Tif
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType, Side, Symbol
from tradewind.testkit.binance_server import common, errors, render
from tradewind.testkit.binance_server import order_checks as checks
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import ROUTES, AccountExtras, Call, Reply
from tradewind.testkit.binance_server.limits import Market

SPOT = PositionType.SPOT
KINDS = {
    "LIMIT": RestingKind.LIMIT,
    "LIMIT_MAKER": RestingKind.LIMIT_MAKER,
    "STOP_LOSS_LIMIT": RestingKind.STOP_LIMIT,
    "TAKE_PROFIT_LIMIT": RestingKind.TAKE_PROFIT_LIMIT,
    "STOP_LOSS": RestingKind.STOP_MARKET,
    "TAKE_PROFIT": RestingKind.TAKE_PROFIT_MARKET,
}
LIMIT_TYPES = ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
_PROFIT_LEGS = ("LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
_STOP_LEGS = ("STOP_LOSS", "STOP_LOSS_LIMIT")
_RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
Leg = tuple[Symbol, Side, Decimal]  # what both legs of a list share


def time_in_force(params: p.Params, name: str, wanted: bool) -> Tif:
    """Read a timeInForce: required where `wanted` (-1102), else refused when sent (-1106)."""
    value = p.optional(params, name)
    if not wanted:
        if value is not None:
            raise errors.not_required(name)
        return Tif.GTC
    if value is None:
        raise errors.mandatory(name)
    if value not in Tif.__members__:
        raise errors.BinanceError(400, -1115, "Invalid timeInForce.")
    return Tif(value)


def _key(held: Account, order: SimOrder) -> tuple[int, str, int]:
    return held.account_id, order.position_type.value, order.order_id


def new_limit_order(
    call: Call, type_name: str, symbol: Symbol, side: Side, client_id: str, test: bool
) -> Reply:
    """Place (or, with `test`, only check) a LIMIT, LIMIT_MAKER or stop-limit order."""
    params, state = call.params, call.state
    kind = KINDS[type_name]
    tif = time_in_force(params, "timeInForce", kind is not RestingKind.LIMIT_MAKER)
    quantity = checks.spot_quantity(params)
    if p.optional(params, "quoteOrderQty") is not None:
        raise errors.not_required("quoteOrderQty")
    rules = common.rules_of(state, symbol, SPOT)
    price = checks.spot_price(params, "price", rules)
    if price is None:
        raise errors.mandatory("price")
    stop = checks.spot_price(params, "stopPrice", rules)
    if kind.conditional:
        if p.optional(params, "trailingDelta") is not None:
            raise errors.unsupported_combination()  # a trailing stop-limit is not served
        if stop is None:
            raise errors.mandatory("stopPrice")
    elif stop is not None:
        raise errors.not_required("stopPrice")
    default = "ACK" if kind.conditional else "FULL"  # MARKET and LIMIT answer FULL
    response = p.choice(params, "newOrderRespType", _RESPONSE_TYPES, default)
    if test:
        return Reply({})
    request = RestingRequest(client_id, symbol, SPOT, side, quantity, kind, price, stop, tif)

    def place(desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        order = desk.resting.place(held, request, now)
        body = render.spot_answer(order, response)
        return Reply(body, placed=[_key(held, order)], filled=1 if order.executed_qty else 0)

    return state.act(call.signer, place)


def _leg(
    call: Call, rules: MarketRules, type_name: str, prefix: str, client_field: str, base: Leg
) -> RestingRequest:
    """Read one leg of a list from its `prefix` parameters (abovePrice, belowStopPrice …)."""
    params = call.params
    kind = KINDS[type_name]
    if p.optional(params, f"{prefix}TrailingDelta") is not None:
        raise errors.unsupported_combination()
    price = checks.spot_price(params, f"{prefix}Price", rules)
    stop = checks.spot_price(params, f"{prefix}StopPrice", rules)
    tif = time_in_force(params, f"{prefix}TimeInForce", kind.conditional and kind.limit)
    if kind.limit and price is None:
        raise errors.mandatory(f"{prefix}Price")
    if not kind.limit and price is not None:
        raise errors.not_required(f"{prefix}Price")
    if kind.conditional and stop is None:
        raise errors.mandatory(f"{prefix}StopPrice")
    if not kind.conditional and stop is not None:
        raise errors.not_required(f"{prefix}StopPrice")
    client_id = p.client_id(params, client_field) or call.state.new_id()
    symbol, side, quantity = base
    return RestingRequest(client_id, symbol, SPOT, side, quantity, kind, price, stop, tif)


def new_list(
    call: Call, symbol: Symbol, side: Side, quantity: Decimal, above: str, below: str
) -> Reply:
    """POST orderList/oco for any pair but the SELL TAKE_PROFIT + STOP_LOSS exit."""
    params, state = call.params, call.state
    known = (*_PROFIT_LEGS, *_STOP_LEGS, "LIMIT", "MARKET")
    if above not in known or below not in known:
        raise errors.invalid_order_type()
    profit, stop = (above, below) if side is Side.SELL else (below, above)
    if profit not in _PROFIT_LEGS or stop not in _STOP_LEGS:
        raise errors.unsupported_combination()
    list_id = p.client_id(params, "listClientOrderId") or state.new_id()
    p.choice(params, "newOrderRespType", _RESPONSE_TYPES, "ACK")  # the answer is the same
    rules = common.rules_of(state, symbol, SPOT)
    base = (symbol, side, quantity)
    legs = {
        prefix: _leg(call, rules, kind, prefix, f"{prefix}ClientOrderId", base)
        for prefix, kind in (("above", above), ("below", below))
    }
    profit_leg, stop_leg = (
        (legs["above"], legs["below"]) if side is Side.SELL else (legs["below"], legs["above"])
    )
    return _place_list(call, list_id, stop_leg, profit_leg)


def _place_list(call: Call, list_id: str, stop: RestingRequest, profit: RestingRequest) -> Reply:
    state = call.state
    rules = common.rules_of(state, stop.symbol, SPOT)

    def rest(desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        last = common.price_at(state, rules, now)
        profit_level = profit.limit_price if profit.kind is RestingKind.LIMIT_MAKER else None
        profit_level = profit_level or profit.stop_price
        stop_level = stop.stop_price
        assert profit_level is not None
        assert stop_level is not None
        right = (
            profit_level > last > stop_level
            if stop.side is Side.SELL
            else profit_level < last < stop_level
        )
        if not right:
            raise errors.oco_prices_wrong()
        orders = desk.resting.place_list(held, stop, profit, now)
        group = orders[0].group_id
        assert group is not None
        extras.list_ids[group] = list_id
        body = {
            "orderListId": group,
            "contingencyType": "OCO",
            "listStatusType": "EXEC_STARTED",
            "listOrderStatus": "EXECUTING",
            "listClientOrderId": list_id,
            "transactionTime": render.ms(now),
            "symbol": stop.symbol,
            "orders": [
                {"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id}
                for o in orders
            ],
            "orderReports": [render.spot_result(o) for o in orders],
        }
        return Reply(body, placed=[_key(held, o) for o in orders])

    return state.act(call.signer, rest)


@ROUTES.add("POST", "/api/v3/order/oco", Market.SPOT, 1, signed=True, places_order=2)
def new_legacy_oco(call: Call) -> Reply:
    """The legacy OCO: a LIMIT_MAKER at `price` and a STOP_LOSS(_LIMIT) at `stopPrice`."""
    params, state = call.params, call.state
    symbol, side = p.symbol(params), p.side(params)
    quantity = checks.spot_quantity(params)
    rules = common.rules_of(state, symbol, SPOT)
    price = checks.spot_price(params, "price", rules)
    if price is None:
        raise errors.mandatory("price")
    stop = checks.spot_price(params, "stopPrice", rules)
    if stop is None:
        raise errors.mandatory("stopPrice")
    stop_limit = checks.spot_price(params, "stopLimitPrice", rules)
    tif = time_in_force(params, "stopLimitTimeInForce", stop_limit is not None)
    list_id = p.client_id(params, "listClientOrderId") or state.new_id()
    p.choice(params, "newOrderRespType", _RESPONSE_TYPES, "ACK")
    kind = RestingKind.STOP_MARKET if stop_limit is None else RestingKind.STOP_LIMIT
    stop_leg = RestingRequest(
        p.client_id(params, "stopClientOrderId") or state.new_id(),
        symbol, SPOT, side, quantity, kind, stop_limit, stop, tif,
    )  # fmt: skip
    limit_leg = RestingRequest(
        p.client_id(params, "limitClientOrderId") or state.new_id(),
        symbol, SPOT, side, quantity, RestingKind.LIMIT_MAKER, price,
    )  # fmt: skip
    return _place_list(call, list_id, stop_leg, limit_leg)

"""Spot routes, `/api/v3`: market data, the account, MARKET orders and resting exits.

A STOP_LOSS or TAKE_PROFIT order (a SELL that fires as a MARKET order at its level) is a
one-leg protection group on the venue; an OCO is one group of two legs, the first to fire
cancels the other, and cancelling either leg cancels the list, as on Binance. Both lock
the base they will sell. `trailingDelta` (basis points) makes the STOP_LOSS trail from
the price when it is placed. Only SELL exits are served (a spot position is long). LIMIT,
LIMIT_MAKER and the stop-limit orders, and OCO lists with a limit leg, rest on the venue's
book (`spot_limits`). A MARKET order by `quoteOrderQty` is the quantity that amount
buys (or sells for) at the price now, rounded down to the step.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.state import ZERO, Account, SimOrder
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderRequest, ProtectionRequest
from tradewind.domain.types import PositionSide, PositionType, Side, Symbol
from tradewind.testkit.binance_server import common, errors, market, render, spot_limits
from tradewind.testkit.binance_server import order_checks as checks
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import ROUTES, AccountExtras, Call, Reply
from tradewind.testkit.binance_server.limits import Market

SPOT = PositionType.SPOT
API = "/api/v3"
_RESPONSE_TYPES = ("ACK", "RESULT", "FULL")


@ROUTES.add("GET", f"{API}/ping", Market.SPOT, 1)
def ping(_call: Call) -> Reply:
    """Answer that the server is up."""
    return Reply({})


@ROUTES.add("GET", f"{API}/time", Market.SPOT, 1)
def server_time(call: Call) -> Reply:
    """Answer the server's clock (skew included), which signed requests are checked against."""
    return Reply({"serverTime": call.state.server_ms()})


@ROUTES.add("GET", f"{API}/exchangeInfo", Market.SPOT, 20)
def exchange_info(call: Call) -> Reply:
    """Answer the rate limits and the symbol rules."""
    state = call.state
    return Reply(
        {
            "timezone": "UTC",
            "serverTime": state.server_ms(),
            "rateLimits": market.rate_limits(state.limits, Market.SPOT),
            "exchangeFilters": [],
            "symbols": [market.spot_symbol(r) for r in _info_symbols(call)],
        }
    )


def _info_symbols(call: Call) -> list[MarketRules]:
    """The symbols exchangeInfo lists: asked by name, or by permission (every one is SPOT)."""
    permissions = p.optional(call.params, "permissions")
    if permissions is None:
        return common.asked_symbols(call.state, call, SPOT)
    if p.optional(call.params, "symbol") or p.optional(call.params, "symbols"):
        raise errors.BinanceError(400, -1128, "Combination of optional parameters invalid.")
    asked = [permissions] if not permissions.startswith("[") else common.symbol_list(permissions)
    return common.listed(call.state, SPOT) if "SPOT" in asked else []


@ROUTES.add("GET", f"{API}/klines", Market.SPOT, 2)
def klines(call: Call) -> Reply:
    """Answer candles, the last one forming."""
    return Reply(common.kline_rows(call, SPOT, max_limit=1000))


@ROUTES.add("GET", f"{API}/ticker/price", Market.SPOT, lambda q: 2 if q.get("symbol") else 4)
def ticker_price(call: Call) -> Reply:
    """Answer the current price of a symbol (or of every listed symbol)."""
    state = call.state
    prices = [
        {"symbol": r.symbol, "price": render.spot_text(common.price_now(state, r))}
        for r in common.asked_symbols(state, call, SPOT, priced=True)
    ]
    return Reply(prices[0] if p.optional(call.params, "symbol") else prices)


@ROUTES.add("GET", f"{API}/account", Market.SPOT, 20, signed=True)
def account(call: Call) -> Reply:
    """Answer the spot wallet's balances."""
    rate = call.state.venue.fee_rate(SPOT)
    bips = int(rate * 10_000)

    def read(_desk: Desk, held: Account, now: int, _extras: AccountExtras) -> dict[str, object]:
        assets = sorted(set(held.spot) | {"USDT"})
        balances = [
            {
                "asset": asset,
                "free": render.spot_text(held.spot[asset].free if asset in held.spot else ZERO),
                "locked": render.spot_text(held.spot[asset].locked if asset in held.spot else ZERO),
            }
            for asset in assets
        ]
        return {
            "makerCommission": bips,
            "takerCommission": bips,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": render.spot_text(rate),
                "taker": render.spot_text(rate),
                "buyer": render.ZERO8,
                "seller": render.ZERO8,
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": render.ms(now),
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": held.account_id,
        }

    return Reply(call.state.act(call.signer, read))


@ROUTES.add("POST", f"{API}/order", Market.SPOT, 1, signed=True, places_order=1)
def new_order(call: Call) -> Reply:
    """Place a MARKET order, rest a STOP_LOSS / TAKE_PROFIT exit or a limit order."""
    return new_order_checked(call, test=False)


def new_order_checked(call: Call, test: bool) -> Reply:
    """Place the order of POST order; with `test`, only check its parameters."""
    params, state = call.params, call.state
    symbol, side = p.symbol(params), p.side(params)
    kind = p.required(params, "type")
    client_id = p.client_id(params, "newClientOrderId") or state.new_id()
    if kind in spot_limits.LIMIT_TYPES:
        return spot_limits.new_limit_order(call, kind, symbol, side, client_id, test)
    if kind in ("MARKET", "STOP_LOSS", "TAKE_PROFIT") and p.optional(params, "timeInForce"):
        raise errors.not_required("timeInForce")  # they execute as MARKET orders
    if kind == "MARKET":
        response = p.choice(params, "newOrderRespType", _RESPONSE_TYPES, "FULL")
        quote = None
        if p.optional(params, "quoteOrderQty") is not None:
            if p.optional(params, "quantity") is not None:
                raise errors.not_required("quoteOrderQty")  # one or the other
            quote = checks.spot_quantity(params, "quoteOrderQty")
        quantity = checks.spot_quantity(params) if quote is None else None
        rules = common.rules_of(state, symbol, SPOT)  # -1121 for a symbol not listed
        if test:
            return Reply({})

        def place(desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
            # quoteOrderQty: as much base as the quote amount buys (or sells for) at the
            # price now, rounded down to the step.
            wanted = quantity
            if wanted is None:
                assert quote is not None
                units = quote / common.price_at(state, rules, now) / rules.step
                wanted = units.to_integral_value(ROUND_DOWN) * rules.step
            request = OrderRequest(ClientOrderId(client_id), symbol, SPOT, side, wanted)
            order = desk.orders.place(held, request, now)
            body = render.spot_answer(order, response)
            if quote is not None:
                extras.quote_orders[order.order_id] = quote
                if response != "ACK":
                    body["origQuoteOrderQty"] = render.spot_text(quote)
            return Reply(body, placed=[key_of(held, order)], filled=1 if order.executed_qty else 0)

        return state.act(call.signer, place)
    if kind not in ("STOP_LOSS", "TAKE_PROFIT"):
        raise errors.invalid_order_type()
    response = p.choice(params, "newOrderRespType", _RESPONSE_TYPES, "ACK")
    rules = common.rules_of(state, symbol, SPOT)
    leg = exit_leg(call, rules, kind, "stopPrice", "trailingDelta")
    if side is not Side.SELL:
        raise errors.unsupported_combination()
    if p.optional(params, "price") is not None:
        raise errors.not_required("price")
    quantity = checks.spot_quantity(params)
    if test:
        return Reply({})

    def rest(desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        last = common.price_at(state, rules, now)
        purpose, level, _ = leg
        if level is not None and checks.would_trigger(_TRIGGERS[purpose], side, level, last):
            raise errors.spot_would_trigger()
        request = _protection(call, symbol, quantity, {purpose: (client_id, *leg[1:])}, now)
        (order,) = desk.exits.place(held, request, now)
        return Reply(render.spot_answer(order, response), placed=[key_of(held, order)])

    return state.act(call.signer, rest)


Leg = tuple[OrderPurpose, Decimal | None, Decimal | None]  # purpose, level, trailing rate
_TRIGGERS = {
    OrderPurpose.STOP_LOSS: checks.Trigger.STOP,
    OrderPurpose.TAKE_PROFIT: checks.Trigger.TAKE_PROFIT,
}


def exit_leg(
    call: Call, rules: MarketRules, kind: str, price_field: str, trailing_field: str
) -> Leg:
    """Read one exit leg: a TAKE_PROFIT level, or a STOP_LOSS level or trailing delta."""
    level = checks.spot_price(call.params, price_field, rules)
    bips = p.optional_integer(call.params, trailing_field)
    if kind == "TAKE_PROFIT":
        if bips is not None:
            raise errors.unsupported_combination()  # a trailing take-profit is not served
        if level is None:
            raise errors.mandatory(price_field)
        return OrderPurpose.TAKE_PROFIT, level, None
    if bips is None:
        if level is None:
            raise errors.mandatory(price_field)
        return OrderPurpose.STOP_LOSS, level, None
    if level is not None:
        raise errors.unsupported_combination()  # a stop that starts trailing at a level
    if not market.MIN_TRAILING_BIPS <= bips <= market.MAX_TRAILING_BIPS:
        raise errors.BinanceError(400, -1013, "Filter failure: TRAILING_DELTA")
    return OrderPurpose.TRAILING_STOP, None, Decimal(bips) / 10_000


def _protection(
    call: Call,
    symbol: Symbol,
    quantity: Decimal,
    legs: dict[OrderPurpose, tuple[str, Decimal | None, Decimal | None]],
    now: int,
) -> ProtectionRequest:
    levels = {purpose: level for purpose, (_, level, _) in legs.items()}
    rates = [rate for _, _, rate in legs.values() if rate is not None]
    rules = common.rules_of(call.state, symbol, SPOT)
    return ProtectionRequest(
        symbol=symbol,
        position_type=SPOT,
        position_side=PositionSide.LONG,
        quantity=quantity,
        # A trailing stop trails from the price at which it is placed.
        entry_price=common.price_at(call.state, rules, now),
        stop_loss=levels.get(OrderPurpose.STOP_LOSS),
        take_profit=levels.get(OrderPurpose.TAKE_PROFIT),
        trailing_rate=rates[0] if rates else None,
        ids={purpose: ClientOrderId(cid) for purpose, (cid, _, _) in legs.items()},
    )


def key_of(held: Account, order: SimOrder) -> tuple[int, str, int]:
    """Return the fault plan's key of an order."""
    return held.account_id, order.position_type.value, order.order_id


@ROUTES.add("POST", f"{API}/orderList/oco", Market.SPOT, 1, signed=True, places_order=2)
def new_oco(call: Call) -> Reply:
    """Rest an OCO list: a SELL take-profit above and stop (or trailing stop) below as a
    protection group; any other pair (a LIMIT_MAKER or stop-limit leg, a BUY list) on the
    resting book (`spot_limits.new_list`)."""
    params, state = call.params, call.state
    symbol = p.symbol(params)
    side = p.side(params)
    quantity = checks.spot_quantity(params)
    above, below = p.required(params, "aboveType"), p.required(params, "belowType")
    if side is not Side.SELL or above != "TAKE_PROFIT" or below != "STOP_LOSS":
        return spot_limits.new_list(call, symbol, side, quantity, above, below)
    list_id = p.client_id(params, "listClientOrderId") or state.new_id()
    rules = common.rules_of(state, symbol, SPOT)
    take = exit_leg(call, rules, "TAKE_PROFIT", "aboveStopPrice", "aboveTrailingDelta")
    stop = exit_leg(call, rules, "STOP_LOSS", "belowStopPrice", "belowTrailingDelta")
    legs = {
        take[0]: (p.client_id(params, "aboveClientOrderId") or state.new_id(), *take[1:]),
        stop[0]: (p.client_id(params, "belowClientOrderId") or state.new_id(), *stop[1:]),
    }

    def rest(desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        # A SELL list: the above leg over the last price, the below leg under it.
        last = common.price_at(state, rules, now)
        above_level, below_level = take[1], stop[1]
        if (above_level is not None and above_level <= last) or (
            below_level is not None and below_level >= last
        ):
            raise errors.oco_prices_wrong()
        request = _protection(call, symbol, quantity, legs, now)
        orders = sorted(desk.exits.place(held, request, now), key=lambda o: o.order_id)
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
            "symbol": symbol,
            "orders": [
                {"symbol": symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id}
                for o in orders
            ],
            "orderReports": [render.spot_result(o) for o in orders],
        }
        return Reply(body, placed=[key_of(held, o) for o in orders])

    return state.act(call.signer, rest)


@ROUTES.add("GET", f"{API}/order", Market.SPOT, 4, signed=True)
def get_order(call: Call) -> Reply:
    """Answer one order, by orderId or by client id (the newest with that id)."""

    def look(_desk: Desk, held: Account, _now: int, extras: AccountExtras) -> Reply:
        order = common.find_order(call, held, SPOT)
        if order is None:
            raise errors.no_such_order()
        body = render.spot_order(order)
        if order.order_id in extras.quote_orders:
            body["origQuoteOrderQty"] = render.spot_text(extras.quote_orders[order.order_id])
        return Reply(body, looked_up=key_of(held, order))

    return call.state.act(call.signer, look)


@ROUTES.add("DELETE", f"{API}/order", Market.SPOT, 1, signed=True)
def cancel_order(call: Call) -> Reply:
    """Cancel a resting order; a leg of an OCO cancels the whole list."""

    def cancel(desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        order = common.find_order(call, held, SPOT)
        if order is None or not order.resting:
            raise errors.unknown_order_sent()
        group = held.groups.get(order.group_id) if order.group_id is not None else None
        legs = [held.orders[i] for i in group.orders.values()] if group else [order]
        for leg in legs:
            if leg.resting:
                cancel_resting(desk, held, leg, now)
        body = render.spot_order(order)
        body["origClientOrderId"] = order.client_order_id
        body["transactTime"] = render.ms(now)
        return Reply(body)

    return call.state.act(call.signer, cancel)


def cancel_resting(desk: Desk, held: Account, order: SimOrder, now: int) -> None:
    """Cancel a resting order (its list's other leg too), a book order or an exit."""
    if order.kind is not None:
        desk.resting.cancel(held, order, now)
    else:
        desk.exits.cancel(held, order.symbol, order.position_type, order.client_order_id, now)


@ROUTES.add("GET", f"{API}/myTrades", Market.SPOT, 20, signed=True)
def my_trades(call: Call) -> Reply:
    """Answer the trades of a symbol (or of one order), with their commission."""

    def read(_desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        return Reply([render.spot_trade(o) for o in common.trades_of(call, held, SPOT)])

    return call.state.act(call.signer, read)

"""Spot order queries: open orders (and cancelling them all), every order, the order counts."""

from __future__ import annotations

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.state import Account, SimOrder
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server import common, errors, render, spot
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import ROUTES, AccountExtras, Call, Reply
from tradewind.testkit.binance_server.limits import Market

SPOT = PositionType.SPOT
API = "/api/v3"


def _spot_orders(held: Account, symbol: str | None) -> list[SimOrder]:
    return sorted(
        (
            o
            for o in held.orders.values()
            if o.position_type is SPOT and (symbol is None or o.symbol == symbol)
        ),
        key=lambda o: o.order_id,
    )


def _asked_symbol(call: Call) -> str | None:
    symbol = p.optional(call.params, "symbol")
    if symbol is None:
        return None
    return common.rules_of(call.state, symbol.upper(), SPOT).symbol


@ROUTES.add(
    "POST",
    f"{API}/order/test",
    Market.SPOT,
    lambda q: 20 if q.get("computeCommissionRates") == "true" else 1,
    signed=True,
)
def test_order(call: Call) -> Reply:
    """Check a new order's parameters as POST order does, without placing it.

    As on Binance, the order does not reach the matching engine: what only the venue
    checks (LOT_SIZE, NOTIONAL, the balance, a stop that would trigger at once) is not
    checked here.
    """
    compute = p.boolean(call.params, "computeCommissionRates")
    spot.new_order_checked(call, test=True)
    if not compute:
        return Reply({})
    rate = render.spot_text(call.state.venue.fee_rate(SPOT))
    zero = render.ZERO8
    return Reply(
        {
            "standardCommissionForOrder": {"maker": rate, "taker": rate},
            "specialCommissionForOrder": {"maker": zero, "taker": zero},
            "taxCommissionForOrder": {"maker": zero, "taker": zero},
            "discount": {
                "enabledForAccount": False,
                "enabledForSymbol": False,
                "discountAsset": "BNB",
                "discount": zero,
            },
        }
    )


@ROUTES.add(
    "GET", f"{API}/openOrders", Market.SPOT, lambda q: 6 if q.get("symbol") else 80, signed=True
)
def open_orders(call: Call) -> Reply:
    """Answer the resting orders of a symbol, or of every symbol."""
    symbol = _asked_symbol(call)

    def read(_desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        return Reply([render.spot_order(o) for o in _spot_orders(held, symbol) if o.resting])

    return call.state.act(call.signer, read)


@ROUTES.add("DELETE", f"{API}/openOrders", Market.SPOT, 1, signed=True)
def cancel_open_orders(call: Call) -> Reply:
    """Cancel every resting order of a symbol (an OCO's legs together); answer each cancel."""
    symbol = p.symbol(call.params)
    common.rules_of(call.state, symbol, SPOT)

    def cancel(desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        resting = [o for o in _spot_orders(held, symbol) if o.resting]
        if not resting:
            raise errors.BinanceError(400, -2011, "Unknown order sent.")
        answers = []
        for order in resting:
            if order.resting:  # an OCO leg may have gone with its partner
                spot.cancel_resting(desk, held, order, now)
            body = render.spot_order(order)
            body["origClientOrderId"] = order.client_order_id
            body["transactTime"] = render.ms(now)
            answers.append(body)
        return Reply(answers)

    return call.state.act(call.signer, cancel)


@ROUTES.add("GET", f"{API}/allOrders", Market.SPOT, 20, signed=True)
def all_orders(call: Call) -> Reply:
    """Answer a symbol's orders of every status, from `orderId` or within a time window."""
    params = call.params
    symbol = p.symbol(params)
    common.rules_of(call.state, symbol, SPOT)
    from_id = p.optional_integer(params, "orderId")
    start = common.millis(params, "startTime", SPOT)
    end = common.millis(params, "endTime", SPOT)
    limit = p.integer(params, "limit", default=500, low=1, high=1000)
    if start is not None and end is not None and end - start > 86_400_000:
        raise errors.BinanceError(400, -1127, "More than 24 hours between startTime and endTime.")

    def read(_desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        found = [
            o
            for o in _spot_orders(held, symbol)
            if (from_id is None or o.order_id >= from_id)
            and (start is None or render.ms(o.created_at) >= start)
            and (end is None or render.ms(o.created_at) <= end)
        ]
        # Binance answers the most recent orders unless told where to start.
        chosen = found[:limit] if from_id is not None or start is not None else found[-limit:]
        return Reply([render.spot_order(o) for o in chosen])

    return call.state.act(call.signer, read)


@ROUTES.add("GET", f"{API}/rateLimit/order", Market.SPOT, 40, signed=True)
def unfilled_order_count(call: Call) -> Reply:
    """Answer the account's unfilled order count in each ORDERS interval."""
    state = call.state
    counts = state.limiter.order_counts(call.signer.account_id, Market.SPOT, state.wall_ms())
    entries = []
    for interval, count in counts:
        number, unit = interval.words.split()
        entries.append(
            {
                "rateLimitType": "ORDERS",
                "interval": unit,
                "intervalNum": int(number),
                "limit": interval.limit,
                "count": count,
            }
        )
    return Reply(entries)


# --- Order lists (OCO) ---------------------------------------------------------------------


def _legs(held: Account, list_id: int) -> list[SimOrder]:
    return sorted(
        (o for o in held.orders.values() if o.group_id == list_id and o.position_type is SPOT),
        key=lambda o: o.order_id,
    )


def _list_status(held: Account, extras: AccountExtras, list_id: int, now: int) -> dict[str, object]:
    legs = _legs(held, list_id)
    executing = any(o.resting for o in legs)
    return {
        "orderListId": list_id,
        "contingencyType": "OCO",
        "listStatusType": "EXEC_STARTED" if executing else "ALL_DONE",
        "listOrderStatus": "EXECUTING" if executing else "ALL_DONE",
        "listClientOrderId": extras.list_ids[list_id],
        "transactionTime": render.ms(max((o.updated_at for o in legs), default=now)),
        "symbol": legs[0].symbol if legs else "",
        "orders": [
            {"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id}
            for o in legs
        ],
    }


def _find_list(call: Call, extras: AccountExtras, client_field: str) -> int:
    list_id = p.optional_integer(call.params, "orderListId")
    client_id = p.optional(call.params, client_field)
    if list_id is None and client_id is None:
        raise errors.BinanceError(
            400, -1102,
            f"Param '{client_field}' or 'orderListId' must be sent, but both were empty/null!",
        )  # fmt: skip
    if list_id is None:
        list_id = next((i for i, c in extras.list_ids.items() if c == client_id), None)
    if list_id is None or list_id not in extras.list_ids:
        raise errors.BinanceError(400, -2011, "Order list does not exist.")
    return list_id


@ROUTES.add("GET", f"{API}/orderList", Market.SPOT, 4, signed=True)
def get_order_list(call: Call) -> Reply:
    """Answer an OCO list by orderListId or origClientOrderId (its listClientOrderId)."""

    def read(_desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        list_id = _find_list(call, extras, "origClientOrderId")
        return Reply(_list_status(held, extras, list_id, now))

    return call.state.act(call.signer, read)


@ROUTES.add("DELETE", f"{API}/orderList", Market.SPOT, 1, signed=True)
def cancel_order_list(call: Call) -> Reply:
    """Cancel an OCO list's resting legs; answer the list with each leg's cancel."""
    symbol = p.symbol(call.params)

    def cancel(desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        list_id = _find_list(call, extras, "listClientOrderId")
        legs = _legs(held, list_id)
        if not legs or legs[0].symbol != symbol or not any(o.resting for o in legs):
            raise errors.BinanceError(400, -2011, "Unknown order sent.")
        for leg in legs:
            if leg.resting:
                spot.cancel_resting(desk, held, leg, now)
        body = _list_status(held, extras, list_id, now)
        body["listStatusType"] = "ALL_DONE"
        body["orderReports"] = [render.spot_result(o) for o in legs]
        return Reply(body)

    return call.state.act(call.signer, cancel)


@ROUTES.add("GET", f"{API}/openOrderList", Market.SPOT, 6, signed=True)
def open_order_lists(call: Call) -> Reply:
    """Answer the OCO lists with a resting leg."""

    def read(_desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        lists = [_list_status(held, extras, i, now) for i in sorted(extras.list_ids)]
        return Reply([entry for entry in lists if entry["listOrderStatus"] == "EXECUTING"])

    return call.state.act(call.signer, read)


@ROUTES.add("GET", f"{API}/allOrderList", Market.SPOT, 20, signed=True)
def all_order_lists(call: Call) -> Reply:
    """Answer every OCO list of the account, oldest first (the last `limit`)."""
    limit = p.integer(call.params, "limit", default=500, low=1, high=1000)

    def read(_desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        lists = [_list_status(held, extras, i, now) for i in sorted(extras.list_ids)]
        return Reply(lists[-limit:])

    return call.state.act(call.signer, read)

"""USDⓈ-M algo orders, `/fapi/v1/algoOrder`: conditional exits resting on the venue.

Each algo order is its own one-leg protection group: STOP_MARKET a stop-loss at
`triggerPrice`, TAKE_PROFIT_MARKET a take-profit there, TRAILING_STOP_MARKET a trailing
stop of `callbackRate` percent. The trailing peak starts at `activatePrice` when given
(the domain's rule: it trails from the entry price), else at the current price; the order
trails from the moment it is placed, without waiting for the price to reach
`activatePrice`. Every trigger is on the contract price (`workingType` MARK_PRICE is
taken and treated alike). When it fires, the MARKET order it places is the venue order
itself (its client id is the clientAlgoId), visible through GET /fapi/v1/order and
userTrades; all of a position's algo orders are CANCELED when the position closes.
`closePosition=true` (STOP_MARKET, TAKE_PROFIT_MARKET) rests for the position's size when
placed; the venue's exits protect a position, so without one it is refused (-2022).

A STOP_MARKET or TAKE_PROFIT_MARKET without `reduceOnly` (or `closePosition`), and the limit
variants STOP and TAKE_PROFIT (`price`, `timeInForce` GTC / IOC / FOK / GTX), rest on the
venue's book instead (`simulated/resting.py`), as Binance rests them: also when the
account is flat, and they stay when a position closes; once triggered, a STOP /
TAKE_PROFIT becomes a LIMIT at `price` (docs/strategy.md "Resting orders"), visible
through GET /fapi/v1/order and openOrders.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.resting_request import RestingRequest
from tradewind.adapters.exchange.simulated.state import Account, RestingKind
from tradewind.adapters.exchange.simulated.state import TimeInForce as Tif
from tradewind.domain.orders import ClientOrderId, OrderPurpose, ProtectionRequest
from tradewind.domain.types import PositionSide, Side, Symbol
from tradewind.testkit.binance_server import common, errors, futures_limits, render
from tradewind.testkit.binance_server import order_checks as checks
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import (
    ROUTES,
    AccountExtras,
    Call,
    Reply,
)
from tradewind.testkit.binance_server.futures import CONDITIONAL, F1, FUTURES
from tradewind.testkit.binance_server.limits import Market
from tradewind.testkit.binance_server.spot import key_of

PURPOSES = {
    "STOP_MARKET": OrderPurpose.STOP_LOSS,
    "TAKE_PROFIT_MARKET": OrderPurpose.TAKE_PROFIT,
    "TRAILING_STOP_MARKET": OrderPurpose.TRAILING_STOP,
}
_TRIGGERS = {
    OrderPurpose.STOP_LOSS: checks.Trigger.STOP,
    OrderPurpose.TAKE_PROFIT: checks.Trigger.TAKE_PROFIT,
}
MIN_CALLBACK, MAX_CALLBACK = Decimal("0.1"), Decimal(10)
PATH = f"{F1}/algoOrder"


_BOOK_KINDS = {
    "STOP": RestingKind.STOP_LIMIT,
    "TAKE_PROFIT": RestingKind.TAKE_PROFIT_LIMIT,
    "STOP_MARKET": RestingKind.STOP_MARKET,
    "TAKE_PROFIT_MARKET": RestingKind.TAKE_PROFIT_MARKET,
}


@ROUTES.add("POST", PATH, Market.FUTURES, 0, signed=True, places_order=1)
def new_algo_order(call: Call) -> Reply:
    """Rest a conditional exit (stop, take-profit or trailing stop) for the open position."""
    params, state = call.params, call.state
    p.choice(params, "algoType", ("CONDITIONAL",))
    symbol, side = p.symbol(params), p.side(params)
    kind = p.required(params, "type")
    if kind not in CONDITIONAL:
        raise errors.invalid_order_type()
    close_position = p.boolean(params, "closePosition")
    exit_only = close_position or p.boolean(params, "reduceOnly")
    if kind in ("STOP", "TAKE_PROFIT") or (kind in _BOOK_KINDS and not exit_only):
        if p.choice(params, "positionSide", ("BOTH", "LONG", "SHORT"), "BOTH") != "BOTH":
            raise errors.position_side_mismatch()
        return _new_book_algo(call, kind, symbol, side, close_position)
    purpose = PURPOSES[kind]
    if close_position:
        if purpose is OrderPurpose.TRAILING_STOP:
            raise errors.not_required("closePosition")
        for name in ("quantity", "reduceOnly"):
            if p.optional(params, name) is not None:
                raise errors.not_required(name)  # closePosition closes it all
    if p.choice(params, "positionSide", ("BOTH", "LONG", "SHORT"), "BOTH") != "BOTH":
        raise errors.position_side_mismatch()
    working_type = p.choice(
        params, "workingType", ("CONTRACT_PRICE", "MARK_PRICE"), "CONTRACT_PRICE"
    )
    quantity = None if close_position else p.decimal(params, "quantity")
    reduce_only = p.boolean(params, "reduceOnly")
    rules = common.rules_of(state, symbol, FUTURES)
    trigger = callback = None
    if purpose is OrderPurpose.TRAILING_STOP:
        callback = p.decimal(params, "callbackRate")
        if not MIN_CALLBACK <= callback <= MAX_CALLBACK:
            raise errors.invalid_value("callbackRate")
    else:
        p.required(params, "triggerPrice")
        trigger = checks.futures_price(params, "triggerPrice", rules)
    activate = checks.futures_price(params, "activatePrice", rules)
    client_id = p.client_id(params, "clientAlgoId") or state.new_id()

    def rest(desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        last = common.price_at(state, rules, now)
        if trigger is not None and checks.would_trigger(_TRIGGERS[purpose], side, trigger, last):
            raise errors.futures_would_trigger()
        # A trailing stop's activation price lies beyond the last price, on its far side
        # (a SELL above it, a BUY below it), as a take-profit's trigger does.
        if activate is not None and checks.would_trigger(
            checks.Trigger.TAKE_PROFIT, side, activate, last
        ):
            raise errors.futures_would_trigger()
        size = quantity
        if size is None:  # closePosition: the whole position as it stands now
            position = held.positions.get(symbol)
            if position is None:
                raise errors.BinanceError(400, -2022, "ReduceOnly Order is rejected.")
            size = position.quantity
        request = ProtectionRequest(
            symbol=symbol,
            position_type=FUTURES,
            # A SELL exit protects a long, a BUY exit a short.
            position_side=PositionSide.LONG if side is Side.SELL else PositionSide.SHORT,
            quantity=size,
            entry_price=activate or common.price_at(state, rules, now),
            stop_loss=trigger if purpose is OrderPurpose.STOP_LOSS else None,
            take_profit=trigger if purpose is OrderPurpose.TAKE_PROFIT else None,
            trailing_rate=callback / 100 if callback is not None else None,
            ids={purpose: ClientOrderId(client_id)},
        )
        (order,) = desk.exits.place(held, request, now)
        algo = render.AlgoOrder(
            algo_id=state.next_algo_id(),
            client_algo_id=client_id,
            order_id=order.order_id,
            order_type=kind,
            trigger_price=trigger,
            callback_rate=callback,
            activate_price=activate,
            working_type=working_type,
            reduce_only=reduce_only,
            close_position=close_position,
        )
        extras.algos[algo.algo_id] = algo
        extras.algo_ids[client_id] = algo.algo_id
        return Reply(render.algo_order(algo, order), placed=[key_of(held, order)])

    return state.act(call.signer, rest)


def _new_book_algo(
    call: Call, kind: str, symbol: Symbol, side: Side, close_position: bool
) -> Reply:
    """Rest a conditional order on the venue's book (see the module docstring)."""
    params, state = call.params, call.state
    if close_position:
        raise errors.unsupported_combination()  # closePosition is a STOP_MARKET exit's
    resting = _BOOK_KINDS[kind]
    working_type = p.choice(
        params, "workingType", ("CONTRACT_PRICE", "MARK_PRICE"), "CONTRACT_PRICE"
    )
    quantity = p.decimal(params, "quantity")
    reduce_only = p.boolean(params, "reduceOnly")
    rules = common.rules_of(state, symbol, FUTURES)
    p.required(params, "triggerPrice")
    trigger = checks.futures_price(params, "triggerPrice", rules)
    assert trigger is not None
    price = checks.futures_price(params, "price", rules)
    tif = Tif.GTC
    if resting.limit:
        if price is None:
            raise errors.mandatory("price")
        if p.optional(params, "timeInForce") is not None:
            resting_kind, tif = futures_limits.futures_time_in_force(params)
            if resting_kind is RestingKind.LIMIT_MAKER:
                tif = Tif.GTC  # GTX: the LIMIT it places is post-only; taken as GTC here
    elif price is not None:
        raise errors.not_required("price")
    client_id = p.client_id(params, "clientAlgoId") or state.new_id()
    request = RestingRequest(
        client_id, symbol, FUTURES, side, quantity, resting, price, trigger, tif,
        reduce_only=reduce_only,
    )  # fmt: skip

    def rest(desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        order = desk.resting.place(held, request, now)  # -2021 when it would trigger at once
        algo = render.AlgoOrder(
            algo_id=state.next_algo_id(),
            client_algo_id=client_id,
            order_id=order.order_id,
            order_type=kind,
            trigger_price=trigger,
            callback_rate=None,
            activate_price=None,
            working_type=working_type,
            reduce_only=reduce_only,
        )
        extras.algos[algo.algo_id] = algo
        extras.algo_ids[client_id] = algo.algo_id
        return Reply(render.algo_order(algo, order), placed=[key_of(held, order)])

    return state.act(call.signer, rest)


def _find(call: Call, extras: AccountExtras) -> render.AlgoOrder | None:
    algo_id = p.optional_integer(call.params, "algoId")
    client_id = p.optional(call.params, "clientAlgoId")
    if algo_id is None and client_id is None:
        raise errors.BinanceError(
            400, -1102, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!"
        )
    if algo_id is None:
        algo_id = extras.algo_ids.get(client_id or "")
    return extras.algos.get(algo_id) if algo_id is not None else None


@ROUTES.add("GET", PATH, Market.FUTURES, 1, signed=True)
def get_algo_order(call: Call) -> Reply:
    """Answer an algo order: NEW while resting, FINISHED with its actualOrderId once fired."""

    def look(_desk: Desk, held: Account, _now: int, extras: AccountExtras) -> Reply:
        algo = _find(call, extras)
        if algo is None:
            raise errors.no_such_order()
        order = held.orders[algo.order_id]
        return Reply(render.algo_order(algo, order), looked_up=key_of(held, order))

    return call.state.act(call.signer, look)


@ROUTES.add("DELETE", PATH, Market.FUTURES, 1, signed=True)
def cancel_algo_order(call: Call) -> Reply:
    """Cancel a resting algo order (-2011 when it is not resting)."""

    def cancel(desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        algo = _find(call, extras)
        order = held.orders[algo.order_id] if algo is not None else None
        if algo is None or order is None or not order.resting:
            raise errors.unknown_order_sent()
        if order.kind is not None:
            desk.resting.cancel(held, order, now)
        else:
            desk.exits.cancel(held, order.symbol, FUTURES, order.client_order_id, now)
        body = {
            "algoId": algo.algo_id,
            "clientAlgoId": algo.client_algo_id,
            "code": "200",
            "msg": "success",
        }
        return Reply(body)

    return call.state.act(call.signer, cancel)


@ROUTES.add("DELETE", f"{F1}/algoOpenOrders", Market.FUTURES, 1, signed=True)
def cancel_all_algo_orders(call: Call) -> Reply:
    """Cancel the symbol's resting algo orders (regular orders stay: allOpenOrders)."""
    symbol = common.rules_of(call.state, p.symbol(call.params), FUTURES).symbol

    def cancel(desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        for algo in sorted(extras.algos.values(), key=lambda a: a.algo_id):
            order = held.orders[algo.order_id]
            if not order.resting or order.symbol != symbol:
                continue
            if order.kind is not None:
                desk.resting.cancel(held, order, now)
            else:
                desk.exits.cancel(held, order.symbol, FUTURES, order.client_order_id, now)
        return Reply({"code": 200, "msg": "The operation of cancel all open order is done."})

    return call.state.act(call.signer, cancel)

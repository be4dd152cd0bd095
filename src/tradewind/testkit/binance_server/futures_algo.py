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
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.state import Account
from tradewind.domain.orders import ClientOrderId, OrderPurpose, ProtectionRequest
from tradewind.domain.types import PositionSide, Side
from tradewind.testkit.binance_server import common, errors, render
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


@ROUTES.add("POST", PATH, Market.FUTURES, 0, signed=True, places_order=1)
def new_algo_order(call: Call) -> Reply:
    """Rest a conditional exit (stop, take-profit or trailing stop) for the open position."""
    params, state = call.params, call.state
    p.choice(params, "algoType", ("CONDITIONAL",))
    symbol, side = p.symbol(params), p.side(params)
    kind = p.required(params, "type")
    if kind not in CONDITIONAL:
        raise errors.invalid_order_type()
    purpose = PURPOSES.get(kind)
    if purpose is None:
        raise errors.unsupported_combination()  # STOP / TAKE_PROFIT with a limit price
    close_position = p.boolean(params, "closePosition")
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
        desk.exits.cancel(held, order.symbol, FUTURES, order.client_order_id, now)
        body = {
            "algoId": algo.algo_id,
            "clientAlgoId": algo.client_algo_id,
            "code": "200",
            "msg": "success",
        }
        return Reply(body)

    return call.state.act(call.signer, cancel)

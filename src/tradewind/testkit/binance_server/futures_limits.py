"""USDⓈ-M LIMIT orders on `/fapi/v1/order`, resting on the venue's book.

`timeInForce` GTC, IOC, FOK or GTX (post-only: refused with -5022 when it would cross);
GTD is not served (-1014). The price passes the precision (-1111) and tick (-4014) checks,
then PERCENT_PRICE as exchangeInfo lists it: at most 5 % above the last price (-4016) and
at most 5 % below it (-4024). How resting orders fill: docs/strategy.md "Resting orders".
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.resting_request import RestingRequest
from tradewind.adapters.exchange.simulated.state import Account, RestingKind
from tradewind.adapters.exchange.simulated.state import TimeInForce as Tif
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType, Side, Symbol
from tradewind.testkit.binance_server import common, errors, render
from tradewind.testkit.binance_server import order_checks as checks
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import AccountExtras, Call, Reply

FUTURES = PositionType.FUTURES
MULTIPLIER_UP, MULTIPLIER_DOWN = Decimal("1.05"), Decimal("0.95")  # PERCENT_PRICE
_TIME_IN_FORCE = ("GTC", "IOC", "FOK", "GTX", "GTD")


def futures_time_in_force(params: p.Params) -> tuple[RestingKind, Tif]:
    """Read a LIMIT order's timeInForce: the kind it makes (GTX: post-only) and its Tif."""
    value = p.optional(params, "timeInForce")
    if value is None:
        raise errors.mandatory("timeInForce")
    if value not in _TIME_IN_FORCE:
        raise errors.BinanceError(400, -1115, "Invalid timeInForce.")
    if value == "GTD":
        raise errors.unsupported_combination()  # good-till-date is not served
    if value == "GTX":
        return RestingKind.LIMIT_MAKER, Tif.GTC
    return RestingKind.LIMIT, Tif(value)


def check_percent_price(rules: MarketRules, price: Decimal, last: Decimal) -> None:
    """Refuse a limit price more than PERCENT_PRICE away from the last price."""
    tick = rules.tick_size or Decimal("1e-8")
    cap = (last * MULTIPLIER_UP / tick).to_integral_value(ROUND_FLOOR) * tick
    floor = (last * MULTIPLIER_DOWN / tick).to_integral_value(ROUND_CEILING) * tick
    if price > cap:
        raise errors.BinanceError(400, -4016, f"Limit price can't be higher than {cap}.")
    if price < floor:
        raise errors.BinanceError(400, -4024, f"Limit price can't be lower than {floor}.")


def new_limit_order(call: Call, symbol: Symbol, side: Side, client_id: str) -> Reply:
    """Place a LIMIT order: filled at once when it crosses, else resting (IOC/FOK: EXPIRED)."""
    params, state = call.params, call.state
    kind, tif = futures_time_in_force(params)
    quantity = p.decimal(params, "quantity")
    rules = common.rules_of(state, symbol, FUTURES)
    price = checks.futures_price(params, "price", rules)
    if price is None:
        raise errors.mandatory("price")
    if p.optional(params, "stopPrice") is not None:
        raise errors.not_required("stopPrice")
    response = p.choice(params, "newOrderRespType", ("ACK", "RESULT"), "ACK")
    request = RestingRequest(
        client_id, symbol, FUTURES, side, quantity, kind, price, None, tif,
        reduce_only=p.boolean(params, "reduceOnly"),
    )  # fmt: skip

    def place(desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        check_percent_price(rules, price, common.price_at(state, rules, now))
        order = desk.resting.place(held, request, now)
        body = render.futures_order(order, ack=response == "ACK")
        key = (held.account_id, order.position_type.value, order.order_id)
        return Reply(body, placed=[key])

    return state.act(call.signer, place)

"""What the spot and futures routes share: symbols, prices, klines parameters, order lookups."""

from __future__ import annotations

import re
from decimal import Decimal

from tradewind.adapters.exchange.simulated.feed import fill_price
from tradewind.adapters.exchange.simulated.state import Account, SimOrder
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server import errors, klines, signing
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import Call, ServerState

_SYMBOLS = re.compile(r'^\[("[A-Z0-9\-_.]{1,20}"(,"[A-Z0-9\-_.]{1,20}"){0,}){0,1}\]$')
NEITHER_ID = errors.BinanceError(
    400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
)


def rules_of(state: ServerState, symbol: str, kind: PositionType) -> MarketRules:
    """Return the symbol's rules, or -1121 when the venue does not trade it."""
    try:
        return state.venue.rules(symbol, kind)
    except ConfigurationError as e:
        raise errors.from_venue(e) from e


def listed(state: ServerState, kind: PositionType) -> list[MarketRules]:
    """Return the rules of every symbol the server lists on `kind`, by symbol."""
    found = []
    for symbol in sorted(state.symbols):
        try:
            found.append(state.venue.rules(symbol, kind))
        except ConfigurationError:
            continue
    return found


def asked_symbols(
    state: ServerState, call: Call, kind: PositionType, priced: bool = False
) -> list[MarketRules]:
    """Return the rules of the `symbol` or `symbols` asked for, or of every listed symbol.

    With `priced` (the tickers), "every listed symbol" leaves out those the venue has no
    price for now (a symbol with rules but no market behind it), as Binance leaves out
    symbols that are not trading.
    """
    symbol = p.optional(call.params, "symbol")
    many = p.optional(call.params, "symbols")
    if symbol is not None and many is not None:
        raise errors.BinanceError(
            400, -1128, "Combination of optional parameters invalid."
        )  # one or the other, as on Binance
    if many is not None:
        return [rules_of(state, name, kind) for name in symbol_list(many)]
    if symbol is None:
        every = listed(state, kind)
        if not priced:
            return every
        at = now(state)
        return [r for r in every if known_price_at(state, r, at) is not None]
    return [rules_of(state, symbol.upper(), kind)]


def symbol_list(raw: str) -> list[str]:
    """Read a `symbols` parameter: a JSON array of symbol names, e.g. ["BTCUSDT","ETHUSDT"]."""
    if not _SYMBOLS.fullmatch(raw):
        raise errors.illegal_characters("symbols", _SYMBOLS.pattern)
    names = [name.strip('"') for name in raw[1:-1].split(",") if name]
    if len(set(names)) != len(names):
        raise errors.BinanceError(400, -1151, "Symbol is present multiple times in the list.")
    return names


def price_now(state: ServerState, rules: MarketRules) -> Decimal:
    """Return the price a MARKET order gets now: the open of the venue's current minute."""
    return price_at(state, rules, now(state))


def price_at(state: ServerState, rules: MarketRules, at: int) -> Decimal:
    """Return the price a MARKET order gets at `at` (Unix seconds)."""
    try:
        price = fill_price(state.venue.prices, rules.symbol, rules.position_type, at)
    except ConfigurationError as e:
        raise errors.from_venue(e) from e
    if price is None:
        raise errors.BinanceError(503, -1008, errors.OVERLOADED)
    return price


def known_price_at(state: ServerState, rules: MarketRules, at: int) -> Decimal | None:
    """Return the price at `at`, or None when the venue has no market data for the symbol."""
    try:
        return fill_price(state.venue.prices, rules.symbol, rules.position_type, at)
    except ConfigurationError:
        return None


def now(state: ServerState) -> int:
    """Return the venue's time (Unix seconds); orders and candles live on it."""
    return state.venue.clock.now()


def kline_rows(call: Call, kind: PositionType, max_limit: int) -> list[list[object]]:
    """Answer GET klines of the spot or futures market."""
    state = call.state
    rules = rules_of(state, p.symbol(call.params), kind)
    interval_name = p.required(call.params, "interval")
    known = klines.INTERVALS if kind is PositionType.SPOT else klines.FUTURES_INTERVALS
    interval = known.get(interval_name)
    if interval is None:
        raise errors.bad_interval()
    limit = p.integer(call.params, "limit", default=500, low=1, high=max_limit)
    start = millis(call.params, "startTime", kind)
    end = millis(call.params, "endTime", kind)
    try:
        return klines.klines(state.venue.prices, rules, interval, now(state), start, end, limit)
    except ConfigurationError as e:
        raise errors.from_venue(e) from e


def find_order(call: Call, account: Account, kind: PositionType) -> SimOrder | None:
    """Return the account's order named by `orderId` (first) or `origClientOrderId`."""
    symbol = p.symbol(call.params)
    order_id = p.optional_integer(call.params, "orderId")
    client_id = p.optional(call.params, "origClientOrderId")
    if order_id is None and client_id is None:
        raise NEITHER_ID
    if order_id is not None:
        order = account.orders.get(order_id)
    else:
        assert client_id is not None
        order = account.find(kind, symbol, client_id)
    if order is None or order.position_type is not kind or order.symbol != symbol:
        return None
    return order


def trades_of(call: Call, account: Account, kind: PositionType) -> list[SimOrder]:
    """Return the filled orders (one trade each) asked for by myTrades / userTrades."""
    symbol = p.symbol(call.params)
    order_id = p.optional_integer(call.params, "orderId")
    from_id = p.optional_integer(call.params, "fromId")
    limit = p.integer(call.params, "limit", default=500, low=1, high=1000)
    filled = [
        o
        for o in account.orders.values()
        if o.position_type is kind
        and o.symbol == symbol
        and o.trade_id is not None
        and (order_id is None or o.order_id == order_id)
        and (from_id is None or o.trade_id >= from_id)
    ]
    filled.sort(key=lambda o: o.trade_id or 0)
    return filled[:limit]


def millis(params: p.Params, name: str, kind: PositionType) -> int | None:
    """Return a time parameter in ms; spot takes microseconds too (16 digits), as Binance does."""
    value = p.optional_integer(params, name)
    if value is not None and kind is PositionType.SPOT and value >= signing.MICROSECONDS_FROM:
        return value // 1000
    return value

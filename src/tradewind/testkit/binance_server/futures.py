"""USDⓈ-M futures routes, `/fapi`: market data, wallet, leverage, margin type, MARKET and
LIMIT orders (LIMIT: `futures_limits`).

One-way mode only (`positionSide` BOTH). Conditional orders live on the algo order
endpoints (`futures_algo`); sent here they get -4120, as on Binance since 2025-12.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.futures import liquidation_price
from tradewind.adapters.exchange.simulated.state import ZERO, Account, Position
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import ClientOrderId, OrderRequest
from tradewind.domain.types import PositionSide, PositionType
from tradewind.testkit.binance_server import common, errors, futures_limits, market, render
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import ROUTES, AccountExtras, Call, Reply
from tradewind.testkit.binance_server.limits import Market
from tradewind.testkit.binance_server.spot import key_of

FUTURES = PositionType.FUTURES
F1, F2 = "/fapi/v1", "/fapi/v2"
CONDITIONAL = ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
_KNOWN_TYPES = ("LIMIT", "MARKET", *CONDITIONAL)


@ROUTES.add("GET", f"{F1}/ping", Market.FUTURES, 1)
def ping(_call: Call) -> Reply:
    """Answer that the server is up."""
    return Reply({})


@ROUTES.add("GET", f"{F1}/time", Market.FUTURES, 1)
def server_time(call: Call) -> Reply:
    """Answer the server's clock (skew included)."""
    return Reply({"serverTime": call.state.server_ms()})


@ROUTES.add("GET", f"{F1}/exchangeInfo", Market.FUTURES, 1)
def exchange_info(call: Call) -> Reply:
    """Answer the rate limits, margin assets and symbol rules."""
    state = call.state
    listed = common.listed(state, FUTURES)
    return Reply(
        {
            "timezone": "UTC",
            "serverTime": state.server_ms(),
            "futuresType": "U_MARGINED",
            "rateLimits": market.rate_limits(state.limits, Market.FUTURES),
            "exchangeFilters": [],
            "assets": market.futures_assets([r.quote_asset for r in listed]),
            "symbols": [market.futures_symbol(r) for r in listed],
        }
    )


def _klines_weight(params: p.Params) -> int:
    try:
        limit = int(params.get("limit") or 500)
    except ValueError:
        return 1
    return 1 if limit <= 100 else 2 if limit <= 500 else 5 if limit <= 1000 else 10


@ROUTES.add("GET", f"{F1}/klines", Market.FUTURES, _klines_weight)
def klines(call: Call) -> Reply:
    """Answer candles, the last one forming."""
    return Reply(common.kline_rows(call, FUTURES, max_limit=1500))


@ROUTES.add("GET", f"{F1}/ticker/price", Market.FUTURES, lambda q: 1 if q.get("symbol") else 2)
def ticker_price(call: Call) -> Reply:
    """Answer the current price of a symbol (or of every listed symbol), with its time."""
    state = call.state
    at = render.ms(common.now(state))
    prices = [
        {"symbol": r.symbol, "price": render.plain(common.price_now(state, r)), "time": at}
        for r in common.asked_symbols(state, call, FUTURES, priced=True)
    ]
    return Reply(prices[0] if p.optional(call.params, "symbol") else prices)


@ROUTES.add("GET", f"{F2}/balance", Market.FUTURES, 5, signed=True)
def balance(call: Call) -> Reply:
    """Answer the futures wallet, per asset."""

    def read(_desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        entries = []
        for asset in sorted(set(held.futures) | {"USDT"}):
            wallet = held.futures.get(asset, ZERO)
            available = held.available(asset)
            isolated = sum(
                (
                    q.margin
                    for q in held.positions.values()
                    if q.isolated and q.quote_asset == asset
                ),
                start=ZERO,
            )
            entries.append(
                {
                    "accountAlias": f"tw{held.account_id}",
                    "asset": asset,
                    "balance": render.plain(wallet),
                    "crossWalletBalance": render.plain(wallet - isolated),
                    "crossUnPnl": "0",
                    "availableBalance": render.plain(available),
                    "maxWithdrawAmount": render.plain(max(available, ZERO)),
                    "marginAvailable": True,
                    "updateTime": render.ms(now),
                }
            )
        return Reply(entries)

    return call.state.act(call.signer, read)


@ROUTES.add("GET", f"{F1}/leverageBracket", Market.FUTURES, 1, signed=True)
def leverage_bracket(call: Call) -> Reply:
    """Answer the leverage brackets of a symbol (or of every listed symbol), always a list."""
    return Reply(
        [
            {"symbol": r.symbol, "notionalCoef": 1.0, "brackets": market.brackets(r)}
            for r in common.asked_symbols(call.state, call, FUTURES)
        ]
    )


@ROUTES.add("POST", f"{F1}/leverage", Market.FUTURES, 1, signed=True)
def set_leverage(call: Call) -> Reply:
    """Set the symbol's leverage for new positions (-4028 above its bracket)."""
    symbol = p.symbol(call.params)
    leverage = p.integer(call.params, "leverage")  # beyond 1 to the bracket: -4028
    rules = common.rules_of(call.state, symbol, FUTURES)

    def apply(desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        applied = desk.wallets.set_leverage(held, symbol, leverage)
        cap = market.max_notional(rules, applied)
        return Reply({"leverage": applied, "maxNotionalValue": str(cap), "symbol": symbol})

    return call.state.act(call.signer, apply)


@ROUTES.add("POST", f"{F1}/marginType", Market.FUTURES, 1, signed=True)
def set_margin_type(call: Call) -> Reply:
    """Switch between ISOLATED and CROSSED (-4046 when already so, -4048 under a position)."""
    symbol = p.symbol(call.params)
    wanted = p.choice(call.params, "marginType", ("ISOLATED", "CROSSED"))
    common.rules_of(call.state, symbol, FUTURES)

    def apply(desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        isolated = held.isolated.get(symbol, False)
        if isolated == (wanted == "ISOLATED"):
            raise errors.margin_type_unchanged()
        if wanted == "ISOLATED":
            desk.wallets.set_isolated_margin(held, symbol)
        else:
            desk.wallets.set_cross_margin(held, symbol)
        return Reply({"code": 200, "msg": "success"})

    return call.state.act(call.signer, apply)


@ROUTES.add("POST", f"{F1}/order", Market.FUTURES, 0, signed=True, places_order=1)
def new_order(call: Call) -> Reply:
    """Place a MARKET order (ACK by default, RESULT with its fill) or a LIMIT order."""
    params, state = call.params, call.state
    symbol, side = p.symbol(params), p.side(params)
    kind = p.required(params, "type")
    if kind in CONDITIONAL:
        raise errors.conditional_on_order_endpoint()
    if kind not in _KNOWN_TYPES:
        raise errors.invalid_order_type()
    if p.boolean(params, "closePosition"):
        raise errors.unsupported_combination()
    if p.choice(params, "positionSide", ("BOTH", "LONG", "SHORT"), "BOTH") != "BOTH":
        raise errors.position_side_mismatch()
    if kind == "LIMIT":
        client_id = p.client_id(params, "newClientOrderId") or state.new_id("x-")
        return futures_limits.new_limit_order(call, symbol, side, client_id)
    if p.optional(params, "timeInForce") is not None:
        raise errors.not_required("timeInForce")
    response = p.choice(params, "newOrderRespType", ("ACK", "RESULT"), "ACK")
    request = OrderRequest(
        ClientOrderId(p.client_id(params, "newClientOrderId") or state.new_id("x-")),
        symbol,
        FUTURES,
        side,
        p.decimal(params, "quantity"),
        reduce_only=p.boolean(params, "reduceOnly"),
    )

    def place(desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        order = desk.orders.place(held, request, now)
        return Reply(
            render.futures_order(order, ack=response == "ACK"), placed=[key_of(held, order)]
        )

    return state.act(call.signer, place)


@ROUTES.add("GET", f"{F1}/order", Market.FUTURES, 1, signed=True)
def get_order(call: Call) -> Reply:
    """Answer one order; a conditional order shows here only once it has fired."""

    def look(_desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        order = common.find_order(call, held, FUTURES)
        if order is None or render.algo_only(order):
            raise errors.no_such_order()
        body = render.futures_order(order)
        body["time"] = render.ms(order.created_at)
        return Reply(body, looked_up=key_of(held, order))

    return call.state.act(call.signer, look)


@ROUTES.add("GET", f"{F1}/userTrades", Market.FUTURES, 5, signed=True)
def user_trades(call: Call) -> Reply:
    """Answer the trades of a symbol (or of one order), with commission and realized PnL."""

    def read(_desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        return Reply([render.futures_trade(o) for o in common.trades_of(call, held, FUTURES)])

    return call.state.act(call.signer, read)


@ROUTES.add("GET", f"{F2}/positionRisk", Market.FUTURES, 5, signed=True)
def position_risk(call: Call) -> Reply:
    """Answer the position of a symbol (or of every listed symbol); zeros when flat."""
    state = call.state
    asked = common.asked_symbols(state, call, FUTURES)

    def read(_desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        seen = {r.symbol for r in asked}
        rules = list(asked)
        if p.optional(call.params, "symbol") is None:
            rules += [
                common.rules_of(state, s, FUTURES) for s in sorted(held.positions) if s not in seen
            ]
        return Reply(
            [risk_entry(held, r, common.known_price_at(state, r, now), now) for r in rules]
        )

    return state.act(call.signer, read)


def risk_entry(
    held: Account, rules: MarketRules, known: Decimal | None, now: int
) -> dict[str, object]:
    """Return the v2 positionRisk entry of a symbol (zeros when flat)."""
    symbol = rules.symbol
    mark = ZERO if known is None else known  # a flat symbol without market data here
    leverage = held.leverage.get(symbol, 1)
    isolated = held.isolated.get(symbol, False)
    position: Position | None = held.positions.get(symbol)
    amount = entry = pnl = margin = liquidation = ZERO
    if position is not None:
        sign = 1 if position.side is PositionSide.LONG else -1
        amount = sign * position.quantity
        entry = position.entry_price
        pnl = (mark - entry) * amount
        margin = position.margin if position.isolated else ZERO
        isolated = position.isolated
        liquidation = liquidation_price(held, rules, position) or ZERO
    return {
        "symbol": symbol,
        "positionAmt": render.plain(amount),
        "entryPrice": render.plain(entry),
        "breakEvenPrice": render.plain(entry),
        "markPrice": render.plain(mark),
        "unRealizedProfit": render.plain(pnl),
        "liquidationPrice": render.plain(liquidation),
        "leverage": str(leverage),
        "maxNotionalValue": str(market.max_notional(rules, leverage)),
        "marginType": "isolated" if isolated else "cross",
        "isolatedMargin": render.plain(margin + pnl if margin else ZERO),
        "isAutoAddMargin": "false",
        "positionSide": "BOTH",
        "notional": render.plain(amount * mark),
        "isolatedWallet": render.plain(margin),
        "updateTime": render.ms(now) if position is not None else 0,
    }

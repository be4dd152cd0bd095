"""USDⓈ-M account reads: account (v2, v3), balance v3, positionRisk v3, income, settings,
commission, and the order lists (open, all, open algo orders) with their cancels.

One-way mode, single-asset margin: positionSide/dual and multiAssetsMargin answer false.
Only MARKET orders go through /fapi/v1/order and they fill at once, so no regular order is
ever open; the resting ones are algo orders (openAlgoOrders). Income is what the venue's
fills recorded: each trade's realized PnL and its commission.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.futures import MAINTENANCE_MARGIN_RATE
from tradewind.adapters.exchange.simulated.state import ZERO, Account, SimOrder
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server import common, errors, render
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import ROUTES, AccountExtras, Call, Reply
from tradewind.testkit.binance_server.futures import F1, F2, balance, risk_entry
from tradewind.testkit.binance_server.limits import Market

FUTURES = PositionType.FUTURES
F3 = "/fapi/v3"
plain = render.plain

# GET /fapi/v3/balance answers as v2 does.
ROUTES.add("GET", f"{F3}/balance", Market.FUTURES, 5, signed=True)(balance)


def _position_rows(call: Call, held: Account, now: int) -> list[dict[str, object]]:
    rows = []
    for symbol in sorted(held.positions):
        rules = common.rules_of(call.state, symbol, FUTURES)
        rows.append(risk_entry(held, rules, common.known_price_at(call.state, rules, now), now))
    return rows


@ROUTES.add("GET", f"{F3}/positionRisk", Market.FUTURES, 5, signed=True)
def position_risk_v3(call: Call) -> Reply:
    """Answer the open positions (of a symbol, or all), in v3's fields (no leverage)."""
    asked = p.optional(call.params, "symbol")
    if asked is not None:
        common.rules_of(call.state, asked.upper(), FUTURES)

    def read(_desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        entries = []
        for row in _position_rows(call, held, now):
            if asked is not None and row["symbol"] != asked.upper():
                continue
            notional = abs(Decimal(str(row["notional"])))
            initial = notional / held.leverage.get(str(row["symbol"]), 1)
            entries.append(
                {
                    **{k: v for k, v in row.items() if k not in _V2_ONLY},
                    "marginAsset": "USDT",
                    "initialMargin": plain(initial),
                    "maintMargin": plain(notional * MAINTENANCE_MARGIN_RATE),
                    "positionInitialMargin": plain(initial),
                    "openOrderInitialMargin": plain(held.order_margin("USDT", str(row["symbol"]))),
                    "adl": 0,
                    "bidNotional": "0",
                    "askNotional": "0",
                }
            )
        return Reply(entries)

    return call.state.act(call.signer, read)


_INCOME_TYPES = ("TRANSFER", "REALIZED_PNL", "FUNDING_FEE", "COMMISSION", "INSURANCE_CLEAR")
_V2_ONLY = {"leverage", "maxNotionalValue", "marginType", "isAutoAddMargin"}


def _account(call: Call, held: Account, now: int, version: int) -> dict[str, object]:
    positions = _position_rows(call, held, now)
    pnl = sum((Decimal(str(r["unRealizedProfit"])) for r in positions), start=ZERO)
    # Each asset's margins once (the order margin walks the working orders).
    names = sorted(set(held.futures) | {"USDT"})
    wallets = {a: held.futures.get(a, ZERO) for a in names}
    in_use = {a: held.margin_in_use(a) for a in names}
    on_orders = {a: held.order_margin(a) for a in names}
    available = {a: wallets[a] - in_use[a] - on_orders[a] for a in names}
    totals = {
        "totalInitialMargin": plain(in_use["USDT"] + on_orders["USDT"]),
        "totalMaintMargin": plain(
            sum((abs(Decimal(str(r["notional"]))) for r in positions), start=ZERO)
            * MAINTENANCE_MARGIN_RATE
        ),
        "totalWalletBalance": plain(wallets["USDT"]),
        "totalUnrealizedProfit": plain(pnl),
        "totalMarginBalance": plain(wallets["USDT"] + pnl),
        "totalPositionInitialMargin": plain(in_use["USDT"]),
        "totalOpenOrderInitialMargin": plain(on_orders["USDT"]),
        "totalCrossWalletBalance": plain(wallets["USDT"]),
        "totalCrossUnPnl": plain(pnl),
        "availableBalance": plain(available["USDT"]),
        "maxWithdrawAmount": plain(max(available["USDT"], ZERO)),
    }
    assets = [
        {
            "asset": asset,
            "walletBalance": plain(wallets[asset]),
            "unrealizedProfit": plain(pnl if asset == "USDT" else ZERO),
            "marginBalance": plain(wallets[asset]),
            "maintMargin": "0",
            "initialMargin": plain(in_use[asset] + on_orders[asset]),
            "positionInitialMargin": plain(in_use[asset]),
            "openOrderInitialMargin": plain(on_orders[asset]),
            "crossWalletBalance": plain(wallets[asset]),
            "crossUnPnl": "0",
            "availableBalance": plain(available[asset]),
            "maxWithdrawAmount": plain(max(available[asset], ZERO)),
            "updateTime": render.ms(now),
            **({"marginAvailable": True} if version == 2 else {}),
        }
        for asset in names
    ]
    rows = [
        {
            "symbol": r["symbol"],
            "positionSide": "BOTH",
            "positionAmt": r["positionAmt"],
            "unrealizedProfit": r["unRealizedProfit"],
            "isolatedMargin": r["isolatedMargin"],
            "notional": r["notional"],
            "isolatedWallet": r["isolatedWallet"],
            "initialMargin": plain(abs(Decimal(str(r["notional"]))) / int(str(r["leverage"]))),
            "maintMargin": plain(abs(Decimal(str(r["notional"]))) * MAINTENANCE_MARGIN_RATE),
            "updateTime": r["updateTime"],
            **(
                {
                    "entryPrice": r["entryPrice"],
                    "leverage": r["leverage"],
                    "isolated": r["marginType"] == "isolated",
                    "maxNotional": r["maxNotionalValue"],
                }
                if version == 2
                else {}
            ),
        }
        for r in positions
    ]
    if version == 3:
        return {**totals, "assets": assets, "positions": rows}
    rate = plain(call.state.venue.fee_rate(FUTURES))
    return {
        "feeTier": 0,
        "feeBurn": False,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
        "makerCommissionRate": rate,
        "takerCommissionRate": rate,
        **totals,
        "assets": assets,
        "positions": rows,
    }


@ROUTES.add("GET", f"{F2}/account", Market.FUTURES, 5, signed=True)
def account_v2(call: Call) -> Reply:
    """Answer the futures account: totals, assets and positions (v2's fields)."""
    return call.state.act(
        call.signer, lambda _d, held, now, _e: Reply(_account(call, held, now, 2))
    )


@ROUTES.add("GET", f"{F3}/account", Market.FUTURES, 5, signed=True)
def account_v3(call: Call) -> Reply:
    """Answer the futures account: totals, assets and open positions (v3's fields)."""
    return call.state.act(
        call.signer, lambda _d, held, now, _e: Reply(_account(call, held, now, 3))
    )


@ROUTES.add("GET", f"{F1}/positionSide/dual", Market.FUTURES, 30, signed=True)
def position_mode(_call: Call) -> Reply:
    """Answer the position mode: one-way, always."""
    return Reply({"dualSidePosition": False})


@ROUTES.add("GET", f"{F1}/multiAssetsMargin", Market.FUTURES, 30, signed=True)
def multi_assets_margin(_call: Call) -> Reply:
    """Answer the asset mode: single-asset margin, always."""
    return Reply({"multiAssetsMargin": False})


@ROUTES.add("GET", f"{F1}/commissionRate", Market.FUTURES, 20, signed=True)
def commission_rate(call: Call) -> Reply:
    """Answer the symbol's maker and taker commission (the venue charges one rate)."""
    symbol = common.rules_of(call.state, p.symbol(call.params), FUTURES).symbol
    rate = plain(call.state.venue.fee_rate(FUTURES))
    return Reply({"symbol": symbol, "makerCommissionRate": rate, "takerCommissionRate": rate})


def _filled(held: Account, symbol: str | None) -> list[SimOrder]:
    return sorted(
        (
            o
            for o in held.orders.values()
            if o.position_type is FUTURES
            and o.trade_id is not None
            and (symbol is None or o.symbol == symbol)
        ),
        key=lambda o: o.trade_id or 0,
    )


@ROUTES.add("GET", f"{F1}/income", Market.FUTURES, 30, signed=True)
def income(call: Call) -> Reply:
    """Answer the income history: each trade's REALIZED_PNL (when not zero) and COMMISSION."""
    params = call.params
    symbol = p.optional(params, "symbol")
    kind = p.optional(params, "incomeType")
    if kind is not None and kind not in _INCOME_TYPES:
        raise errors.invalid_value("incomeType")
    start = p.optional_integer(params, "startTime")
    end = p.optional_integer(params, "endTime")
    limit = p.integer(params, "limit", default=100, low=1, high=1000)

    def read(_desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        entries: list[dict[str, object]] = []
        for order in _filled(held, symbol.upper() if symbol else None):
            at = render.ms(order.updated_at)
            if (start is not None and at < start) or (end is not None and at > end):
                continue
            base = {"symbol": order.symbol, "asset": order.quote_asset, "info": "",
                    "time": at, "tradeId": str(order.trade_id)}  # fmt: skip
            if order.realized_pnl and kind in (None, "REALIZED_PNL"):
                entries.append({**base, "incomeType": "REALIZED_PNL",
                                "income": plain(order.realized_pnl),
                                "tranId": order.order_id * 10})  # fmt: skip
            if order.fee and kind in (None, "COMMISSION"):
                entries.append({**base, "incomeType": "COMMISSION", "income": plain(-order.fee),
                                "tranId": order.order_id * 10 + 1})  # fmt: skip
        return Reply(entries[:limit] if start is not None else entries[-limit:])

    return call.state.act(call.signer, read)


@ROUTES.add("GET", f"{F1}/openOrders", Market.FUTURES, lambda q: 1 if q.get("symbol") else 40,
            signed=True)  # fmt: skip
def open_orders(call: Call) -> Reply:
    """Answer the open regular orders: the resting LIMIT orders (and fired STOP / TAKE_PROFIT)."""
    symbol = p.optional(call.params, "symbol")
    if symbol is not None:
        symbol = common.rules_of(call.state, symbol.upper(), FUTURES).symbol

    def read(_desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        return Reply(
            [{**render.futures_order(o), "time": render.ms(o.created_at)}
             for o in _book_orders(held, symbol)]
        )  # fmt: skip

    return call.state.act(call.signer, read)


def _book_orders(held: Account, symbol: str | None) -> list[SimOrder]:
    """The account's regular futures orders resting on the book, oldest first."""
    return sorted(
        (
            o
            for o in held.working.values()
            if o.resting
            and o.position_type is FUTURES
            and (symbol is None or o.symbol == symbol)
            and not render.algo_only(o)
        ),
        key=lambda o: o.order_id,
    )


@ROUTES.add("GET", f"{F1}/allOrders", Market.FUTURES, 5, signed=True)
def all_orders(call: Call) -> Reply:
    """Answer a symbol's regular orders (and algo orders once they fired), oldest first."""
    params = call.params
    symbol = common.rules_of(call.state, p.symbol(params), FUTURES).symbol
    from_id = p.optional_integer(params, "orderId")
    limit = p.integer(params, "limit", default=500, low=1, high=1000)

    def read(_desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        found = [
            o
            for o in sorted(held.orders.values(), key=lambda o: o.order_id)
            if o.position_type is FUTURES
            and o.symbol == symbol
            and not render.algo_only(o)
            and (from_id is None or o.order_id >= from_id)
        ]
        chosen = found[:limit] if from_id is not None else found[-limit:]
        return Reply([{**render.futures_order(o), "time": render.ms(o.created_at)} for o in chosen])

    return call.state.act(call.signer, read)


@ROUTES.add("DELETE", f"{F1}/order", Market.FUTURES, 1, signed=True)
def cancel_order(call: Call) -> Reply:
    """Cancel a resting regular (LIMIT) order; any other order says -2011."""
    common.rules_of(call.state, p.symbol(call.params), FUTURES)

    def cancel(desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        order = common.find_order(call, held, FUTURES)  # -1102 without either id
        if order is None or order.kind is None or not order.resting or render.algo_only(order):
            raise errors.unknown_order_sent()
        desk.resting.cancel(held, order, now)
        return Reply({**render.futures_order(order), "time": render.ms(order.created_at)})

    return call.state.act(call.signer, cancel)


@ROUTES.add("DELETE", f"{F1}/allOpenOrders", Market.FUTURES, 1, signed=True)
def cancel_all_open_orders(call: Call) -> Reply:
    """Cancel the symbol's open regular orders (algo orders stay)."""
    symbol = common.rules_of(call.state, p.symbol(call.params), FUTURES).symbol

    def cancel(desk: Desk, held: Account, now: int, _extras: AccountExtras) -> Reply:
        for order in _book_orders(held, symbol):
            desk.resting.cancel(held, order, now)
        return Reply({"code": 200, "msg": "The operation of cancel all open order is done."})

    return call.state.act(call.signer, cancel)


@ROUTES.add("GET", f"{F1}/openAlgoOrders", Market.FUTURES, lambda q: 1 if q.get("symbol") else 40,
            signed=True)  # fmt: skip
def open_algo_orders(call: Call) -> Reply:
    """Answer the resting algo orders (of a symbol, or all)."""
    symbol = p.optional(call.params, "symbol")

    def read(_desk: Desk, held: Account, _now: int, extras: AccountExtras) -> Reply:
        entries = []
        for algo in sorted(extras.algos.values(), key=lambda a: a.algo_id):
            order = held.orders[algo.order_id]
            if order.resting and (symbol is None or order.symbol == symbol.upper()):
                entries.append(render.algo_order(algo, order))
        return Reply(entries)

    return call.state.act(call.signer, read)


@ROUTES.add("GET", f"{F1}/allAlgoOrders", Market.FUTURES, 5, signed=True)
def all_algo_orders(call: Call) -> Reply:
    """Answer a symbol's algo orders of every status, oldest first (the last `limit`)."""
    symbol = common.rules_of(call.state, p.symbol(call.params), FUTURES).symbol
    limit = p.integer(call.params, "limit", default=500, low=1, high=1000)

    def read(_desk: Desk, held: Account, _now: int, extras: AccountExtras) -> Reply:
        entries = [
            render.algo_order(algo, held.orders[algo.order_id])
            for algo in sorted(extras.algos.values(), key=lambda a: a.algo_id)
            if held.orders[algo.order_id].symbol == symbol
        ]
        return Reply(entries[-limit:])

    return call.state.act(call.signer, read)

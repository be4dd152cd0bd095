"""Protective exit orders on Binance: spot OCO or single stops, futures algo orders.

Spot holds at most one order above the price and one below for the same coins (an OCO:
one firing cancels the other), so a position asking for a stop-loss AND a trailing stop
gets the one that can fire first, as `domain.watched_exits.spot_restable` says for every
venue (the simulated one too). The leg left out is simply not reported, and the tick
watches it. Trailing distances are BIPS on spot (10-2000).

Futures rest each exit as its own conditional algo order (STOP_MARKET, TAKE_PROFIT_MARKET,
TRAILING_STOP_MARKET with a callback rate of 0.1-10 %), reduce-only for the position's
quantity. Binance does not cancel the others when one fires; the tick does.

Levels are rounded to the tick size toward the market price: a stop a hair tighter, a
take-profit a hair nearer, never the other way. That is the domain's rule
(`domain.exits.on_tick`, docs/strategy.md "Exits"): the levels the tick asks for are on the
tick already, and stay as they are. Trailing distances go as the domain's
`venue_trailing_rate` gives them, the rate paper and the backtest use.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.errors import (
    BinanceNotFound,
    BinanceOutcomeUnknown,
    BinanceRejected,
)
from tradewind.adapters.exchange.binance.orders import BinanceOrders
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport
from tradewind.domain.errors import ExchangeError
from tradewind.domain.exits import on_tick
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderReport, ProtectionRequest
from tradewind.domain.params import venue_trailing_rate
from tradewind.domain.types import PositionSide, PositionType, Symbol
from tradewind.domain.watched_exits import spot_restable

SL, TP, TS = OrderPurpose.STOP_LOSS, OrderPurpose.TAKE_PROFIT, OrderPurpose.TRAILING_STOP
SPOT_TRAILING_BIPS = (10, 2_000)
FUTURES_CALLBACK_PERCENT = (Decimal("0.1"), Decimal(10))


def level(price: Decimal, tick: Decimal, *, up: bool) -> str:
    """Round a trigger price to the tick size, up or down (the domain's `on_tick`)."""
    return parsing.wire(on_tick(price, max(tick, Decimal(0)), up=up))


def trigger_price(request: ProtectionRequest, rules: MarketRules, purpose: OrderPurpose) -> str:
    """Return the `stopPrice` / `triggerPrice` of the request's stop-loss or take-profit.

    Toward the market: a long's stop rounds up, its take-profit down; mirrored for shorts.
    """
    price = request.stop_loss if purpose is SL else request.take_profit
    assert price is not None
    return level(price, rules.tick_size, up=_long(request) == (purpose is SL))


def spot_trailing_bips(rate: Decimal) -> int:
    """Return the `trailingDelta` (whole basis points) a spot trailing stop of `rate` rests with."""
    return int(venue_trailing_rate(rate, PositionType.SPOT).scaleb(4))


def futures_callback_rate(rate: Decimal) -> Decimal:
    """Return the `callbackRate` (percent, tenths) a futures trailing stop of `rate` rests with."""
    return venue_trailing_rate(rate, PositionType.FUTURES).scaleb(2).quantize(Decimal("0.1"))


def _wanted(request: ProtectionRequest) -> list[OrderPurpose]:
    levels = {SL: request.stop_loss, TP: request.take_profit, TS: request.trailing_rate}
    return [p for p in (SL, TP, TS) if levels[p] is not None and p in request.ids]


def _long(request: ProtectionRequest) -> bool:
    return request.position_side is PositionSide.LONG


def _spot_stop(request: ProtectionRequest) -> OrderPurpose | None:
    """Return the stop a spot position rests below the price: fixed or trailing."""
    wanted = _wanted(spot_restable(request))
    return TS if TS in wanted else (SL if SL in wanted else None)


def _spot_stop_params(
    request: ProtectionRequest, rules: MarketRules, stop: OrderPurpose, leg: str
) -> dict[str, object]:
    params: dict[str, object] = {
        f"{leg}Type": "STOP_LOSS",
        f"{leg}ClientOrderId": request.ids[stop].value,
    }
    if stop is TS:
        assert request.trailing_rate is not None
        bips = spot_trailing_bips(request.trailing_rate)
        low, high = SPOT_TRAILING_BIPS
        if not low <= bips <= high:
            raise BinanceRejected(
                f"trailing stop of {request.trailing_rate:%} is outside Binance spot's "
                f"{low / 100:g}-{high / 100:g} % (trailingDelta {low}-{high} BIPS)"
            )
        params[f"{leg}TrailingDelta"] = bips
    else:
        params[f"{leg}StopPrice"] = trigger_price(request, rules, SL)
    return params


def _single(legs: dict[str, object]) -> dict[str, object]:
    """Turn one OCO leg's parameters into those of a single conditional order."""
    side = "above" if "aboveType" in legs else "below"
    single: dict[str, object] = {
        "type": legs[f"{side}Type"],
        "newClientOrderId": legs[f"{side}ClientOrderId"],
    }
    if f"{side}StopPrice" in legs:
        single["stopPrice"] = legs[f"{side}StopPrice"]
    if f"{side}TrailingDelta" in legs:
        single["trailingDelta"] = legs[f"{side}TrailingDelta"]
    return single


def _qty(request: ProtectionRequest) -> str:
    return parsing.wire(request.quantity)


class BinanceProtection:
    """Rests, finds and cancels one account's protective orders (see the module)."""

    def __init__(self, transport: BinanceTransport, orders: BinanceOrders) -> None:
        self._transport = transport
        self._orders = orders  # its lookups retry while Binance does not show an order yet

    def protect(self, request: ProtectionRequest, rules: MarketRules) -> list[OrderReport]:
        """Place the position's protective orders; return the reports of those placed."""
        if request.position_type is PositionType.SPOT:
            return self._spot(request, rules)
        placed: list[OrderReport] = []
        for purpose in _wanted(request):
            try:
                placed.append(self._algo(request, rules, purpose))
            except ExchangeError as e:
                if not placed or isinstance(e, BinanceOutcomeUnknown):
                    raise
                # The exits before it rest: the request is neither refused nor done. The
                # tick settles each by client id (a refusal would mark the placed ones as
                # never placed, and leave them resting unknown to the database).
                raise BinanceOutcomeUnknown(
                    f"{len(placed)} of the position's exits placed, then: {e}"
                ) from e
        return placed

    def _spot(self, request: ProtectionRequest, rules: MarketRules) -> list[OrderReport]:
        if not _long(request):
            raise BinanceRejected(f"spot holds no short position to protect ({request.symbol})")
        stop = _spot_stop(request)
        above = TP if TP in _wanted(request) else None
        legs: dict[str, object] = {}
        if stop is not None:
            legs.update(_spot_stop_params(request, rules, stop, "below"))
        if above is not None:
            legs.update(
                aboveType="TAKE_PROFIT",
                aboveStopPrice=trigger_price(request, rules, TP),
                aboveClientOrderId=request.ids[TP].value,
            )
        quote = rules.quote_asset
        base = {"symbol": request.symbol, "side": "SELL", "quantity": _qty(request)}
        if stop is not None and above is not None:
            params = base | legs | {"listClientOrderId": f"{request.ids[TP].value}-oco"}
            answer = self._transport.call(
                Api.SPOT_PRIVATE, "POST", "orderList/oco", params, idempotent=False
            )
            return [
                parsing.spot_report(leg, [], quote)
                for leg in parsing.rows(answer.get("orderReports"), "orderReports")
            ]
        if stop is None and above is None:
            return []
        single = _single(legs)
        raw = self._transport.call(
            Api.SPOT_PRIVATE, "POST", "order", base | single | {"newOrderRespType": "RESULT"},
            idempotent=False,
        )  # fmt: skip
        return [parsing.spot_report(raw, [], quote)]

    def _algo(
        self, request: ProtectionRequest, rules: MarketRules, purpose: OrderPurpose
    ) -> OrderReport:
        long = _long(request)
        params: dict[str, object] = {
            "algoType": "CONDITIONAL",
            "symbol": request.symbol,
            "side": "SELL" if long else "BUY",
            "type": parsing.FUTURES_TYPE[purpose],
            "quantity": _qty(request),
            "reduceOnly": "true",
            "workingType": "CONTRACT_PRICE",
            "clientAlgoId": request.ids[purpose].value,
        }
        if purpose is TS:
            assert request.trailing_rate is not None
            rate = futures_callback_rate(request.trailing_rate)
            low, high = FUTURES_CALLBACK_PERCENT
            if not low <= rate <= high:
                raise BinanceRejected(
                    f"trailing stop of {request.trailing_rate:%} is outside Binance futures' "
                    f"callback rate {low}-{high} %"
                )
            params["callbackRate"] = str(rate)
        else:
            params["triggerPrice"] = trigger_price(request, rules, purpose)
        raw = self._transport.call(
            Api.FUTURES_PRIVATE, "POST", "algoOrder", params, idempotent=False
        )
        return parsing.resting_algo_report(raw, rules.quote_asset)

    def find(self, symbol: Symbol, client_id: ClientOrderId, quote: str) -> OrderReport | None:
        """Return a futures conditional order by client id, with its fill once it fired."""
        key = {"clientAlgoId": client_id.value}
        raw = self._orders.lookup(
            lambda: self._transport.call(Api.FUTURES_PRIVATE, "GET", "algoOrder", key)
        )
        if raw is None:
            return None
        actual = str(raw.get("actualOrderId") or "")
        if actual:
            fired = self._orders.find_futures_by_id(symbol, actual, quote, client_id)
            if fired is not None:
                return replace(fired, purpose=parsing.algo_purpose(raw))
        return parsing.resting_algo_report(raw, quote)

    def cancel(
        self, symbol: Symbol, position_type: PositionType, client_id: ClientOrderId, quote: str
    ) -> OrderReport | None:
        """Cancel a resting protective order; the report Binance answers with, if any.

        None when the answer carries no report (a futures algo order), or the order no
        longer rests (filled, cancelled, or never placed): the caller looks it up by client
        id to say how it ended.
        """
        try:
            if position_type is PositionType.SPOT:
                raw = self._transport.call(
                    Api.SPOT_PRIVATE, "DELETE", "order",
                    {"symbol": symbol, "origClientOrderId": client_id.value},
                )  # fmt: skip
                return parsing.spot_report(raw, [], quote)
            self._transport.call(
                Api.FUTURES_PRIVATE, "DELETE", "algoOrder", {"clientAlgoId": client_id.value}
            )
        except BinanceNotFound:
            pass  # not resting
        return None

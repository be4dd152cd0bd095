"""MARKET orders on Binance and lookups of our orders by client order id.

An order is placed once, under our client order id, and looked up by it; an order whose
answer was lost is never resent here (the tick settles it by lookup). Binance may not show
an order for a moment after accepting it (-2013), so "none" is only concluded after a few
lookups spread over about a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.errors import (
    BinanceNotFound,
    BinanceOutcomeUnknown,
    BinanceTemporary,
)
from tradewind.adapters.exchange.binance.rules import RulesCache
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport
from tradewind.domain.orders import ClientOrderId, OrderReport, OrderRequest
from tradewind.domain.types import PositionType, Symbol

T = TypeVar("T")
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES


@dataclass(frozen=True, slots=True)
class Lookups:
    """How a missing order is looked for: `retries` asks, the n-th after n x `delay` s."""

    retries: int = 4
    delay: float = 0.25
    sleep: Callable[[float], None] = time.sleep


DEFAULT_LOOKUPS = Lookups()


class BinanceOrders:
    """Places MARKET orders for one account and reads them back, with their fees."""

    def __init__(
        self, transport: BinanceTransport, rules: RulesCache, lookups: Lookups = DEFAULT_LOOKUPS
    ) -> None:
        self._transport = transport
        self._rules = rules
        self._lookups = lookups

    def quote_asset(self, symbol: Symbol, position_type: PositionType) -> str:
        """Return the asset the symbol is priced in (USDT for BTCUSDT)."""
        return self._rules.rules(self._transport, symbol, position_type).quote_asset

    def place(self, order: OrderRequest) -> OrderReport:
        """Place a MARKET order under our client id; its outcome, or `OutcomeUnknown`."""
        quote = self.quote_asset(order.symbol, order.position_type)
        params: dict[str, object] = {
            "symbol": order.symbol,
            "side": order.side.value,
            "type": "MARKET",
            "quantity": parsing.wire(order.quantity),
            "newClientOrderId": order.client_order_id.value,
        }
        if order.position_type is SPOT:
            params["newOrderRespType"] = "FULL"
            raw = self._transport.call(Api.SPOT_PRIVATE, "POST", "order", params, idempotent=False)
            return parsing.spot_report(raw, parsing.rows(raw.get("fills", []), "fills"), quote)
        params["newOrderRespType"] = "RESULT"
        if order.reduce_only:
            params["reduceOnly"] = "true"
        raw = self._transport.call(Api.FUTURES_PRIVATE, "POST", "order", params, idempotent=False)
        try:
            return self._futures_report(raw, quote)
        except (BinanceTemporary, BinanceOutcomeUnknown) as e:
            # Placed, but its fees could not be read: settle it later by client id.
            raise BinanceOutcomeUnknown(f"order placed, its fills unread: {e}") from e

    def find(
        self,
        symbol: Symbol,
        position_type: PositionType,
        client_order_id: ClientOrderId,
        quote: str,
    ) -> OrderReport | None:
        """Return the (non-conditional) order with our client id, or None when there is none."""
        key = {"symbol": symbol, "origClientOrderId": client_order_id.value}
        if position_type is SPOT:
            raw = self.lookup(
                lambda: self._transport.call(Api.SPOT_PRIVATE, "GET", "order", key, weight=4)
            )
            return None if raw is None else self._spot_report(raw, quote)
        raw = self.lookup(lambda: self._transport.call(Api.FUTURES_PRIVATE, "GET", "order", key))
        return None if raw is None else self._futures_report(raw, quote)

    def find_futures_by_id(
        self, symbol: Symbol, order_id: str, quote: str, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        """Return the futures order with Binance's id (a fired algo order's MARKET order)."""
        key = {"symbol": symbol, "orderId": order_id}
        raw = self.lookup(lambda: self._transport.call(Api.FUTURES_PRIVATE, "GET", "order", key))
        return None if raw is None else self._futures_report(raw, quote, client_order_id)

    def cancel_futures(
        self, symbol: Symbol, client_order_id: ClientOrderId, quote: str
    ) -> OrderReport | None:
        """Cancel a regular futures order resting on the book; its report as it ends.

        None when Binance holds no such regular order; one no longer resting (filled
        meanwhile) is looked up, so the caller learns how it ended.
        """
        key = {"symbol": symbol, "origClientOrderId": client_order_id.value}
        try:
            raw = self._transport.call(Api.FUTURES_PRIVATE, "DELETE", "order", key)
        except BinanceNotFound:
            try:
                raw = self._transport.call(Api.FUTURES_PRIVATE, "GET", "order", key)
            except BinanceNotFound:
                return None
        return self._futures_report(raw, quote)

    def lookup(self, ask: Callable[[], T]) -> T | None:
        """Ask for an order; None when Binance keeps saying it does not exist."""
        retries, delay = self._lookups.retries, self._lookups.delay
        for attempt in range(retries):
            try:
                return ask()
            except BinanceNotFound:
                if attempt + 1 < retries:
                    self._lookups.sleep(delay * (attempt + 1))
        return None

    def _spot_report(self, raw: Mapping[str, Any], quote: str) -> OrderReport:
        """Read a spot order, with its trades (for the fees) when it filled."""
        fills = self._trades_of(raw, Api.SPOT_PRIVATE, "myTrades", weight=20)
        return parsing.spot_report(raw, fills, quote)

    def _futures_report(
        self, raw: Mapping[str, Any], quote: str, client_order_id: ClientOrderId | None = None
    ) -> OrderReport:
        trades = self._trades_of(raw, Api.FUTURES_PRIVATE, "userTrades", weight=5)
        return parsing.futures_report(raw, trades, quote, client_order_id=client_order_id)

    def _trades_of(
        self, raw: Mapping[str, Any], api: Api, path: str, *, weight: int
    ) -> list[Mapping[str, object]]:
        """Return the trades of an order that filled (they carry its fees), none otherwise."""
        if parsing.dec(raw, "executedQty") <= 0:
            return []
        key = {"symbol": raw["symbol"], "orderId": raw["orderId"]}
        return parsing.rows(self._transport.call(api, "GET", path, key, weight=weight), path)

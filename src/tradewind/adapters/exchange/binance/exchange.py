"""One Binance account (spot and USDⓈ-M futures) behind the `Exchange` port.

Each method is one or two REST calls through `BinanceTransport` (retries, weight
governor, typed errors). Orders carry our client order id and are looked up by it; an
order whose answer was lost is never resent here (the tick settles it by lookup).
Protective orders live in `protection.py`.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, TypeVar

from tradewind.adapters.exchange.binance import parsing, protection
from tradewind.adapters.exchange.binance.errors import (
    BinanceNoChange,
    BinanceNotFound,
    BinanceOutcomeUnknown,
    BinanceRejected,
    BinanceTemporary,
)
from tradewind.adapters.exchange.binance.rules import RulesCache
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import (
    ExchangePosition,
    OrderReport,
    OrderRequest,
    ProtectionRequest,
)
from tradewind.domain.types import PositionType

T = TypeVar("T")
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
# Our client order ids end in the purpose's code and the attempt: tw<bot>-<slot>-<code><n>.
_PURPOSE_CODE = re.compile(r"-([ecstr])\d+$")
_PROTECTIVE_CODES = frozenset("str")


def is_protective(client_order_id: str) -> bool:
    """Tell whether one of our client ids names a protective (conditional) order."""
    found = _PURPOSE_CODE.search(client_order_id)
    return found is not None and found.group(1) in _PROTECTIVE_CODES


class BinanceExchange:
    """The `Exchange` of one Binance account; see the module docstring."""

    def __init__(
        self,
        transport: BinanceTransport,
        rules: RulesCache,
        *,
        lookup_retries: int = 4,
        lookup_delay: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self._rules = rules
        self._lookup_retries = lookup_retries
        self._lookup_delay = lookup_delay
        self._sleep = sleep
        self._guard = threading.Lock()
        self._isolated: set[str] = set()
        self._max_leverage: dict[str, int] = {}
        self._leverage: dict[str, tuple[int, int]] = {}  # symbol -> (asked, applied)

    # --- Rules, balances, positions ------------------------------------------------

    def market_rules(self, symbol: str, position_type: PositionType) -> MarketRules:
        """Return the symbol's MARKET order rules; futures with the bracket's max leverage."""
        rules = self._rules.rules(self.transport, symbol, position_type)
        if position_type is FUTURES:
            rules = replace(rules, max_leverage=self._bracket_max(symbol))
        return rules

    def free_balance(self, asset: str, position_type: PositionType) -> Decimal:
        """Return the free spot balance, or the available futures balance, of `asset`."""
        if position_type is SPOT:
            account = self.transport.call(Api.SPOT_PRIVATE, "GET", "account", weight=20)
            return parsing.free_spot(account, asset)
        balances = self.transport.call(Api.FUTURES_PRIVATE_V2, "GET", "balance", weight=5)
        return parsing.free_futures(balances, asset)

    def position(self, symbol: str) -> ExchangePosition | None:
        """Return the open futures position of `symbol`, if any."""
        rows = self.transport.call(
            Api.FUTURES_PRIVATE_V2, "GET", "positionRisk", {"symbol": symbol}, weight=5
        )
        return parsing.position_of(rows, symbol)

    # --- Market orders ---------------------------------------------------------------

    def place_market_order(self, order: OrderRequest) -> OrderReport:
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
            raw = self.transport.call(Api.SPOT_PRIVATE, "POST", "order", params, idempotent=False)
            return parsing.spot_report(raw, parsing.rows(raw.get("fills", []), "fills"), quote)
        params["newOrderRespType"] = "RESULT"
        if order.reduce_only:
            params["reduceOnly"] = "true"
        raw = self.transport.call(Api.FUTURES_PRIVATE, "POST", "order", params, idempotent=False)
        try:
            return self._futures_report(raw, quote)
        except (BinanceTemporary, BinanceOutcomeUnknown) as e:
            # Placed, but its fees could not be read: settle it later by client id.
            raise BinanceOutcomeUnknown(f"order placed, its fills unread: {e}") from e

    def find_order(
        self, symbol: str, position_type: PositionType, client_order_id: str
    ) -> OrderReport | None:
        """Return our order with this client id, or None once Binance says it has none.

        Binance may not show an order for a moment after accepting it (-2013), so "none"
        is only concluded after a few lookups spread over about a second.
        """
        quote = self.quote_asset(symbol, position_type)
        if position_type is FUTURES and is_protective(client_order_id):
            return protection.find_algo(self, symbol, client_order_id, quote)
        key = {"symbol": symbol, "origClientOrderId": client_order_id}
        if position_type is SPOT:
            raw = self.lookup(
                lambda: self.transport.call(Api.SPOT_PRIVATE, "GET", "order", key, weight=4)
            )
            return None if raw is None else self.spot_report(raw, quote)
        raw = self.lookup(lambda: self.transport.call(Api.FUTURES_PRIVATE, "GET", "order", key))
        return None if raw is None else self._futures_report(raw, quote)

    def lookup(self, ask: Callable[[], T]) -> T | None:
        """Ask for an order; None when Binance keeps saying it does not exist."""
        for attempt in range(self._lookup_retries):
            try:
                return ask()
            except BinanceNotFound:
                if attempt + 1 < self._lookup_retries:
                    self._sleep(self._lookup_delay * (attempt + 1))
        return None

    def spot_report(self, raw: Mapping[str, Any], quote: str) -> OrderReport:
        """Read a spot order, with its trades (for the fees) when it filled."""
        fills = self._trades_of(raw, Api.SPOT_PRIVATE, "myTrades", weight=20)
        return parsing.spot_report(raw, fills, quote)

    def _futures_report(
        self, raw: Mapping[str, Any], quote: str, client_order_id: str | None = None
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
        return parsing.rows(self.transport.call(api, "GET", path, key, weight=weight), path)

    def futures_order_by_id(
        self, symbol: str, order_id: str, quote: str, client_order_id: str
    ) -> OrderReport | None:
        """Return the futures order with Binance's id (a fired algo order's MARKET order)."""
        key = {"symbol": symbol, "orderId": order_id}
        raw = self.lookup(lambda: self.transport.call(Api.FUTURES_PRIVATE, "GET", "order", key))
        return None if raw is None else self._futures_report(raw, quote, client_order_id)

    # --- Protective orders -----------------------------------------------------------

    def protect_position(self, request: ProtectionRequest) -> list[OrderReport]:
        """Rest stop-loss / take-profit / trailing orders for a position."""
        rules = self.market_rules(request.symbol, request.position_type)
        return protection.protect(self, request, rules)

    def cancel_order(
        self, symbol: str, position_type: PositionType, client_order_id: str
    ) -> OrderReport | None:
        """Cancel a resting order; its final report (it may have filled), or None."""
        return protection.cancel(self, symbol, position_type, client_order_id)

    # --- Futures settings, transfers -------------------------------------------------

    def set_leverage(self, symbol: str, leverage: int) -> int:
        """Set the leverage (clamped to the bracket maximum once if refused); return it.

        Binance keeps a symbol's leverage until it is changed, so asking again for what
        this process set last costs nothing.
        """
        with self._guard:
            if self._leverage.get(symbol, (None, 0))[0] == leverage:
                return self._leverage[symbol][1]
        try:
            raw = self._post_leverage(symbol, leverage)
        except BinanceRejected as e:
            if e.code != -4028:
                raise
            with self._guard:
                self._max_leverage.pop(symbol, None)  # the bracket may have changed
            top = self._bracket_max(symbol)
            if top >= leverage:
                raise
            raw = self._post_leverage(symbol, top)
        applied = int(parsing.text(raw, "leverage"))
        with self._guard:
            self._leverage[symbol] = (leverage, applied)
        return applied

    def _post_leverage(self, symbol: str, leverage: int) -> Any:
        params = {"symbol": symbol, "leverage": leverage}
        return self.transport.call(Api.FUTURES_PRIVATE, "POST", "leverage", params)

    def set_isolated_margin(self, symbol: str) -> None:
        """Put the symbol in isolated margin (once per process; "already" is success)."""
        with self._guard:
            if symbol in self._isolated:
                return
        params = {"symbol": symbol, "marginType": "ISOLATED"}
        with contextlib.suppress(BinanceNoChange):  # -4046: it was isolated already
            self.transport.call(Api.FUTURES_PRIVATE, "POST", "marginType", params)
        with self._guard:
            self._isolated.add(symbol)

    def transfer_spot_to_futures(self, asset: str, amount: Decimal) -> str:
        """Move `amount` of `asset` from the spot to the USDⓈ-M wallet; the transfer id."""
        params = {"type": "MAIN_UMFUTURE", "asset": asset, "amount": parsing.wire(amount)}
        try:
            raw = self.transport.call(
                Api.WALLET, "POST", "asset/transfer", params, idempotent=False
            )
        except BinanceOutcomeUnknown as e:
            # Not an order: the balances tell next slot whether it went through.
            raise BinanceTemporary(f"transfer outcome unknown ({e}); balances will tell") from e
        return parsing.text(raw, "tranId")

    # --- Helpers ---------------------------------------------------------------------

    def quote_asset(self, symbol: str, position_type: PositionType) -> str:
        """Return the asset the symbol is priced in (USDT for BTCUSDT)."""
        return self._rules.rules(self.transport, symbol, position_type).quote_asset

    def _bracket_max(self, symbol: str) -> int:
        with self._guard:
            known = self._max_leverage.get(symbol)
        if known is not None:
            return known
        brackets = self.transport.call(
            Api.FUTURES_PRIVATE, "GET", "leverageBracket", {"symbol": symbol}
        )
        top = parsing.max_leverage(brackets, symbol)
        with self._guard:
            self._max_leverage[symbol] = top
        return top

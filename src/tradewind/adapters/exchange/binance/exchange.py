"""One Binance account (spot and USDⓈ-M futures) behind the `Exchange` port.

The port's calls go to collaborators, each with one job: `BinanceOrders` (MARKET orders
and lookups by our client order id), `BinanceProtection` (resting exits),
`BinanceFuturesSettings` (leverage, margin mode); balances, the futures position and
wallet transfers are one REST call each, made here. Every call goes through the account's
`BinanceTransport` (retries, weight governor, typed errors). A spot order the account's
user data stream has kept current is read from the stream's record instead
(`StreamedOrders`, written by `tradewind user-streams`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.errors import BinanceOutcomeUnknown, BinanceTemporary
from tradewind.adapters.exchange.binance.futures_settings import BinanceFuturesSettings
from tradewind.adapters.exchange.binance.orders import DEFAULT_LOOKUPS, BinanceOrders, Lookups
from tradewind.adapters.exchange.binance.protection import BinanceProtection
from tradewind.adapters.exchange.binance.rules import RulesCache
from tradewind.adapters.exchange.binance.streamed import StreamedOrders
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import (
    ClientOrderId,
    ExchangePosition,
    OpenOrder,
    OrderReport,
    OrderRequest,
    ProtectionRequest,
)
from tradewind.domain.types import PositionType, Symbol

SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
# Our client order ids end in the purpose's code and the attempt: tw<bot>-<slot>-<code><n>.
_PURPOSE_CODE = re.compile(r"-([ecstr])\d+$")
_PROTECTIVE_CODES = frozenset("str")


def is_protective(client_order_id: ClientOrderId) -> bool:
    """Tell whether one of our client ids names a protective (conditional) order."""
    found = _PURPOSE_CODE.search(client_order_id.value)
    return found is not None and found.group(1) in _PROTECTIVE_CODES


class BinanceExchange:
    """The `Exchange` of one Binance account; see the module docstring."""

    def __init__(
        self,
        transport: BinanceTransport,
        rules: RulesCache,
        lookups: Lookups = DEFAULT_LOOKUPS,
        streamed: StreamedOrders | None = None,
    ) -> None:
        self.transport = transport
        self._streamed = streamed
        self._rules = rules
        self._orders = BinanceOrders(transport, rules, lookups)
        self._protection = BinanceProtection(transport, self._orders)
        self._futures = BinanceFuturesSettings(transport)

    # --- Rules, balances, positions ------------------------------------------------

    def market_rules(self, symbol: Symbol, position_type: PositionType) -> MarketRules:
        """Return the symbol's MARKET order rules; futures with the bracket's max leverage."""
        rules = self._rules.rules(self.transport, symbol, position_type)
        if position_type is FUTURES:
            rules = replace(rules, max_leverage=self._futures.max_leverage(symbol))
        return rules

    def free_balance(self, asset: str, position_type: PositionType) -> Decimal:
        """Return the free spot balance, or the available futures balance, of `asset`."""
        if position_type is SPOT:
            account = self.transport.call(Api.SPOT_PRIVATE, "GET", "account", weight=20)
            return parsing.free_spot(account, asset)
        balances = self.transport.call(Api.FUTURES_PRIVATE_V2, "GET", "balance", weight=5)
        return parsing.free_futures(balances, asset)

    def spot_holding(self, asset: str) -> Decimal:
        """Return the spot balance of `asset`, free and locked by resting orders."""
        account = self.transport.call(Api.SPOT_PRIVATE, "GET", "account", weight=20)
        return parsing.held_spot(account, asset)

    def position(self, symbol: Symbol) -> ExchangePosition | None:
        """Return the open futures position of `symbol`, if any."""
        rows = self.transport.call(
            Api.FUTURES_PRIVATE_V2, "GET", "positionRisk", {"symbol": symbol}, weight=5
        )
        return parsing.position_of(rows, symbol)

    # --- Orders ----------------------------------------------------------------------

    def place_market_order(self, order: OrderRequest) -> OrderReport:
        """Place a MARKET order under our client id; its outcome, or `OutcomeUnknown`."""
        return self._orders.place(order)

    def find_order(
        self, symbol: Symbol, position_type: PositionType, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        """Return our order with this client id, or None once Binance says it has none.

        A spot order, or a USDⓈ-M exit (algo order), the account's user data stream has kept
        current is read from the stream's record: no REST call.
        """
        quote = self._orders.quote_asset(symbol, position_type)
        protective = position_type is FUTURES and is_protective(client_order_id)
        if self._streamed is None or not (position_type is SPOT or protective):
            return self._find(symbol, position_type, client_order_id, quote)
        streamed, session = self._streamed.current(position_type, client_order_id, quote)
        if streamed is not None:
            return streamed
        report = self._find(symbol, position_type, client_order_id, quote)
        if report is not None:
            self._streamed.rebase(position_type, report, session)
        return report

    def _find(
        self, symbol: Symbol, position_type: PositionType, client_id: ClientOrderId, quote: str
    ) -> OrderReport | None:
        """Ask Binance for our order (see `find_order`)."""
        if position_type is FUTURES and is_protective(client_id):
            return self._protection.find(symbol, client_id, quote)
        return self._orders.find(symbol, position_type, client_id, quote)

    def protect_position(self, request: ProtectionRequest) -> list[OrderReport]:
        """Rest stop-loss / take-profit / trailing orders for a position."""
        rules = self.market_rules(request.symbol, request.position_type)
        return self._protection.protect(request, rules)

    def open_orders(self, symbol: Symbol, position_type: PositionType) -> list[OpenOrder]:
        """Return the orders resting on `symbol`: the book's, and futures algo orders."""
        key = {"symbol": symbol}
        if position_type is SPOT:
            answer = self.transport.call(Api.SPOT_PRIVATE, "GET", "openOrders", key, weight=6)
            return parsing.open_orders(answer, SPOT)
        regular = self.transport.call(Api.FUTURES_PRIVATE, "GET", "openOrders", key)
        algos = self.transport.call(Api.FUTURES_PRIVATE, "GET", "openAlgoOrders", key)
        return parsing.open_orders(regular, FUTURES) + parsing.open_algo_orders(algos)

    def cancel_order(
        self, symbol: Symbol, position_type: PositionType, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        """Cancel a resting order; its final report (it may have filled), or None."""
        quote = self._orders.quote_asset(symbol, position_type)
        if position_type is FUTURES and not is_protective(client_order_id):
            # Not one of our exits: a book order, or else an algo order under an id that
            # does not say so (tried next).
            on_book = self._orders.cancel_futures(symbol, client_order_id, quote)
            if on_book is not None:
                return on_book
        cancelled = self._protection.cancel(symbol, position_type, client_order_id, quote)
        if cancelled is not None:
            return cancelled
        # Asked of REST, not the stream: our cancel just changed it, the stream may lag.
        return self._find(symbol, position_type, client_order_id, quote)

    # --- Futures settings, transfers -------------------------------------------------

    def set_leverage(self, symbol: Symbol, leverage: int) -> int:
        """Set the leverage (clamped to the bracket maximum once if refused); return it."""
        return self._futures.set_leverage(symbol, leverage)

    def set_isolated_margin(self, symbol: Symbol) -> None:
        """Put the symbol in isolated margin (once per process; "already" is success)."""
        self._futures.set_isolated_margin(symbol)

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

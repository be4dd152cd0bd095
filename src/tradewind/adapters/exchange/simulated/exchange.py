"""One paper account of the simulated venue, behind the `Exchange` port."""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.desk import Desk, Venue
from tradewind.adapters.exchange.simulated.futures import liquidation_price
from tradewind.adapters.exchange.simulated.reports import report_of
from tradewind.adapters.exchange.simulated.state import ZERO, Account, Balance, SimOrder
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
from tradewind.domain.watched_exits import spot_restable


class SimulatedExchange:
    """The `Exchange` of one account on a `SimulatedVenue` (get it from `venue.account`)."""

    def __init__(self, venue: Venue, account_id: int) -> None:
        self.venue = venue
        self.account_id = account_id

    def market_rules(self, symbol: Symbol, position_type: PositionType) -> MarketRules:
        """Return the symbol's order rules (and the futures maximum leverage)."""
        return self.venue.run(
            "market_rules",
            self.account_id,
            lambda desk, _a, _t: desk.book.rules(symbol, position_type),
        )

    def free_balance(self, asset: str, position_type: PositionType) -> Decimal:
        """Return the free spot balance, or the available futures balance, of `asset`."""

        def free(_desk: Desk, account: Account, _now: int) -> Decimal:
            if position_type is PositionType.FUTURES:
                return account.available(asset)
            balance = account.spot.get(asset)
            return ZERO if balance is None else balance.free

        return self.venue.run("free_balance", self.account_id, free)

    def spot_holding(self, asset: str) -> Decimal:
        """Return the spot balance of `asset`, free and locked by resting orders."""

        def held(_desk: Desk, account: Account, _now: int) -> Decimal:
            balance = account.spot.get(asset)
            return ZERO if balance is None else balance.free + balance.locked

        return self.venue.run("spot_holding", self.account_id, held)

    def place_market_order(self, order: OrderRequest) -> OrderReport:
        """Fill a MARKET order at the open of the current 1m candle; return its report."""
        return self.venue.run(
            "place_market_order",
            self.account_id,
            lambda desk, account, now: report_of(desk.orders.place(account, order, now)),
        )

    def find_order(
        self, symbol: Symbol, position_type: PositionType, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        """Return the newest order with this client id (protective ones too), or None."""

        def find(desk: Desk, account: Account, _now: int) -> OrderReport | None:
            desk.book.rules(symbol, position_type)
            order = account.find(position_type, symbol, client_order_id.value)
            return None if order is None else report_of(order)

        return self.venue.run("find_order", self.account_id, find)

    def protect_position(self, request: ProtectionRequest) -> list[OrderReport]:
        """Rest stop-loss / take-profit / trailing orders for a position (one cancels others).

        Spot rests what Binance spot rests, one OCO (`spot_restable`): of a stop-loss and a
        trailing stop, the other one gets no order and no report, and the bot watches it.
        """
        if request.position_type is PositionType.SPOT:
            request = spot_restable(request)
        return self.venue.run(
            "protect_position",
            self.account_id,
            lambda desk, account, now: [
                report_of(o) for o in desk.exits.place(account, request, now)
            ],
        )

    def open_orders(self, symbol: Symbol, position_type: PositionType) -> list[OpenOrder]:
        """Return the orders resting on `symbol` in that market (exits and book orders)."""

        def look(desk: Desk, account: Account, _now: int) -> list[OpenOrder]:
            desk.book.rules(symbol, position_type)
            return [
                _open_order(o)
                for o in sorted(account.orders.values(), key=lambda o: o.order_id)
                if o.resting and o.symbol == symbol and o.position_type is position_type
            ]

        return self.venue.run("open_orders", self.account_id, look)

    def cancel_order(
        self, symbol: Symbol, position_type: PositionType, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        """Cancel a resting order; return its report (final as it stands), None if unknown."""

        def cancel(desk: Desk, account: Account, now: int) -> OrderReport | None:
            desk.book.rules(symbol, position_type)
            order = account.find(position_type, symbol, client_order_id.value)
            if order is not None and order.kind is not None:  # a book order (LIMIT, ...)
                desk.resting.cancel(account, order, now)
                return report_of(order)
            order = desk.exits.cancel(account, symbol, position_type, client_order_id.value, now)
            return None if order is None else report_of(order)

        return self.venue.run("cancel_order", self.account_id, cancel)

    def set_leverage(self, symbol: Symbol, leverage: int) -> int:
        """Set the futures leverage for new positions of `symbol`; return it."""
        return self.venue.run(
            "set_leverage",
            self.account_id,
            lambda desk, account, _now: desk.wallets.set_leverage(account, symbol, leverage),
        )

    def set_isolated_margin(self, symbol: Symbol) -> None:
        """Put the futures symbol in isolated margin mode (already isolated is fine)."""
        self.venue.run(
            "set_isolated_margin",
            self.account_id,
            lambda desk, account, _now: desk.wallets.set_isolated_margin(account, symbol),
        )

    def transfer_spot_to_futures(self, asset: str, amount: Decimal) -> str:
        """Move funds from the spot to the futures wallet; return the transfer id."""
        return self.venue.run(
            "transfer_spot_to_futures",
            self.account_id,
            lambda desk, account, _now: desk.wallets.transfer_spot_to_futures(
                account, asset, amount
            ),
        )

    def position(self, symbol: Symbol) -> ExchangePosition | None:
        """Return the open futures position of `symbol`, if any."""

        def look(desk: Desk, account: Account, _now: int) -> ExchangePosition | None:
            rules = desk.book.rules(symbol, PositionType.FUTURES)
            held = account.positions.get(symbol)
            if held is None:
                return None
            level = liquidation_price(account, rules, held)
            return ExchangePosition(
                symbol=symbol,
                side=held.side,
                quantity=held.quantity,
                entry_price=held.entry_price,
                liquidation_price=ZERO if level is None else level,
                leverage=account.leverage.get(symbol, 1),
                isolated=held.isolated,
            )

        return self.venue.run("position", self.account_id, look)

    # --- Beyond the port: what tests and the dashboard read ---------------------------

    def spot_balance(self, asset: str) -> Balance:
        """Return a copy of the spot balance of `asset` (free and locked)."""

        def read(_desk: Desk, account: Account, _now: int) -> Balance:
            held = account.spot.get(asset, Balance())
            return Balance(held.free, held.locked)

        return self.venue.run("spot_balance", self.account_id, read)

    def futures_wallet(self, asset: str) -> Decimal:
        """Return the futures wallet balance of `asset` (margin in use included)."""
        return self.venue.run(
            "futures_wallet",
            self.account_id,
            lambda _desk, account, _now: account.futures.get(asset, ZERO),
        )

    def transfer_futures_to_spot(self, asset: str, amount: Decimal) -> str:
        """Move available funds from the futures to the spot wallet; return the transfer id."""
        return self.venue.run(
            "transfer_futures_to_spot",
            self.account_id,
            lambda desk, account, _now: desk.wallets.transfer_futures_to_spot(
                account, asset, amount
            ),
        )


def _open_order(order: SimOrder) -> OpenOrder:
    if order.kind is not None:
        kind = order.kind.value.upper()
    else:
        kind = "MARKET" if order.purpose is None else order.purpose.value.upper()
    return OpenOrder(
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        position_type=order.position_type,
        side=order.side,
        quantity=order.quantity,
        order_type=kind,
        reduce_only=order.reduce_only,
    )

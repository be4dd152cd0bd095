"""One paper account of the simulated venue, behind the `Exchange` port."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tradewind.adapters.exchange.simulated import protection, trading
from tradewind.adapters.exchange.simulated.book import Book
from tradewind.adapters.exchange.simulated.futures import liquidation_price
from tradewind.adapters.exchange.simulated.reports import report_of
from tradewind.adapters.exchange.simulated.state import ZERO, Account, Balance
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import ExchangePosition, OrderReport, OrderRequest, ProtectionRequest
from tradewind.domain.types import PositionType

if TYPE_CHECKING:
    from tradewind.adapters.exchange.simulated.venue import SimulatedVenue


class SimulatedExchange:
    """The `Exchange` of one account on a `SimulatedVenue` (get it from `venue.account`)."""

    def __init__(self, venue: SimulatedVenue, account_id: int) -> None:
        self.venue = venue
        self.account_id = account_id

    def market_rules(self, symbol: str, position_type: PositionType) -> MarketRules:
        """Return the symbol's order rules (and the futures maximum leverage)."""
        return self.venue.run(
            "market_rules", self.account_id, lambda book, _a, _t: book.rules(symbol, position_type)
        )

    def free_balance(self, asset: str, position_type: PositionType) -> Decimal:
        """Return the free spot balance, or the available futures balance, of `asset`."""

        def free(_book: Book, account: Account, _now: int) -> Decimal:
            if position_type is PositionType.FUTURES:
                return account.available(asset)
            balance = account.spot.get(asset)
            return ZERO if balance is None else balance.free

        return self.venue.run("free_balance", self.account_id, free)

    def place_market_order(self, order: OrderRequest) -> OrderReport:
        """Fill a MARKET order at the open of the current 1m candle; return its report."""
        return self.venue.run(
            "place_market_order",
            self.account_id,
            lambda book, account, now: report_of(
                trading.place_market_order(book, self.venue.prices, account, order, now)
            ),
        )

    def find_order(
        self, symbol: str, position_type: PositionType, client_order_id: str
    ) -> OrderReport | None:
        """Return the newest order with this client id (protective ones too), or None."""

        def find(book: Book, account: Account, _now: int) -> OrderReport | None:
            book.rules(symbol, position_type)
            order = account.find(position_type, symbol, client_order_id)
            return None if order is None else report_of(order)

        return self.venue.run("find_order", self.account_id, find)

    def protect_position(self, request: ProtectionRequest) -> list[OrderReport]:
        """Rest stop-loss / take-profit / trailing orders for a position (one cancels others)."""
        return self.venue.run(
            "protect_position",
            self.account_id,
            lambda book, account, now: [
                report_of(o) for o in protection.place_protection(book, account, request, now)
            ],
        )

    def cancel_order(
        self, symbol: str, position_type: PositionType, client_order_id: str
    ) -> OrderReport | None:
        """Cancel a resting order; return its report (final as it stands), None if unknown."""

        def cancel(book: Book, account: Account, now: int) -> OrderReport | None:
            book.rules(symbol, position_type)
            order = protection.cancel_order(
                book, account, symbol, position_type, client_order_id, now
            )
            return None if order is None else report_of(order)

        return self.venue.run("cancel_order", self.account_id, cancel)

    def set_leverage(self, symbol: str, leverage: int) -> int:
        """Set the futures leverage for new positions of `symbol`; return it."""
        return self.venue.run(
            "set_leverage",
            self.account_id,
            lambda book, account, _now: trading.set_leverage(book, account, symbol, leverage),
        )

    def set_isolated_margin(self, symbol: str) -> None:
        """Put the futures symbol in isolated margin mode (already isolated is fine)."""
        self.venue.run(
            "set_isolated_margin",
            self.account_id,
            lambda book, account, _now: trading.set_isolated_margin(book, account, symbol),
        )

    def transfer_spot_to_futures(self, asset: str, amount: Decimal) -> str:
        """Move funds from the spot to the futures wallet; return the transfer id."""
        return self.venue.run(
            "transfer_spot_to_futures",
            self.account_id,
            lambda book, account, _now: trading.transfer_spot_to_futures(
                book, account, asset, amount
            ),
        )

    def position(self, symbol: str) -> ExchangePosition | None:
        """Return the open futures position of `symbol`, if any."""

        def look(book: Book, account: Account, _now: int) -> ExchangePosition | None:
            rules = book.rules(symbol, PositionType.FUTURES)
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

        def read(_book: Book, account: Account, _now: int) -> Balance:
            held = account.spot.get(asset, Balance())
            return Balance(held.free, held.locked)

        return self.venue.run("spot_balance", self.account_id, read)

    def futures_wallet(self, asset: str) -> Decimal:
        """Return the futures wallet balance of `asset` (margin in use included)."""
        return self.venue.run(
            "futures_wallet",
            self.account_id,
            lambda _book, account, _now: account.futures.get(asset, ZERO),
        )

    def transfer_futures_to_spot(self, asset: str, amount: Decimal) -> str:
        """Move available funds from the futures to the spot wallet; return the transfer id."""
        return self.venue.run(
            "transfer_futures_to_spot",
            self.account_id,
            lambda book, account, _now: trading.transfer_futures_to_spot(
                book, account, asset, amount
            ),
        )

"""MARKET orders and liquidations on the venue's accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tradewind.adapters.exchange.simulated import errors
from tradewind.adapters.exchange.simulated.book import Book
from tradewind.adapters.exchange.simulated.feed import PriceFeed, fill_price
from tradewind.adapters.exchange.simulated.futures import (
    beyond,
    check_futures_order,
    fill_futures_market,
    liquidate,
    liquidation_price,
)
from tradewind.adapters.exchange.simulated.protection import ExitOrders
from tradewind.adapters.exchange.simulated.spot import check_spot_order, fill_spot_market
from tradewind.adapters.exchange.simulated.state import ZERO, Account, Position, SimOrder
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import OrderPurpose, OrderRequest
from tradewind.domain.types import PositionType


class MarketOrders:
    """Fills MARKET orders at the feed's prices and liquidates futures positions.

    Works on the venue's book under the venue's lock; a position that closes or flips
    ends the protective orders that guarded it (through `exits`). `market_end` is where a
    replayed market's data ends (the last candle's close): an order placed there or later
    has no price to fill at, as a backtest has no candle after its last one to fill on.
    """

    def __init__(
        self, book: Book, feed: PriceFeed, exits: ExitOrders, market_end: int | None = None
    ) -> None:
        self._book = book
        self._feed = feed
        self._exits = exits
        self._market_end = market_end

    def place(self, account: Account, request: OrderRequest, now: int) -> SimOrder:
        """Fill a MARKET order at the open of the 1m candle containing `now`; return it.

        Raises a `VenueRejection` (nothing placed) when a rule, the balance or the margin
        says no, and `VenueUnknownSymbol` for a symbol the market does not have.
        """
        book = self._book
        rules = book.rules(request.symbol, request.position_type)
        futures = request.position_type is PositionType.FUTURES
        client_id = request.client_order_id.value
        existing = account.find(request.position_type, request.symbol, client_id)
        if existing is not None and existing.resting:
            raise errors.refused(
                errors.Refusal.DUPLICATE_CLIENT_ID,
                request.position_type,
                f"an open order has client order id {client_id}",
                value=client_id,
            )
        realized = ZERO
        if self._market_end is not None and now >= self._market_end:
            raise errors.VenueTemporaryError(
                f"the replayed market ends at {utc_text(self._market_end)}: "
                f"no {request.symbol} price after it to fill at"
            )
        price = fill_price(self._feed, request.symbol, request.position_type, now)
        if price is None:
            raise errors.VenueTemporaryError(f"no {request.symbol} price at {now} in the feed")
        if not futures:
            check_spot_order(rules, request.quantity, price)
            fee, fee_asset = fill_spot_market(
                account,
                rules,
                request.side,
                request.quantity,
                price,
                book.fee_rate(rules.position_type),
            )
            executed = request.quantity
        else:
            fee_asset = rules.quote_asset  # futures fees are paid in the margin asset
            position = account.positions.get(request.symbol)
            if position is not None:
                self.liquidate_if_beyond(account, rules, position, price, now)
            check_futures_order(rules, request.quantity, price, request.reduce_only)
            before = account.positions.get(request.symbol)
            executed, fee, realized = fill_futures_market(
                account,
                rules,
                request.side,
                request.quantity,
                price,
                book.fee_rate(rules.position_type),
                request.reduce_only,
            )
            after = account.positions.get(request.symbol)
            if before is not None and (after is None or after.side is not before.side):
                self._exits.cancel_groups(account, request.symbol, now)
        order = book.new_order(
            account,
            client_id,
            rules,
            request.side,
            request.quantity,
            now,
            reduce_only=request.reduce_only,
        )
        book.fill(order, executed, price, fee, now, fee_asset)
        order.realized_pnl = realized
        return order

    def liquidate_if_beyond(
        self, account: Account, rules: MarketRules, position: Position, price: Decimal, at: int
    ) -> bool:
        """Liquidate `position` when `price` has reached its liquidation price; tell if it did."""
        level = liquidation_price(account, rules, position)
        if level is None or not beyond(position.side, price, level):
            return False
        self.liquidate(account, rules, position, level, at)
        return True

    def liquidate(
        self, account: Account, rules: MarketRules, position: Position, level: Decimal, at: int
    ) -> SimOrder:
        """Close `position` at its liquidation price `level`, losing its margin; the order."""
        book = self._book
        quantity, side = position.quantity, position.side.exit_side
        loss = liquidate(account, position)
        order = book.new_order(
            account, f"autoclose-{at * 1000}", rules, side, quantity, at, OrderPurpose.CLOSE, True
        )
        order.liquidation = True
        book.fill(order, quantity, level, ZERO, at)
        order.realized_pnl = -loss
        self._exits.cancel_groups(account, rules.symbol, at)
        return order


def utc_text(unix_seconds: int) -> str:
    """Return a moment as `YYYY-MM-DD HH:MM UTC`."""
    return datetime.fromtimestamp(unix_seconds, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")

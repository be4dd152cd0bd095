"""MARKET orders, liquidations, futures settings and wallet transfers on one account."""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated import errors
from tradewind.adapters.exchange.simulated.book import Book
from tradewind.adapters.exchange.simulated.feed import PriceFeed, fill_price
from tradewind.adapters.exchange.simulated.futures import (
    beyond,
    check_futures_order,
    check_leverage,
    fill_futures_market,
    liquidate,
    liquidation_price,
)
from tradewind.adapters.exchange.simulated.protection import cancel_groups
from tradewind.adapters.exchange.simulated.spot import check_spot_order, fill_spot_market
from tradewind.adapters.exchange.simulated.state import ZERO, Account, Position, SimOrder
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import OrderPurpose, OrderRequest
from tradewind.domain.types import PositionType


def place_market_order(
    book: Book, feed: PriceFeed, account: Account, request: OrderRequest, now: int
) -> SimOrder:
    """Fill a MARKET order at the open of the 1m candle containing `now`; return it.

    Raises a `VenueRejection` (nothing placed) when a rule, the balance or the margin
    says no, and `VenueUnknownSymbol` for a symbol the market does not have.
    """
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
    price = fill_price(feed, request.symbol, request.position_type, now)
    if price is None:
        raise errors.VenueTemporaryError(f"no {request.symbol} price at {now} in the feed")
    if not futures:
        check_spot_order(rules, request.quantity, price)
        fee = fill_spot_market(
            account,
            rules,
            request.side,
            request.quantity,
            price,
            book.fee_rate(rules.position_type),
        )
        executed = request.quantity
    else:
        position = account.positions.get(request.symbol)
        if position is not None:
            liquidate_if_beyond(book, account, rules, position, price, now)
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
            cancel_groups(book, account, request.symbol, now)
    order = book.new_order(
        account,
        client_id,
        rules,
        request.side,
        request.quantity,
        now,
        reduce_only=request.reduce_only,
    )
    book.fill(order, executed, price, fee, now)
    order.realized_pnl = realized
    return order


def liquidate_if_beyond(
    book: Book, account: Account, rules: MarketRules, position: Position, price: Decimal, at: int
) -> bool:
    """Liquidate `position` when `price` has reached its liquidation price; tell if it did."""
    level = liquidation_price(account, rules, position)
    if level is None or not beyond(position.side, price, level):
        return False
    liquidate_position(book, account, rules, position, level, at)
    return True


def liquidate_position(
    book: Book, account: Account, rules: MarketRules, position: Position, level: Decimal, at: int
) -> SimOrder:
    """Close `position` at its liquidation price `level`, losing its margin; return the order."""
    quantity, side = position.quantity, position.side.exit_side
    loss = liquidate(account, position)
    order = book.new_order(
        account, f"autoclose-{at * 1000}", rules, side, quantity, at, OrderPurpose.CLOSE, True
    )
    order.liquidation = True
    book.fill(order, quantity, level, ZERO, at)
    order.realized_pnl = -loss
    cancel_groups(book, account, rules.symbol, at)
    return order


def set_leverage(book: Book, account: Account, symbol: str, leverage: int) -> int:
    """Set the symbol's leverage for new positions (1 to its bracket maximum); return it."""
    rules = book.rules(symbol, PositionType.FUTURES)
    check_leverage(rules, leverage)
    if account.leverage.get(symbol, 1) != leverage:
        account.leverage[symbol] = leverage
        book.dirty = True
    return leverage


def set_isolated_margin(book: Book, account: Account, symbol: str) -> None:
    """Put the symbol in isolated margin mode; already isolated is fine (nothing to do)."""
    book.rules(symbol, PositionType.FUTURES)
    if account.isolated.get(symbol, False):
        return
    if symbol in account.positions:
        raise _margin_mode_locked(f"{symbol} has an open cross position")
    account.isolated[symbol] = True
    book.dirty = True


def set_cross_margin(book: Book, account: Account, symbol: str) -> None:
    """Put the symbol back in cross margin mode; already cross is fine."""
    book.rules(symbol, PositionType.FUTURES)
    if not account.isolated.get(symbol, False):
        return
    if symbol in account.positions:
        raise _margin_mode_locked(f"{symbol} has an open isolated position")
    account.isolated[symbol] = False
    book.dirty = True


def transfer_spot_to_futures(book: Book, account: Account, asset: str, amount: Decimal) -> str:
    """Move `amount` of `asset` from the spot to the futures wallet; return the transfer id."""
    if not amount.is_finite() or amount <= 0:
        raise errors.invalid("amount", f"{amount} is not positive")
    balance = account.balance(asset)
    if balance.free < amount:
        raise _transfer_short(f"transfer {amount} {asset}: spot free {balance.free}")
    balance.free -= amount
    account.futures[asset] = account.futures.get(asset, ZERO) + amount
    book.dirty = True
    return str(book.next_transfer_id())


def transfer_futures_to_spot(book: Book, account: Account, asset: str, amount: Decimal) -> str:
    """Move `amount` of `asset` from the futures to the spot wallet; return the transfer id.

    Only the available balance can leave (the wallet minus the margin of open positions).
    """
    if not amount.is_finite() or amount <= 0:
        raise errors.invalid("amount", f"{amount} is not positive")
    available = account.available(asset)
    if available < amount:
        raise _transfer_short(f"transfer {amount} {asset}: futures available {available}")
    account.futures[asset] = account.futures.get(asset, ZERO) - amount
    account.balance(asset).free += amount
    book.dirty = True
    return str(book.next_transfer_id())


def _margin_mode_locked(detail: str) -> errors.VenueRejection:
    return errors.refused(errors.Refusal.MARGIN_MODE_LOCKED, PositionType.FUTURES, detail)


def _transfer_short(detail: str) -> errors.VenueRejection:
    return errors.VenueRejection(errors.Refusal.TRANSFER_EXCEEDS_BALANCE, detail)

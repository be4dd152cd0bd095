"""Futures settings (leverage, margin mode) and transfers between an account's wallets."""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated import errors
from tradewind.adapters.exchange.simulated.book import Book
from tradewind.adapters.exchange.simulated.futures import check_leverage
from tradewind.adapters.exchange.simulated.state import ZERO, Account
from tradewind.domain.types import PositionType


class Wallets:
    """Changes an account's futures settings and moves funds between its wallets."""

    def __init__(self, book: Book) -> None:
        self._book = book

    def set_leverage(self, account: Account, symbol: str, leverage: int) -> int:
        """Set the symbol's leverage for new positions (1 to its bracket maximum); return it."""
        rules = self._book.rules(symbol, PositionType.FUTURES)
        check_leverage(rules, leverage)
        if account.leverage.get(symbol, 1) != leverage:
            account.leverage[symbol] = leverage
            self._book.dirty = True
        return leverage

    def set_isolated_margin(self, account: Account, symbol: str) -> None:
        """Put the symbol in isolated margin mode; already isolated is fine (nothing to do)."""
        self._book.rules(symbol, PositionType.FUTURES)
        if account.isolated.get(symbol, False):
            return
        if symbol in account.positions:
            raise _margin_mode_locked(f"{symbol} has an open cross position")
        account.isolated[symbol] = True
        self._book.dirty = True

    def set_cross_margin(self, account: Account, symbol: str) -> None:
        """Put the symbol back in cross margin mode; already cross is fine."""
        self._book.rules(symbol, PositionType.FUTURES)
        if not account.isolated.get(symbol, False):
            return
        if symbol in account.positions:
            raise _margin_mode_locked(f"{symbol} has an open isolated position")
        account.isolated[symbol] = False
        self._book.dirty = True

    def transfer_spot_to_futures(self, account: Account, asset: str, amount: Decimal) -> str:
        """Move `amount` of `asset` from the spot to the futures wallet; return the transfer id."""
        if not amount.is_finite() or amount <= 0:
            raise errors.invalid("amount", f"{amount} is not positive")
        # Read without creating: a refused transfer of an asset the wallet never held must
        # not leave an empty balance behind.
        held = account.spot.get(asset)
        free = held.free if held is not None else ZERO
        if held is None or free < amount:
            raise _transfer_short(f"transfer {amount} {asset}: spot free {free}")
        held.free -= amount
        account.futures[asset] = account.futures.get(asset, ZERO) + amount
        self._book.dirty = True
        return str(self._book.next_transfer_id())

    def transfer_futures_to_spot(self, account: Account, asset: str, amount: Decimal) -> str:
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
        self._book.dirty = True
        return str(self._book.next_transfer_id())


def _margin_mode_locked(detail: str) -> errors.VenueRejection:
    return errors.refused(errors.Refusal.MARGIN_MODE_LOCKED, PositionType.FUTURES, detail)


def _transfer_short(detail: str) -> errors.VenueRejection:
    return errors.VenueRejection(errors.Refusal.TRANSFER_EXCEEDS_BALANCE, detail)

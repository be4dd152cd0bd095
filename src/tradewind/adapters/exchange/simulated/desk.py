"""What one call on the venue acts with: the book and the collaborators that change it.

A call gets the `Desk` (with its account and the time) only inside `SimulatedVenue.run`,
under the venue's lock and after the venue caught up with its clock, so nothing reaches
the book outside that one consistent step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from tradewind.adapters.exchange.simulated.book import Book
from tradewind.adapters.exchange.simulated.protection import ExitOrders
from tradewind.adapters.exchange.simulated.resting import RestingOrders
from tradewind.adapters.exchange.simulated.state import Account
from tradewind.adapters.exchange.simulated.trading import MarketOrders
from tradewind.adapters.exchange.simulated.wallets import Wallets

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Desk:
    """The venue's book and the collaborators a call uses on it."""

    book: Book  # accounts, ids, rules and fees
    orders: MarketOrders  # MARKET orders and liquidations
    exits: ExitOrders  # protection groups
    wallets: Wallets  # leverage, margin mode, transfers between wallets
    resting: RestingOrders  # LIMIT, LIMIT_MAKER, stop-limit and conditional orders


Action = Callable[[Desk, Account, int], T]
"""One call's work: given the desk, the account it acts for and the time (Unix seconds)."""


class Venue(Protocol):
    """Carries out calls on the accounts of a simulated venue (see `SimulatedVenue`)."""

    def run(self, call: str, account_id: int, action: Action[T]) -> T:
        """Carry out one call for an account and return what `action` returned."""
        ...

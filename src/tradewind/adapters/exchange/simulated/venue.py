"""The simulated (paper) venue: many accounts on one market that moves on 1m candles.

    venue = SimulatedVenue(CandlesPriceFeed({("BTCUSDT", SPOT): candles}), clock, seed=7)
    exchange = venue.account(1, spot_balances={"USDT": Decimal(10_000)})

Every call first catches the venue up to `clock.now()` (the 1m candles that closed since
the last call move protective orders and futures positions), then does its work under one
lock (the in-process scheduler calls from several threads), then saves a snapshot when
`state_path` is set and something changed (and hands it to `on_change`, when given). A
venue may start from a snapshot's text. Same seed and same calls, same ids and results.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.exchange.simulated import errors
from tradewind.adapters.exchange.simulated.book import Book, Counters, RulesSource
from tradewind.adapters.exchange.simulated.catchup import MarketReplay
from tradewind.adapters.exchange.simulated.desk import Action, Desk
from tradewind.adapters.exchange.simulated.exchange import SimulatedExchange
from tradewind.adapters.exchange.simulated.faults import FaultMode, Faults
from tradewind.adapters.exchange.simulated.feed import PriceFeed
from tradewind.adapters.exchange.simulated.protection import ExitOrders
from tradewind.adapters.exchange.simulated.resting import RestingOrders
from tradewind.adapters.exchange.simulated.snapshot import (
    SnapshotWriter,
    load,
    load_text,
    to_document,
)
from tradewind.adapters.exchange.simulated.state import Account, Balance
from tradewind.adapters.exchange.simulated.trading import MarketOrders
from tradewind.adapters.exchange.simulated.wallets import Wallets
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.params import DEFAULT_TAKER_FEE
from tradewind.domain.types import PositionType
from tradewind.ports import Clock

T = TypeVar("T")
DEFAULT_SPOT_BALANCES: Mapping[str, Decimal] = {"USDT": Decimal(10_000)}


class SimulatedVenue:
    """Paper accounts on a simulated venue; see the module docstring."""

    def __init__(
        self,
        prices: PriceFeed,
        clock: Clock,
        rules: RulesSource = rules_for,
        seed: int = 0,
        state_path: Path | None = None,
        fee_rates: Mapping[PositionType, Decimal] | None = None,
        snapshot: str | None = None,
        on_change: Callable[[str], None] | None = None,
        market_end: int | None = None,
    ) -> None:
        self.prices = prices
        self.clock = clock
        self._lock = threading.RLock()
        rng = random.Random(seed)
        self._book = Book(
            rules_source=rules,
            rng=rng,
            counters=Counters.seeded(rng),
            fee_rates=dict(fee_rates or DEFAULT_TAKER_FEE),
        )
        exits = ExitOrders(self._book)
        orders = MarketOrders(self._book, prices, exits, market_end)
        resting = RestingOrders(self._book, prices, exits, market_end)
        self._desk = Desk(self._book, orders, exits, Wallets(self._book), resting)
        self._market = MarketReplay(self._book, prices, orders, exits, resting)
        self.faults = Faults(rng)
        self._state_path = state_path
        self._on_change = on_change
        self._writer = SnapshotWriter()
        if snapshot is not None:
            load_text(self._book, snapshot, "snapshot")
        elif state_path is not None and state_path.exists():
            load(self._book, state_path)

    def account(
        self,
        account_id: int,
        spot_balances: Mapping[str, Decimal] | None = None,
        futures_balances: Mapping[str, Decimal] | None = None,
    ) -> SimulatedExchange:
        """Return the Exchange of one account, creating it with these balances on first use.

        A new account gets `spot_balances` (default 10,000 USDT) and `futures_balances`
        (default none); an existing one (also one loaded from the state file) keeps its own.
        """
        with self._lock:
            if account_id not in self._book.accounts:
                spot = DEFAULT_SPOT_BALANCES if spot_balances is None else spot_balances
                self._book.accounts[account_id] = Account(
                    account_id=account_id,
                    spot={asset: Balance(free=Decimal(v)) for asset, v in spot.items()},
                    futures={asset: Decimal(v) for asset, v in (futures_balances or {}).items()},
                )
                self._book.dirty = True
                self._save_if_dirty()
        return SimulatedExchange(self, account_id)

    def has_account(self, account_id: int) -> bool:
        """Tell whether the venue holds an account with this id (made or loaded)."""
        with self._lock:
            return account_id in self._book.accounts

    def rules(self, symbol: str, position_type: PositionType) -> MarketRules:
        """Return the symbol's rules on this venue; `VenueUnknownSymbol` for one it lacks."""
        return self._book.rules(symbol, position_type)

    def fee_rate(self, position_type: PositionType) -> Decimal:
        """Return the taker fee rate the venue charges on `position_type` fills."""
        return self._book.fee_rate(position_type)

    def catch_up(self) -> None:
        """Apply the 1m candles that closed up to `clock.now()` (every call does this too)."""
        with self._lock:
            try:
                self._market.catch_up(self.clock.now())
            finally:
                self._save_if_dirty()

    def run(self, call: str, account_id: int, action: Action[T]) -> T:
        """Carry out one call for an account: injected faults, catch up, act, snapshot."""
        with self._lock:
            fault = self.faults.take(call)
            if fault is FaultMode.REJECT:
                raise errors.VenueRejection(
                    errors.Refusal.INJECTED, f"injected fault on {call}: nothing was done"
                )
            if fault is FaultMode.UNKNOWN_BEFORE:
                raise errors.VenueOutcomeUnknown(f"injected fault on {call}: nothing was done")
            if fault is FaultMode.TEMPORARY:
                raise errors.VenueTemporaryError(f"injected fault on {call}: nothing was done")
            now = self.clock.now()
            try:
                self._market.catch_up(now)
                result = action(self._desk, self._book.accounts[account_id], now)
            finally:
                self._save_if_dirty()
            if fault is FaultMode.TIMEOUT_AFTER_ACCEPT:
                raise errors.VenueOutcomeUnknown(f"injected fault on {call}: done, answer lost")
            return result

    def snapshot(self) -> dict[str, object]:
        """Return the venue's whole state as JSON-ready data (what `state_path` holds)."""
        with self._lock:
            return to_document(self._book)

    def _save_if_dirty(self) -> None:
        if self._book.dirty:
            if self._state_path is not None:
                self._writer.save(self._book, self._state_path)
            if self._on_change is not None:
                self._on_change(self._writer.text(self._book))
        self._book.dirty = False

"""The interfaces services depend on. Adapters implement them; bootstrap wires them.

Money crosses every port as `Decimal`. Errors cross as the domain's error hierarchy
(`tradewind.domain.errors`): an adapter maps venue codes and exceptions to those types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

from tradewind.bot_config import BotConfig
from tradewind.domain import bots
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.bots import BotState, CloseRequest
from tradewind.domain.candles import Candles
from tradewind.domain.limits import DayTally
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import (
    ClientOrderId,
    ExchangePosition,
    OpenOrder,
    OrderReport,
    OrderRequest,
    ProtectionRequest,
)
from tradewind.domain.records import OrderRecord, OutboxEvent, TradeRecord
from tradewind.domain.types import PositionType, Symbol


class Clock(Protocol):
    """Tells the time, so the live loop and a replay run the same code."""

    def now(self) -> int:
        """Return the current time as Unix seconds (UTC)."""
        ...


class MarketData(Protocol):
    """Serves closed candles of one symbol and timeframe."""

    def closed_candles(
        self, symbol: Symbol, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        """Return up to `limit` candles that closed at or before `until`, oldest first."""
        ...


class Exchange(Protocol):
    """One exchange account (its spot and USDⓈ-M futures wallets), as the tick needs it.

    Raises `OrderRejected` (nothing placed), `OutcomeUnknown` (may have been placed),
    `TemporaryExchangeError` (retry later), `AuthenticationFailed`, `ConfigurationError`.
    """

    def market_rules(self, symbol: Symbol, position_type: PositionType) -> MarketRules:
        """Return the symbol's order rules (and the futures maximum leverage)."""
        ...

    def free_balance(self, asset: str, position_type: PositionType) -> Decimal:
        """Return the free balance of `asset` in the spot or futures wallet."""
        ...

    def spot_holding(self, asset: str) -> Decimal:
        """Return all of `asset` the spot wallet holds: free and locked by resting orders.

        What a reconciliation compares with the spot positions its bots believe they hold.
        """
        ...

    def place_market_order(self, order: OrderRequest) -> OrderReport:
        """Place a MARKET order under our client order id and return its outcome."""
        ...

    def find_order(
        self, symbol: Symbol, position_type: PositionType, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        """Return the order with this client id, or None when the exchange has none."""
        ...

    def protect_position(self, request: ProtectionRequest) -> list[OrderReport]:
        """Rest protective exit orders on the exchange; one filling cancels the others."""
        ...

    def open_orders(self, symbol: Symbol, position_type: PositionType) -> list[OpenOrder]:
        """Return every order resting on `symbol` in that market, whoever placed it.

        What a reconciliation compares with the orders the database holds open: futures
        conditional orders (Binance's algo orders) too.
        """
        ...

    def cancel_order(
        self, symbol: Symbol, position_type: PositionType, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        """Cancel an open (protective) order; None when there was none to cancel."""
        ...

    def set_leverage(self, symbol: Symbol, leverage: int) -> int:
        """Set the futures leverage and return what the exchange applied."""
        ...

    def set_isolated_margin(self, symbol: Symbol) -> None:
        """Put the futures symbol in isolated margin mode (already isolated is fine)."""
        ...

    def transfer_spot_to_futures(self, asset: str, amount: Decimal) -> str:
        """Move funds from the spot to the futures wallet; return the transfer id."""
        ...

    def position(self, symbol: Symbol) -> ExchangePosition | None:
        """Return the open futures position of `symbol`, if any."""
        ...


@dataclass(frozen=True, slots=True)
class AccountAccess:
    """What an exchange adapter needs to act for one account (secrets decrypted)."""

    account_id: int
    kind: ExchangeKind
    api_key: str = field(repr=False)  # never in a repr, so never in a log line
    api_secret: str = field(repr=False)
    testnet: bool = False
    # A paper account's starting balances: wallet -> asset -> amount.
    paper_balances: Mapping[PositionType, Mapping[str, Decimal]] = field(default_factory=dict)


class ExchangeProvider(Protocol):
    """Gives the Exchange of an account."""

    def for_account(self, access: AccountAccess) -> Exchange:
        """Return the exchange adapter acting for this account."""
        ...


class BotLock(Protocol):
    """Keeps one bot to one tick at a time, across threads, processes and machines."""

    def try_acquire(self, bot_id: int) -> bool:
        """Take the bot's lock without waiting; False when another tick holds it."""
        ...

    def release(self, bot_id: int) -> None:
        """Give the lock back."""
        ...

    def try_acquire_many(self, bot_ids: Sequence[int]) -> list[int]:
        """Take the locks of those bots no tick holds, without waiting; return their ids."""
        ...

    def release_many(self, bot_ids: Sequence[int]) -> None:
        """Give back the locks of these bots (taken by `try_acquire_many` or one by one)."""
        ...


# --- Records the repositories hand out ------------------------------------------------

Bot = bots.Bot[BotConfig]
"""A bot as the services and adapters hold it: with its validated `BotConfig`."""


@dataclass(frozen=True, slots=True)
class RunningBot:
    """An active bot and the market it trades: what a slot's fan-out groups bots by."""

    id: int
    symbol: Symbol
    timeframe: str
    position_type: PositionType
    venue: ExchangeKind  # the kind of its account: whose candles it decides on


@dataclass(slots=True)
class TickLoad:
    """What a tick reads about its bot, in the transaction that claims its slot."""

    bot: Bot
    access: AccountAccess | None  # None: the bot's exchange account no longer exists
    open_orders: list[OrderRecord]  # unresolved and resting orders, oldest first
    today: DayTally  # the counters of the day asked for


# --- Repositories and the unit of work ---------------------------------------------------


class BotRepository(Protocol):
    def get(self, bot_id: int) -> Bot | None: ...
    def active_ids(self, account_kind: ExchangeKind | None = None) -> list[int]:
        """Return the ids of the running bots (only those on `account_kind` accounts)."""
        ...

    def save_state(self, bot_id: int, state: BotState) -> None:
        """Write the bot's state; a bot that is not active is saved as STOPPED.

        The close request is not written: only `settle_close_request` clears it."""
        ...

    def settle_close_request(self, bot_id: int, then: CloseRequest) -> None:
        """Forget the owner's close request (the position is closed); if `then` says so,
        the bot stops (it was stopped when its owner asked)."""
        ...

    def load_for_tick(self, bot_id: int, day: date) -> TickLoad | None:
        """Return the bot with its account access, open orders and `day`'s counters.

        None when the bot does not exist (or was deleted). The same as `get`,
        `accounts.access`, `orders.unresolved` and `counters.get`, in fewer statements.
        """
        ...

    def claim_and_load(
        self, bot_id: int, slot: int, claimed_at: int, day: date
    ) -> tuple[bool, TickLoad | None]:
        """Claim the slot as `SlotRepository.claim` does; if claimed, load as `load_for_tick`.

        A claimed slot is also the bot's last run: when the bot is active, its state's
        `last_run_at` and `last_slot` become `claimed_at` and `slot`, written and loaded.
        Returns (claimed, what was loaded); one round trip where the database allows.
        As the first call of a unit of work, its writes may be final at once, whatever
        becomes of the unit of work (a claim is never taken back once a tick decides).
        """
        ...

    def claim_and_load_many(
        self, bot_ids: Sequence[int], slot: int, claimed_at: int, day: date
    ) -> dict[int, TickLoad | None]:
        """Claim the slot for each bot and load those claimed, as `claim_and_load` does.

        In the unit of work's transaction: the claims are final when it commits, and
        gone if it rolls back. Returns what was loaded for each bot whose slot this call
        claimed (None: the bot is gone); a bot missing from it was claimed elsewhere.
        """
        ...

    def running_bots(self, account_kind: ExchangeKind | None = None) -> list[RunningBot]:
        """Return the active bots (on `account_kind` accounts) with their markets, by id."""
        ...

    def markets_of(self, bot_ids: Sequence[int]) -> list[RunningBot]:
        """Return the market each of these bots trades (a deleted one left out), by id.

        As the first call of a unit of work, it may be a transaction of its own (one
        round trip): a tick batch reads it before claiming, to fetch candles first.
        """
        ...


class OrderRepository(Protocol):
    def add(self, order: OrderRecord) -> None: ...

    def add_all(self, orders: list[OrderRecord]) -> None:
        """Insert the orders (setting each one's `id`) in as few statements as can be."""
        ...

    def add_intent(self, order: OrderRecord) -> None:
        """Insert the intent row of an order about to be sent, then commit as usual.

        As the first call of a unit of work the row may be committed at once, where a
        statement of its own saves round trips: an intent is meant to be durable anyway.
        """
        ...

    def get(self, client_order_id: str) -> OrderRecord | None: ...
    def unresolved(self, bot_id: int) -> list[OrderRecord]: ...
    def save(self, order: OrderRecord) -> None: ...

    def recent(
        self, *, user_id: int | None = None, bot_id: int | None = None, limit: int = 50
    ) -> list[OrderRecord]:
        """Return the latest orders matching the filters, newest first."""
        ...


class TradeRepository(Protocol):
    def add(self, trade: TradeRecord) -> bool:
        """Insert the trade; False when the fill of that client order id is recorded already.

        Keyed by our client order id (one trade per order), never by the venue's order id:
        a venue that starts afresh may hand out an order id again.
        """
        ...


class DailyCounterRepository(Protocol):
    def get(self, bot_id: int, day: date) -> DayTally: ...
    def save(self, bot_id: int, tally: DayTally) -> None: ...

    def add(
        self, bot_id: int, day: date, *, entries: int = 0, realized_pnl: Decimal = Decimal(0)
    ) -> None:
        """Add to the tally of `day` (a day without one starts from nothing), exactly."""
        ...


class SlotRepository(Protocol):
    def claim(self, bot_id: int, slot: int, claimed_at: int) -> bool:
        """Record (bot, slot) as taken; False when it already was. Never waits."""
        ...


class OutboxRepository(Protocol):
    def add(self, event: OutboxEvent) -> None: ...

    def add_once(self, event: OutboxEvent, key: str) -> bool:
        """Queue the event unless one with this key was queued before; True if queued."""
        ...


class AccountRepository(Protocol):
    def access(self, account_id: int) -> AccountAccess | None:
        """Return the account with its secrets decrypted, or None when it does not exist."""
        ...


class Transaction(Protocol):
    """A unit of work's life: enter, then commit; leaving without a commit rolls back."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWork(Transaction, Protocol):
    """One database transaction over every repository; rolls back unless committed."""

    bots: BotRepository
    orders: OrderRepository
    trades: TradeRepository
    counters: DailyCounterRepository
    slots: SlotRepository
    outbox: OutboxRepository
    accounts: AccountRepository

"""The interfaces of managing users, accounts and bots (the CLI's and the API's use cases).

The tick's unit of work (`ports.UnitOfWork`) stays small; management gets its own, wider
one, so fakes of the tick's ports never grow methods only the management commands use.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from pydantic import SecretStr

from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import Account, ExchangeKind, User
from tradewind.domain.bots import CloseRequest
from tradewind.domain.limits import DayTally
from tradewind.domain.records import TradeRecord
from tradewind.domain.types import PositionType
from tradewind.ports.trading import (
    AccountAccess,
    AccountRepository,
    Bot,
    BotRepository,
    DailyCounterRepository,
    OrderRepository,
    TradeRepository,
    Transaction,
)


@dataclass(frozen=True, slots=True)
class NewAccount:
    """An exchange account to store; its secrets get encrypted on the way in."""

    user_id: int
    name: str
    kind: ExchangeKind
    api_key: SecretStr
    api_secret: SecretStr
    created_at: int
    testnet: bool = False
    # Starting balances of a paper account's wallets: wallet -> asset -> amount.
    paper_balances: Mapping[PositionType, Mapping[str, Decimal]] = field(default_factory=dict)


class UserRepository(Protocol):
    def add(self, email: str, name: str | None, created_at: int) -> User: ...
    def get(self, user_id: int) -> User | None: ...
    def by_email(self, email: str) -> User | None: ...
    def all(self) -> list[User]: ...

    def emails(self, user_ids: Collection[int]) -> dict[int, str]:
        """Return the email of each user of `user_ids` there is, in one query."""
        ...

    def changes(self, user_id: int | None) -> int:
        """Return the user's change marker (every user's together when None): a number
        that moves with each committed change of the user's bots, their state, orders,
        trades or daily counters, in one small query. It may move without a change the
        user can see; it never stays put across one."""
        ...

    def freshness(self, user_id: int | None, bot_id: int | None = None) -> tuple[int, ...] | None:
        """Return numbers that move whenever the user's bots (every user's when None), or
        their bot `bot_id`, would read differently: the change marker and the runs a
        tick's claim records without moving it. One small query. None when `bot_id` is
        not one of the user's bots."""
        ...


class AccountCatalog(AccountRepository, Protocol):
    def add(self, account: NewAccount) -> Account:
        """Store the account with its secrets encrypted under the master key."""
        ...

    def get(self, account_id: int) -> Account | None: ...
    def by_name(self, user_id: int, name: str) -> Account | None: ...
    def of_user(self, user_id: int) -> list[Account]: ...

    def names(self, account_ids: Collection[int]) -> dict[int, str]:
        """Return the name of each account of `account_ids` there is, in one query."""
        ...


class BotCatalog(BotRepository, Protocol):
    def add(self, user_id: int, account_id: int, config: BotConfig, created_at: int) -> Bot:
        """Store a new, inactive bot in state IDLE."""
        ...

    def by_name(self, user_id: int, name: str) -> Bot | None: ...

    def find(self, *, user_id: int | None = None, name: str | None = None) -> list[Bot]:
        """Return the bots (not deleted) matching every given filter, oldest first."""
        ...

    def labels(self, bot_ids: Collection[int]) -> dict[int, tuple[str, str]]:
        """Return (the owner's email, the account's name) of each bot of `bot_ids` there
        is, in one query."""
        ...

    def update_config(self, bot_id: int, account_id: int, config: BotConfig) -> None:
        """Replace the bot's account and config (state, orders and trades unchanged)."""
        ...

    def set_active(self, bot_id: int, active: bool) -> None:
        """Mark the bot as one the scheduler runs, or not."""
        ...

    def request_close(self, bot_id: int, then: CloseRequest) -> None:
        """Ask the bot's next tick to close its position now (the bot runs until it has)."""
        ...

    def delete(self, bot_id: int, deleted_at: int) -> None:
        """Retire the bot: gone from every lookup, its orders and trades kept."""
        ...


class OrderHistory(OrderRepository, Protocol):
    """The orders as the management services read them (`recent`, in the base)."""


class TradeHistory(TradeRepository, Protocol):
    def recent(
        self, *, user_id: int | None = None, bot_id: int | None = None, limit: int = 50
    ) -> list[TradeRecord]:
        """Return the latest trades matching the filters, newest first."""
        ...

    def realized(
        self, *, user_id: int | None = None, bot_id: int | None = None
    ) -> list[tuple[int, Decimal]]:
        """Return (time, realized PnL) of every fill that closed a position, oldest first."""
        ...


class CounterHistory(DailyCounterRepository, Protocol):
    def tallies(self, days: Mapping[int, date]) -> dict[int, DayTally]:
        """Return each bot's tally of its day (`days`: bot id -> day) in one query per
        few hundred bots; a day without one has seen nothing yet."""
        ...


class ManageUnitOfWork(Transaction, Protocol):
    """One transaction for the management commands; rolls back unless committed."""

    users: UserRepository
    accounts: AccountCatalog
    bots: BotCatalog
    orders: OrderHistory
    trades: TradeHistory
    counters: CounterHistory


class CredentialCheck(Protocol):
    """Asks an account's venue whether it accepts the account's key and secret."""

    def __call__(self, access: AccountAccess) -> None:
        """Return when the venue accepts them (a signed read of the account); raise
        `AuthenticationFailed` with the venue's reason when it refuses them, and
        `TemporaryExchangeError` when it cannot be asked now. Paper accounts pass."""
        ...

"""In-memory units of work for the management and notification services (cosmicpython's
FakeUnitOfWork): one `FakeStore` holds the rows; a unit of work works on a copy of them
and replaces the store's only on `commit()`, so a refused verb leaves nothing behind,
exactly as a rolled-back transaction does.

Only what the management services use is here; the tick's methods are not.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import Self, TypeVar

from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import Account, User
from tradewind.domain.bots import BotState, BotStatus, CloseRequest
from tradewind.domain.limits import DayTally
from tradewind.domain.notifications import DeliveryStatus
from tradewind.domain.records import OrderRecord, OutboxEvent, TradeRecord
from tradewind.ports import AccountAccess, Bot, Channel, DeliveryView, NewAccount, NewChannel, Route


@dataclass
class Rows:
    """Everything stored, as a database would hold it."""

    users: dict[int, User] = field(default_factory=dict)
    accounts: dict[int, tuple[Account, AccountAccess]] = field(default_factory=dict)
    bots: dict[int, Bot] = field(default_factory=dict)
    deleted_bots: dict[int, Bot] = field(default_factory=dict)
    orders: list[OrderRecord] = field(default_factory=list)
    trades: list[TradeRecord] = field(default_factory=list)
    channels: dict[int, Channel] = field(default_factory=dict)
    routes: dict[tuple[int, int | None], Route] = field(default_factory=dict)
    outbox: list[OutboxEvent] = field(default_factory=list)
    deliveries: list[tuple[int, DeliveryView]] = field(default_factory=list)  # (user, it)
    last_id: int = 0
    commits: int = 0  # every commit counts as a change of every user (see `changes`)

    def new_id(self) -> int:
        self.last_id += 1
        return self.last_id


class FakeStore:
    """The committed rows, and units of work over them."""

    def __init__(self) -> None:
        self.rows = Rows()
        self.commits = 0

    def snapshot(self) -> Rows:
        """Return a copy of the committed rows, to compare with later."""
        return copy.deepcopy(self.rows)

    def manage_uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def notify_uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeUnitOfWork:
    """Both the management and the notification unit of work, over a copy of the rows."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._rows: Rows | None = None

    def __enter__(self) -> Self:
        rows = self._rows = copy.deepcopy(self._store.rows)
        self.users = FakeUsers(rows)
        self.accounts = FakeAccounts(rows)
        self.bots = FakeBots(rows)
        self.orders = FakeOrders(rows)
        self.trades = FakeTrades(rows)
        self.counters = FakeCounters()
        self.channels = FakeChannels(rows)
        self.routes = FakeRoutes(rows)
        self.outbox = FakeOutbox(rows)
        self.deliveries = FakeDeliveries(rows)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._rows = None  # anything not committed is gone

    def commit(self) -> None:
        assert self._rows is not None, "commit outside the `with` block"
        self._rows.commits += 1
        self._store.rows = copy.deepcopy(self._rows)
        self._store.commits += 1

    def rollback(self) -> None:
        self._rows = copy.deepcopy(self._store.rows)


@dataclass
class FakeUsers:
    rows: Rows

    def add(self, email: str, name: str | None, created_at: int) -> User:
        user = User(self.rows.new_id(), email, name, created_at)
        self.rows.users[user.id] = user
        return user

    def get(self, user_id: int) -> User | None:
        return self.rows.users.get(user_id)

    def by_email(self, email: str) -> User | None:
        return next((u for u in self.rows.users.values() if u.email == email), None)

    def all(self) -> list[User]:
        return sorted(self.rows.users.values(), key=lambda u: u.id)

    def emails(self, user_ids: Collection[int]) -> dict[int, str]:
        return {i: self.rows.users[i].email for i in user_ids if i in self.rows.users}

    def changes(self, user_id: int | None) -> int:
        return self.rows.commits

    def freshness(self, user_id: int | None, bot_id: int | None = None) -> tuple[int, ...] | None:
        bots = [
            b for b in self.rows.bots.values()
            if (user_id is None or b.user_id == user_id) and (bot_id is None or b.id == bot_id)
        ]  # fmt: skip
        if bot_id is not None and not bots:
            return None
        runs = sum(b.state.last_run_at or 0 for b in bots)
        return self.rows.commits, len(bots), runs, sum(b.state.last_slot or 0 for b in bots)


@dataclass
class FakeAccounts:
    rows: Rows

    def add(self, account: NewAccount) -> Account:
        key, secret = account.api_key.get_secret_value(), account.api_secret.get_secret_value()
        stored = Account(
            self.rows.new_id(), account.user_id, account.name, account.kind, account.testnet,
            bool(key), account.paper_balances, account.created_at,
        )  # fmt: skip
        access = AccountAccess(
            stored.id, account.kind.value, key, secret, account.testnet, account.paper_balances
        )
        self.rows.accounts[stored.id] = (stored, access)
        return stored

    def access(self, account_id: int) -> AccountAccess | None:
        found = self.rows.accounts.get(account_id)
        return None if found is None else found[1]

    def get(self, account_id: int) -> Account | None:
        found = self.rows.accounts.get(account_id)
        return None if found is None else found[0]

    def by_name(self, user_id: int, name: str) -> Account | None:
        return next((a for a in self.of_user(user_id) if a.name == name), None)

    def of_user(self, user_id: int) -> list[Account]:
        return [a for a, _ in self.rows.accounts.values() if a.user_id == user_id]

    def names(self, account_ids: Collection[int]) -> dict[int, str]:
        return {i: self.rows.accounts[i][0].name for i in account_ids if i in self.rows.accounts}


@dataclass
class FakeBots:
    rows: Rows

    def add(self, user_id: int, account_id: int, config: BotConfig, created_at: int) -> Bot:
        bot = Bot(self.rows.new_id(), user_id, account_id, config, False, BotState())
        self.rows.bots[bot.id] = bot
        return copy.deepcopy(bot)

    def get(self, bot_id: int) -> Bot | None:
        return copy.deepcopy(self.rows.bots.get(bot_id))

    def by_name(self, user_id: int, name: str) -> Bot | None:
        return next(iter(self.find(user_id=user_id, name=name)), None)

    def find(self, *, user_id: int | None = None, name: str | None = None) -> list[Bot]:
        return [
            copy.deepcopy(b)
            for b in sorted(self.rows.bots.values(), key=lambda b: b.id)
            if (user_id is None or b.user_id == user_id) and (name is None or b.config.name == name)
        ]

    def labels(self, bot_ids: Collection[int]) -> dict[int, tuple[str, str]]:
        bots = self.rows.bots | self.rows.deleted_bots
        return {
            i: (
                self.rows.users[bots[i].user_id].email,
                self.rows.accounts[bots[i].account_id][0].name,
            )
            for i in bot_ids
            if i in bots
        }

    def update_config(self, bot_id: int, account_id: int, config: BotConfig) -> None:
        bot = self.rows.bots[bot_id]
        bot.account_id, bot.config = account_id, config

    def set_active(self, bot_id: int, active: bool) -> None:
        self.rows.bots[bot_id].active = active

    def request_close(self, bot_id: int, then: CloseRequest) -> None:
        self.rows.bots[bot_id].state.close_requested = then
        self.rows.bots[bot_id].active = True

    def settle_close_request(self, bot_id: int, then: CloseRequest) -> None:
        self.rows.bots[bot_id].state.close_requested = None
        if then is CloseRequest.THEN_STOP:
            self.rows.bots[bot_id].active = False

    def save_state(self, bot_id: int, state: BotState) -> None:
        bot = self.rows.bots[bot_id]
        bot.state = copy.deepcopy(state)
        if not bot.active:
            bot.state.status = BotStatus.STOPPED

    def delete(self, bot_id: int, deleted_at: int) -> None:
        self.rows.deleted_bots[bot_id] = self.rows.bots.pop(bot_id)


@dataclass
class FakeOrders:
    rows: Rows

    def unresolved(self, bot_id: int) -> list[OrderRecord]:
        return [o for o in self.rows.orders if o.bot_id == bot_id and not o.status.is_final]

    def recent(
        self, *, user_id: int | None = None, bot_id: int | None = None, limit: int = 50
    ) -> list[OrderRecord]:
        return _recent(self.rows.orders, user_id, bot_id, limit)


@dataclass
class FakeTrades:
    rows: Rows

    def recent(
        self, *, user_id: int | None = None, bot_id: int | None = None, limit: int = 50
    ) -> list[TradeRecord]:
        return _recent(self.rows.trades, user_id, bot_id, limit)

    def realized(
        self, *, user_id: int | None = None, bot_id: int | None = None
    ) -> list[tuple[int, Decimal]]:
        chosen = reversed(_recent(self.rows.trades, user_id, bot_id, len(self.rows.trades)))
        return [(t.timestamp, t.realized_pnl) for t in chosen if t.realized_pnl is not None]


R = TypeVar("R", OrderRecord, TradeRecord)


def _recent(records: list[R], user_id: int | None, bot_id: int | None, limit: int) -> list[R]:
    chosen = [
        r
        for r in records
        if (user_id is None or r.user_id == user_id) and (bot_id is None or r.bot_id == bot_id)
    ]
    return list(reversed(chosen))[:limit]


class FakeCounters:
    def get(self, bot_id: int, day: date) -> DayTally:
        return DayTally(day)

    def tallies(self, days: Mapping[int, date]) -> dict[int, DayTally]:
        return {bot_id: DayTally(day) for bot_id, day in days.items()}


@dataclass
class FakeChannels:
    rows: Rows

    def add(self, channel: NewChannel) -> Channel:
        stored = Channel(
            self.rows.new_id(), channel.user_id, channel.name, channel.kind, channel.target,
            channel.secret is not None, channel.created_at,
        )  # fmt: skip
        self.rows.channels[stored.id] = stored
        return stored

    def get(self, channel_id: int) -> Channel | None:
        return self.rows.channels.get(channel_id)

    def by_name(self, user_id: int, name: str) -> Channel | None:
        return next((c for c in self.of_user(user_id) if c.name == name), None)

    def of_user(self, user_id: int) -> list[Channel]:
        return [c for c in self.rows.channels.values() if c.user_id == user_id]

    def delete(self, channel_id: int) -> None:
        self.rows.channels.pop(channel_id)
        for key in [k for k in self.rows.routes if k[0] == channel_id]:
            del self.rows.routes[key]


@dataclass
class FakeRoutes:
    rows: Rows

    def set(self, route: Route, created_at: int) -> None:
        self.rows.routes[route.channel_id, route.bot_id] = route

    def remove(self, channel_id: int, bot_id: int | None) -> bool:
        return self.rows.routes.pop((channel_id, bot_id), None) is not None

    def of_user(self, user_id: int) -> list[Route]:
        mine = {c.id for c in self.rows.channels.values() if c.user_id == user_id}
        return [r for r in self.rows.routes.values() if r.channel_id in mine]


@dataclass
class FakeOutbox:
    rows: Rows

    def add(self, event: OutboxEvent) -> int:
        self.rows.outbox.append(event)
        return len(self.rows.outbox)


@dataclass
class FakeDeliveries:
    rows: Rows

    def recent(
        self, user_id: int, status: DeliveryStatus | None = None, limit: int = 50
    ) -> list[DeliveryView]:
        found = [
            d
            for owner, d in self.rows.deliveries
            if owner == user_id and (status is None or d.status is status)
        ]
        return found[:limit]

    def revive(self, user_id: int, at: int) -> int:
        revived = 0
        for i, (owner, d) in enumerate(self.rows.deliveries):
            if owner == user_id and d.status is DeliveryStatus.DEAD:
                again = replace(d, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=at)
                self.rows.deliveries[i] = (owner, again)
                revived += 1
        return revived

    def status_of(self, delivery_id: int, user_id: int) -> DeliveryStatus | None:
        found = [d for owner, d in self.rows.deliveries if owner == user_id and d.id == delivery_id]
        return found[0].status if found else None

    def revive_one(self, delivery_id: int, at: int) -> bool:
        for i, (owner, d) in enumerate(self.rows.deliveries):
            if d.id == delivery_id and d.status is DeliveryStatus.DEAD:
                again = replace(d, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=at)
                self.rows.deliveries[i] = (owner, again)
                return True
        return False

"""An in-memory database behind the tick's ports: `FakeStore` and its `FakeUnitOfWork`.

As the real unit of work does, a fake one sees the store as it was when it began, and
its writes reach the store only at `commit()`: leaving it without a commit (an exception,
an early return) drops them. A unit of work that would commit over another's commit made
meanwhile fails, so a tick that nests its transactions cannot pass here either.

Repositories hand out copies and store copies, as rows come and go in a real database:
a record changed in memory and never saved is not in the store. Tests assert on what the
store holds (`orders`, `trades`, `state`, `tally`, `events`), never on calls.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import Self

from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.bots import BotState, BotStatus, CloseRequest
from tradewind.domain.limits import DayTally
from tradewind.domain.orders import OrderStatus
from tradewind.domain.records import OrderRecord, OutboxEvent, TradeRecord
from tradewind.ports import (
    AccountAccess,
    AccountRepository,
    Bot,
    BotRepository,
    DailyCounterRepository,
    OrderRepository,
    OutboxRepository,
    RunningBot,
    SlotRepository,
    TickLoad,
    TradeRepository,
)


@dataclass(slots=True)
class BotRow:
    """A bot as the store keeps it: config and state side by side, as two tables would."""

    user_id: int
    account_id: int
    config: BotConfig  # validated, never changed by a tick: shared, not copied
    active: bool
    state: BotState
    deleted: bool = False


@dataclass(slots=True)
class Tables:
    """Everything the store holds; `copy()` is what a unit of work starts from."""

    bots: dict[int, BotRow] = field(default_factory=dict)
    accounts: dict[int, AccountAccess] = field(default_factory=dict)
    orders: dict[str, OrderRecord] = field(default_factory=dict)  # by client order id
    trades: list[TradeRecord] = field(default_factory=list)
    counters: dict[tuple[int, date], DayTally] = field(default_factory=dict)
    slots: dict[tuple[int, int], int] = field(default_factory=dict)  # (bot, slot) -> claimed at
    outbox: list[tuple[OutboxEvent, str | None]] = field(default_factory=list)
    next_order_id: int = 1

    def copy(self) -> Tables:
        return Tables(
            bots={i: replace(b, state=copy.deepcopy(b.state)) for i, b in self.bots.items()},
            accounts=dict(self.accounts),
            orders={c: copy.copy(o) for c, o in self.orders.items()},
            trades=list(self.trades),  # frozen records
            counters={k: replace(t) for k, t in self.counters.items()},
            slots=dict(self.slots),
            outbox=list(self.outbox),  # frozen records
            next_order_id=self.next_order_id,
        )


class FakeBotRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def get(self, bot_id: int) -> Bot | None:
        row = self._t.bots.get(bot_id)
        if row is None or row.deleted:
            return None
        return Bot(bot_id, row.user_id, row.account_id, row.config, row.active,
                   copy.deepcopy(row.state))  # fmt: skip

    def active_ids(self, account_kind: str | None = None) -> list[int]:
        return [bot.id for bot in self.running_bots(account_kind)]

    def save_state(self, bot_id: int, state: BotState) -> None:
        """Write the state; a bot that is not active is saved as STOPPED (the owner wins)."""
        row = self._t.bots.get(bot_id)
        if row is None:
            raise LookupError(f"no bot {bot_id} to save the state of")
        kept = row.state.close_requested  # the owner's, never a tick's to write
        row.state = copy.deepcopy(state)
        row.state.close_requested = kept
        if not row.active:
            row.state.status = BotStatus.STOPPED

    def settle_close_request(self, bot_id: int, then: CloseRequest) -> None:
        row = self._t.bots[bot_id]
        row.state.close_requested = None
        if then is CloseRequest.THEN_STOP:
            row.active = False

    def load_for_tick(self, bot_id: int, day: date) -> TickLoad | None:
        bot = self.get(bot_id)
        if bot is None:
            return None
        access = self._t.accounts.get(bot.account_id)
        today = self._t.counters.get((bot_id, day))
        return TickLoad(
            bot, access, FakeOrderRepository(self._t).unresolved(bot_id),
            DayTally(day) if today is None else replace(today),
        )  # fmt: skip

    def claim_and_load(
        self, bot_id: int, slot: int, claimed_at: int, day: date
    ) -> tuple[bool, TickLoad | None]:
        if not FakeSlotRepository(self._t).claim(bot_id, slot, claimed_at):
            return False, None
        row = self._t.bots.get(bot_id)
        if row is not None and row.active and not row.deleted:
            row.state.last_run_at, row.state.last_slot = claimed_at, slot
        return True, self.load_for_tick(bot_id, day)

    def claim_and_load_many(
        self, bot_ids: Sequence[int], slot: int, claimed_at: int, day: date
    ) -> dict[int, TickLoad | None]:
        loads: dict[int, TickLoad | None] = {}
        for bot_id in dict.fromkeys(bot_ids):
            claimed, load = self.claim_and_load(bot_id, slot, claimed_at, day)
            if claimed:
                loads[bot_id] = load
        return loads

    def running_bots(self, account_kind: str | None = None) -> list[RunningBot]:
        return [
            market
            for market in self.markets_of(sorted(self._t.bots))
            if self._t.bots[market.id].active
            and (account_kind is None or self._kind(market.id) == account_kind)
        ]

    def markets_of(self, bot_ids: Sequence[int]) -> list[RunningBot]:
        rows = {i: self._t.bots[i] for i in sorted(set(bot_ids)) if i in self._t.bots}
        return [
            RunningBot(
                i, r.config.symbol, r.config.timeframe, r.config.position_type, ExchangeKind(kind)
            )
            for i, r in rows.items()
            if not r.deleted and (kind := self._kind(i)) is not None  # joined with its account
        ]

    def _kind(self, bot_id: int) -> str | None:
        access = self._t.accounts.get(self._t.bots[bot_id].account_id)
        return None if access is None else access.kind


class FakeOrderRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def add(self, order: OrderRecord) -> None:
        if order.client_order_id in self._t.orders:
            raise ValueError(f"client order id {order.client_order_id!r} is taken")
        order.id, self._t.next_order_id = self._t.next_order_id, self._t.next_order_id + 1
        self._t.orders[order.client_order_id] = copy.copy(order)

    def add_all(self, orders: list[OrderRecord]) -> None:
        for order in orders:
            self.add(order)

    def add_intent(self, order: OrderRecord) -> None:
        self.add(order)

    def get(self, client_order_id: str) -> OrderRecord | None:
        order = self._t.orders.get(client_order_id)
        return None if order is None else copy.copy(order)

    def unresolved(self, bot_id: int) -> list[OrderRecord]:
        return [copy.copy(o) for o in self._by_id(bot_id) if not o.status.is_final]

    def save(self, order: OrderRecord) -> None:
        if order.client_order_id not in self._t.orders:
            raise LookupError(f"no order {order.client_order_id!r} to save")
        saved = copy.copy(order)
        saved.id = self._t.orders[order.client_order_id].id
        self._t.orders[order.client_order_id] = saved

    def latest_statuses(self, bot_id: int, limit: int) -> list[OrderStatus]:
        return [o.status for o in reversed(self._by_id(bot_id))][:limit]

    def recent(
        self, *, user_id: int | None = None, bot_id: int | None = None, limit: int = 50
    ) -> list[OrderRecord]:
        mine = [
            copy.copy(o)
            for o in self._t.orders.values()
            if (user_id is None or o.user_id == user_id) and (bot_id is None or o.bot_id == bot_id)
        ]
        return sorted(mine, key=lambda o: o.id or 0, reverse=True)[:limit]

    def _by_id(self, bot_id: int) -> list[OrderRecord]:
        mine = [o for o in self._t.orders.values() if o.bot_id == bot_id]
        return sorted(mine, key=lambda o: o.id or 0)


class FakeTradeRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def add(self, trade: TradeRecord) -> bool:
        if any(
            (t.bot_id, t.exchange_order_id) == (trade.bot_id, trade.exchange_order_id)
            for t in self._t.trades
        ):
            return False
        self._t.trades.append(trade)
        return True


class FakeDailyCounterRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def get(self, bot_id: int, day: date) -> DayTally:
        tally = self._t.counters.get((bot_id, day))
        return DayTally(day) if tally is None else replace(tally)

    def save(self, bot_id: int, tally: DayTally) -> None:
        self._t.counters[(bot_id, tally.day)] = replace(tally)

    def add(
        self, bot_id: int, day: date, *, entries: int = 0, realized_pnl: Decimal = Decimal(0)
    ) -> None:
        tally = self.get(bot_id, day)
        tally.entries += entries
        tally.realized_pnl += realized_pnl
        self.save(bot_id, tally)


class FakeSlotRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def claim(self, bot_id: int, slot: int, claimed_at: int) -> bool:
        if (bot_id, slot) in self._t.slots:
            return False
        self._t.slots[(bot_id, slot)] = claimed_at
        return True


class FakeOutboxRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def add(self, event: OutboxEvent) -> None:
        self._t.outbox.append((event, None))

    def add_once(self, event: OutboxEvent, key: str) -> bool:
        if any(k == key for _, k in self._t.outbox):
            return False
        self._t.outbox.append((event, key))
        return True


class FakeAccountRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def access(self, account_id: int) -> AccountAccess | None:
        return self._t.accounts.get(account_id)


class FakeUnitOfWork:
    """The tick's unit of work (ports.UnitOfWork) over a `FakeStore`."""

    bots: BotRepository
    orders: OrderRepository
    trades: TradeRepository
    counters: DailyCounterRepository
    slots: SlotRepository
    outbox: OutboxRepository
    accounts: AccountRepository

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._tables: Tables | None = None
        self._version = -1

    def __enter__(self) -> Self:
        self._begin()
        self._store.open_units += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._tables = None  # whatever was not committed is gone
        self._store.open_units -= 1

    def commit(self) -> None:
        if self._tables is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        if self._store.version != self._version:
            raise AssertionError("another unit of work committed meanwhile: lost update")
        self._store.publish(self._tables)
        self._version = self._store.version

    def rollback(self) -> None:
        self._begin()

    def _begin(self) -> None:
        tables = self._tables = self._store.tables.copy()
        self._version = self._store.version
        self.bots = FakeBotRepository(tables)
        self.orders = FakeOrderRepository(tables)
        self.trades = FakeTradeRepository(tables)
        self.counters = FakeDailyCounterRepository(tables)
        self.slots = FakeSlotRepository(tables)
        self.outbox = FakeOutboxRepository(tables)
        self.accounts = FakeAccountRepository(tables)


class FakeStore:
    """The committed tables, with the setters a test arranges with and the readers it
    asserts with. `uow` is the factory a tick is given (`TickDeps.uow`)."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.version = 0  # commits so far
        self._commit_fault: tuple[Exception, Callable[[Tables], bool]] | None = None
        self.open_units = 0  # units of work entered and not left yet

    def assert_no_transaction(self) -> None:
        """Fail when a unit of work is open: give it to the fakes that stand for the network."""
        if self.open_units:
            raise AssertionError("a transaction is open across a network call")

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def publish(self, tables: Tables) -> None:
        """Make a unit of work's tables the store's, all at once (or raise, writing none)."""
        fault = self._commit_fault
        if fault is not None and fault[1](tables):
            self._commit_fault = None
            raise fault[0]
        self.tables, self.version = tables.copy(), self.version + 1

    def fail_commit(self, error: Exception, when: Callable[[Tables], bool]) -> None:
        """Make the next commit whose tables satisfy `when` raise `error` (the database
        went away at commit): none of its writes reach the store."""
        self._commit_fault = (error, when)

    # --- arrange -------------------------------------------------------------------------

    def add_account(self, access: AccountAccess) -> int:
        self.tables.accounts[access.account_id] = access
        return access.account_id

    def add_bot(
        self, config: BotConfig, account_id: int, *, user_id: int = 1, state: BotState | None = None
    ) -> int:
        """Add a running bot (WAITING unless `state` says otherwise); return its id."""
        bot_id = max(self.tables.bots, default=0) + 1
        state = state or BotState(status=BotStatus.WAITING)
        self.tables.bots[bot_id] = BotRow(user_id, account_id, config, True, state)
        return bot_id

    def set_tally(self, bot_id: int, tally: DayTally) -> None:
        self.tables.counters[(bot_id, tally.day)] = replace(tally)

    def claim(self, bot_id: int, slot: int, claimed_at: int) -> None:
        self.tables.slots[(bot_id, slot)] = claimed_at

    # --- assert --------------------------------------------------------------------------

    def state(self, bot_id: int) -> BotState:
        return copy.deepcopy(self.tables.bots[bot_id].state)

    def orders(self, bot_id: int) -> list[OrderRecord]:
        """The bot's orders, oldest first."""
        mine = [o for o in self.tables.orders.values() if o.bot_id == bot_id]
        return sorted(mine, key=lambda o: o.id or 0)

    def trades(self, bot_id: int) -> list[TradeRecord]:
        return [t for t in self.tables.trades if t.bot_id == bot_id]

    def tally(self, bot_id: int, day: date) -> DayTally:
        return replace(self.tables.counters.get((bot_id, day), DayTally(day)))

    def events(self, bot_id: int) -> list[str]:
        """The types of the bot's outbox events, oldest first."""
        return [e.event_type for e, _ in self.tables.outbox if e.bot_id == bot_id]

"""Repositories the tick writes: orders, trades, daily counters, tick slots, the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Connection,
    CursorResult,
    Integer,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tradewind.adapters.db import changes
from tradewind.adapters.db.core import (
    connection,
    param,
    params,
    per_dialect,
    statement_is_transaction,
    table_of,
    unresolved,
)
from tradewind.adapters.db.rows import order_columns, order_from, trade_columns, trade_from
from tradewind.adapters.db.tables import (
    DailyCounterRow,
    OrderRow,
    OutboxRow,
    TickSlotRow,
    TradeRow,
)
from tradewind.domain.limits import DayTally
from tradewind.domain.records import OrderRecord, OutboxEvent, TradeRecord

_FRESH = {"populate_existing": True}
_BULK = {"synchronize_session": False}
_INT32 = 2**32

_ORDERS, _TRADES, _SLOTS = table_of(OrderRow), table_of(TradeRow), table_of(TickSlotRow)
TICK_SLOTS = _SLOTS
_COUNTERS, _OUTBOX = table_of(DailyCounterRow), table_of(OutboxRow)
_BOT_ID = bindparam("p_bot_id", type_=Integer())

# What an order's later writes change: everything the exchange said about it.
_CHANGING = (
    "exchange_order_id", "status", "filled_qty", "avg_price", "quote_qty", "fee", "fee_asset",
    "reason", "raw", "updated_at",
)  # fmt: skip
_ADD_ORDER = insert(_ORDERS).returning(_ORDERS.c.id)
_ADD_ORDERS = insert(_ORDERS).returning(_ORDERS.c.id, sort_by_parameter_order=True)
_ORDER_BY_CLIENT_ID = select(_ORDERS).where(
    _ORDERS.c.client_order_id == param(_ORDERS.c.client_order_id)
)
_UNRESOLVED_ORDERS = (
    select(_ORDERS).where(_ORDERS.c.bot_id == _BOT_ID, unresolved(_ORDERS)).order_by(_ORDERS.c.id)
)
_SAVE_ORDER = (
    update(_ORDERS)
    .where(_ORDERS.c.client_order_id == param(_ORDERS.c.client_order_id))
    .values({name: param(_ORDERS.c[name]) for name in _CHANGING})
)
_ADD_TRADE = per_dialect(
    lambda insert_: (
        insert_(_TRADES)
        .on_conflict_do_nothing(index_elements=["client_order_id"])
        .returning(_TRADES.c.id)
    )
)
TALLY_BATCH = 500  # bots per query of `tallies` (SQLite's bound parameters are finite)
_DAY_TALLY = select(_COUNTERS.c.entries, _COUNTERS.c.realized_pnl).where(
    _COUNTERS.c.bot_id == _BOT_ID, _COUNTERS.c.day == param(_COUNTERS.c.day)
)


def _upsert_counters(insert_: Any) -> Any:
    statement = insert_(_COUNTERS)
    return statement.on_conflict_do_update(
        index_elements=["bot_id", "day"],
        set_={
            "entries": statement.excluded.entries,
            "realized_pnl": statement.excluded.realized_pnl,
        },
    )


_SAVE_COUNTERS = per_dialect(_upsert_counters)
_ADD_TO_COUNTERS = postgresql.insert(_COUNTERS)
_ADD_TO_COUNTERS = _ADD_TO_COUNTERS.on_conflict_do_update(
    index_elements=["bot_id", "day"],
    set_={
        "entries": _COUNTERS.c.entries + _ADD_TO_COUNTERS.excluded.entries,
        "realized_pnl": _COUNTERS.c.realized_pnl + _ADD_TO_COUNTERS.excluded.realized_pnl,
    },
)
_ADD_OUTBOX = insert(_OUTBOX)
# An event written at most once: its key is unique among the keyed ones.
_ADD_OUTBOX_ONCE = per_dialect(
    lambda insert_: (
        insert_(_OUTBOX)
        .on_conflict_do_nothing(
            index_elements=["dedupe_key"], index_where=_OUTBOX.c.dedupe_key.isnot(None)
        )
        .returning(_OUTBOX.c.id)
    )
)
# A slot claim. On PostgreSQL the row is inserted only if the transaction lock on
# (bot, slot) was free (see SqlSlotRepository), in the same statement.
_CLAIM_SQLITE = (
    sqlite.insert(_SLOTS)
    .on_conflict_do_nothing(index_elements=["bot_id", "slot"])
    .returning(_SLOTS.c.slot)
)
CLAIM_POSTGRES = (
    postgresql.insert(_SLOTS)
    .from_select(
        ["bot_id", "slot", "claimed_at"],
        select(
            _BOT_ID,
            bindparam("p_slot", type_=BigInteger()),
            bindparam("p_claimed_at", type_=BigInteger()),
        ).where(
            func.pg_try_advisory_xact_lock(
                bindparam("p_lock_bot", type_=Integer()), bindparam("p_lock_slot", type_=Integer())
            )
        ),
    )
    .on_conflict_do_nothing(index_elements=["bot_id", "slot"])
    .returning(_SLOTS.c.slot)
)


def claim_values(bot_id: int, slot: int, claimed_at: int) -> dict[str, object]:
    """Return the parameters of CLAIM_POSTGRES."""
    # Two int4 keys: their key space is apart from the one-bigint keys of BotLock.
    return {
        "p_bot_id": bot_id, "p_slot": slot, "p_claimed_at": claimed_at,
        "p_lock_bot": fold_int4(bot_id), "p_lock_slot": fold_int4(slot),
    }  # fmt: skip


def claim_slot(db: Connection, bot_id: int, slot: int, claimed_at: int) -> bool:
    """Record (bot, slot) as taken; False when it already was (or is being). Never waits."""
    if db.dialect.name == "postgresql":
        return (
            db.execute(CLAIM_POSTGRES, claim_values(bot_id, slot, claimed_at)).first() is not None
        )
    values = {"bot_id": bot_id, "slot": slot, "claimed_at": claimed_at}
    return db.execute(_CLAIM_SQLITE, values).first() is not None


def unresolved_orders(db: Connection, bot_id: int) -> list[OrderRecord]:
    """Return the bot's orders whose status is not final, oldest first."""
    return [order_from(row) for row in db.execute(_UNRESOLVED_ORDERS, {"p_bot_id": bot_id})]


class SqlOrderRepository:
    """Orders: the intent row first (SUBMITTING), then what the exchange said."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, order: OrderRecord) -> None:
        """Insert the order and set its `id`; a client order id already used is an error."""
        order.id = connection(self._session).execute(_ADD_ORDER, order_columns(order)).scalar_one()
        changes.note(self._session, [order.bot_id])

    def add_all(self, orders: list[OrderRecord]) -> None:
        """Insert the orders, setting their ids, in one statement."""
        if not orders:
            return
        rows = [order_columns(order) for order in orders]
        ids = connection(self._session).execute(_ADD_ORDERS, rows).scalars().all()
        for order, order_id in zip(orders, ids, strict=True):
            order.id = order_id
        changes.note(self._session, {order.bot_id for order in orders})

    def add_intent(self, order: OrderRecord) -> None:
        """Insert an intent row; on PostgreSQL, first in the unit of work, it commits at once.

        Not a change the owners' markers count (nothing is shown of an intent until it is
        settled, which is), so sending an order costs no round trip more."""
        db = connection(self._session)
        with statement_is_transaction(db):
            order.id = db.execute(_ADD_ORDER, order_columns(order)).scalar_one()

    def get(self, client_order_id: str) -> OrderRecord | None:
        row = (
            connection(self._session)
            .execute(_ORDER_BY_CLIENT_ID, {"p_client_order_id": client_order_id})
            .first()
        )
        return None if row is None else order_from(row)

    def unresolved(self, bot_id: int) -> list[OrderRecord]:
        """Return the bot's orders whose status is not final, oldest first."""
        return unresolved_orders(connection(self._session), bot_id)

    def save(self, order: OrderRecord) -> None:
        """Write what changed since the intent: exchange id, status, fills, fee, answer."""
        columns = order_columns(order)
        values = params({name: columns[name] for name in _CHANGING})
        values["p_client_order_id"] = order.client_order_id
        done: Any = connection(self._session).execute(_SAVE_ORDER, values)
        if done.rowcount == 0:
            raise LookupError(f"no order {order.client_order_id!r} to save")
        changes.note(self._session, [order.bot_id])

    def recent(
        self, *, user_id: int | None = None, bot_id: int | None = None, limit: int = 50
    ) -> list[OrderRecord]:
        """Return the latest orders matching the filters, newest first."""
        query = select(OrderRow).order_by(OrderRow.id.desc()).limit(limit)
        if user_id is not None:
            query = query.where(OrderRow.user_id == user_id)
        if bot_id is not None:
            query = query.where(OrderRow.bot_id == bot_id)
        rows = self._session.execute(query.execution_options(**_FRESH)).scalars()
        return [order_from(row) for row in rows]


class SqlTradeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, trade: TradeRecord) -> bool:
        """Insert the trade; False when the fill of that client order id is recorded already."""
        db = connection(self._session)
        added = db.execute(_ADD_TRADE[db.dialect.name], trade_columns(trade)).first()
        changes.note(self._session, [trade.bot_id])
        return added is not None

    def recent(
        self, *, user_id: int | None = None, bot_id: int | None = None, limit: int = 50
    ) -> list[TradeRecord]:
        """Return the latest trades matching the filters, newest first."""
        query = select(TradeRow).order_by(TradeRow.timestamp.desc(), TradeRow.id.desc())
        if user_id is not None:
            query = query.where(TradeRow.user_id == user_id)
        if bot_id is not None:
            query = query.where(TradeRow.bot_id == bot_id)
        rows = self._session.execute(query.limit(limit)).scalars()
        return [trade_from(row) for row in rows]

    def realized(
        self, *, user_id: int | None = None, bot_id: int | None = None
    ) -> list[tuple[int, Decimal]]:
        """Return (time, realized PnL) of every fill that closed a position, oldest first."""
        query = (
            select(TradeRow.timestamp, TradeRow.realized_pnl)
            .where(TradeRow.realized_pnl.is_not(None))
            .order_by(TradeRow.timestamp, TradeRow.id)
        )
        if user_id is not None:
            query = query.where(TradeRow.user_id == user_id)
        if bot_id is not None:
            query = query.where(TradeRow.bot_id == bot_id)
        return [(int(at), pnl) for at, pnl in self._session.execute(query) if pnl is not None]


class SqlDailyCounterRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, bot_id: int, day: date) -> DayTally:
        """Return the bot's tally of `day`; a day without one has seen nothing yet."""
        db = connection(self._session)
        row = db.execute(_DAY_TALLY, {"p_bot_id": bot_id, "p_day": day}).first()
        if row is None:
            return DayTally(day=day)
        return DayTally(day=day, entries=row.entries, realized_pnl=row.realized_pnl)

    def tallies(self, days: Mapping[int, date]) -> dict[int, DayTally]:
        """Return each bot's tally of its day (`days`: bot id -> day) in one query per
        TALLY_BATCH bots; a day without one has seen nothing yet."""
        found = {bot_id: DayTally(day=day) for bot_id, day in days.items()}
        ids = sorted(days)
        for start in range(0, len(ids), TALLY_BATCH):
            batch = ids[start : start + TALLY_BATCH]
            query = select(
                _COUNTERS.c.bot_id, _COUNTERS.c.day, _COUNTERS.c.entries, _COUNTERS.c.realized_pnl
            ).where(
                _COUNTERS.c.bot_id.in_(batch),
                _COUNTERS.c.day.in_(sorted({days[i] for i in batch})),
            )
            for row in self._session.execute(query):
                if days[row.bot_id] == row.day:  # the bot's own day, not another bot's
                    found[row.bot_id] = DayTally(
                        day=row.day, entries=row.entries, realized_pnl=row.realized_pnl
                    )
        return found

    def save(self, bot_id: int, tally: DayTally) -> None:
        """Write the tally of its day, replacing what was stored for that day."""
        values = {
            "bot_id": bot_id,
            "day": tally.day,
            "entries": tally.entries,
            "realized_pnl": tally.realized_pnl,
        }
        db = connection(self._session)
        db.execute(_SAVE_COUNTERS[db.dialect.name], values)
        changes.note(self._session, [bot_id])

    def add(
        self, bot_id: int, day: date, *, entries: int = 0, realized_pnl: Decimal = Decimal(0)
    ) -> None:
        """Add to the tally of `day` (a day without one starts from nothing), exactly."""
        db = connection(self._session)
        if db.dialect.name == "postgresql":  # NUMERIC sums exactly, in one statement
            values = {"bot_id": bot_id, "day": day, "entries": entries}
            db.execute(_ADD_TO_COUNTERS, values | {"realized_pnl": realized_pnl})
            changes.note(self._session, [bot_id])
            return
        # SQLite keeps money as text, which it would add as floats: add in Python.
        tally = self.get(bot_id, day)
        tally.entries += entries
        tally.realized_pnl += realized_pnl
        self.save(bot_id, tally)


class SqlSlotRepository:
    """Taken tick slots. A claim never waits for another transaction's claim.

    PostgreSQL makes an INSERT that conflicts with a row another transaction has inserted
    but not yet committed wait for that transaction. So a claim first takes a transaction
    advisory lock on (bot, slot) without waiting: held elsewhere means the slot is being
    claimed right now, and this claim loses. Holding it, the INSERT can only meet committed
    rows, and ON CONFLICT DO NOTHING says whether the slot was already taken. SQLite has a
    single writer, so there a claim waits only for the write lock, never for a decision.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(self, bot_id: int, slot: int, claimed_at: int) -> bool:
        """Record (bot, slot) as taken; False when it already was. Never waits."""
        return claim_slot(connection(self._session), bot_id, slot, claimed_at)

    def forget_before(self, slot: int) -> int:
        """Delete the claims of slots before `slot` (they can never be claimed again)."""
        done = self._session.execute(
            delete(TickSlotRow).where(TickSlotRow.slot < slot).execution_options(**_BULK)
        )
        return cast("CursorResult[Any]", done).rowcount


def fold_int4(value: int) -> int:
    """Fold an integer into PostgreSQL's signed 32-bit range (slots wrap every 136 years)."""
    folded = value % _INT32
    return folded - _INT32 if folded >= _INT32 // 2 else folded


class SqlOutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, event: OutboxEvent) -> None:
        """Queue the event in the transaction of the change it reports."""
        connection(self._session).execute(_ADD_OUTBOX, outbox_values(event))

    def add_once(self, event: OutboxEvent, key: str) -> bool:
        """Queue the event unless one with this key was queued before; True if queued."""
        db = connection(self._session)
        values = outbox_values(event) | {"dedupe_key": key}
        return db.execute(_ADD_OUTBOX_ONCE[db.dialect.name], values).first() is not None


def outbox_values(event: OutboxEvent) -> dict[str, object]:
    """Return the outbox row of an event, not handed to any channel yet."""
    return {
        "event_type": event.event_type,
        "user_id": event.user_id,
        "bot_id": event.bot_id,
        "payload": dict(event.payload),
        "created_at": event.created_at,
        "attempts": 0,
    }

"""Repositories the tick writes: orders, trades, daily counters, tick slots, the outbox."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert, select, update
from sqlalchemy.orm import Session

from tradewind.adapters.db.rows import (
    insert_new,
    insert_or_replace,
    order_columns,
    order_from,
    trade_columns,
    trade_from,
)
from tradewind.adapters.db.tables import (
    DailyCounterRow,
    OrderRow,
    OutboxRow,
    TickSlotRow,
    TradeRow,
)
from tradewind.domain.limits import DayTally
from tradewind.domain.orders import OrderStatus
from tradewind.ports import OrderRecord, OutboxEvent, TradeRecord

_UNRESOLVED = [status.value for status in OrderStatus if not status.is_final]
_FRESH = {"populate_existing": True}
_BULK = {"synchronize_session": False}
_INT32 = 2**32


class SqlOrderRepository:
    """Orders: the intent row first (SUBMITTING), then what the exchange said."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, order: OrderRecord) -> None:
        """Insert the order and set its `id`; a client order id already used is an error."""
        order.id = self._session.execute(
            insert(OrderRow).values(**order_columns(order)).returning(OrderRow.id)
        ).scalar_one()

    def get(self, client_order_id: str) -> OrderRecord | None:
        row = self._session.execute(
            select(OrderRow)
            .where(OrderRow.client_order_id == client_order_id)
            .execution_options(**_FRESH)
        ).scalar_one_or_none()
        return None if row is None else order_from(row)

    def unresolved(self, bot_id: int) -> list[OrderRecord]:
        """Return the bot's orders whose status is not final, oldest first."""
        rows = self._session.execute(
            select(OrderRow)
            .where(OrderRow.bot_id == bot_id, OrderRow.status.in_(_UNRESOLVED))
            .order_by(OrderRow.id)
            .execution_options(**_FRESH)
        ).scalars()
        return [order_from(row) for row in rows]

    def save(self, order: OrderRecord) -> None:
        """Write what changed since the intent: exchange id, status, fills, fee, answer."""
        columns = order_columns(order)
        changing = (
            "exchange_order_id", "status", "filled_qty", "avg_price", "quote_qty", "fee",
            "fee_asset", "reason", "raw", "updated_at",
        )  # fmt: skip
        done = self._session.execute(
            update(OrderRow)
            .where(OrderRow.client_order_id == order.client_order_id)
            .values({name: columns[name] for name in changing})
            .returning(OrderRow.id)
            .execution_options(**_BULK)
        ).first()
        if done is None:
            raise LookupError(f"no order {order.client_order_id!r} to save")

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
        """Insert the trade; False when the bot already recorded that exchange order id."""
        statement = insert_new(
            self._session, TradeRow, trade_columns(trade), ["bot_id", "exchange_order_id"]
        )
        return self._session.execute(statement.returning(TradeRow.id)).first() is not None

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


class SqlDailyCounterRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, bot_id: int, day: date) -> DayTally:
        """Return the bot's tally of `day`; a day without one has seen nothing yet."""
        row = self._session.execute(
            select(DailyCounterRow.entries, DailyCounterRow.realized_pnl).where(
                DailyCounterRow.bot_id == bot_id, DailyCounterRow.day == day
            )
        ).first()
        if row is None:
            return DayTally(day=day)
        return DayTally(day=day, entries=row.entries, realized_pnl=row.realized_pnl)

    def save(self, bot_id: int, tally: DayTally) -> None:
        """Write the tally of its day, replacing what was stored for that day."""
        values = {
            "bot_id": bot_id,
            "day": tally.day,
            "entries": tally.entries,
            "realized_pnl": tally.realized_pnl,
        }
        self._session.execute(
            insert_or_replace(self._session, DailyCounterRow, values, ["bot_id", "day"])
        )


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
        self._postgres = session.get_bind().dialect.name == "postgresql"

    def claim(self, bot_id: int, slot: int, claimed_at: int) -> bool:
        """Record (bot, slot) as taken; False when it already was. Never waits."""
        if self._postgres and not self._try_lock(bot_id, slot):
            return False
        values = {"bot_id": bot_id, "slot": slot, "claimed_at": claimed_at}
        statement = insert_new(self._session, TickSlotRow, values, ["bot_id", "slot"])
        return self._session.execute(statement.returning(TickSlotRow.slot)).first() is not None

    def _try_lock(self, bot_id: int, slot: int) -> bool:
        # Two int4 keys; their key space is apart from the one-bigint keys of BotLock.
        return bool(
            self._session.execute(
                select(func.pg_try_advisory_xact_lock(_int4(bot_id), _int4(slot)))
            ).scalar_one()
        )

    def forget_before(self, slot: int) -> int:
        """Delete the claims of slots before `slot` (they can never be claimed again)."""
        done = self._session.execute(
            delete(TickSlotRow).where(TickSlotRow.slot < slot).execution_options(**_BULK)
        )
        return cast("CursorResult[Any]", done).rowcount


def _int4(value: int) -> int:
    """Fold an integer into PostgreSQL's signed 32-bit range (slots wrap every 136 years)."""
    folded = value % _INT32
    return folded - _INT32 if folded >= _INT32 // 2 else folded


class SqlOutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, event: OutboxEvent) -> None:
        """Queue the event in the transaction of the change it reports."""
        self._session.execute(
            insert(OutboxRow).values(
                event_type=event.event_type,
                user_id=event.user_id,
                bot_id=event.bot_id,
                payload=dict(event.payload),
                created_at=event.created_at,
                attempts=0,
            )
        )

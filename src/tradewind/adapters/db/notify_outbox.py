"""The outbox as the dispatcher works it: route events, claim deliveries, record tries.

Claims never wait: on PostgreSQL the rows are locked with `FOR UPDATE SKIP LOCKED`, so
several dispatchers share the work; SQLite has one writer, whose transaction (`BEGIN
IMMEDIATE`) already keeps every other dispatcher out. A delivery claimed for a try has
its next due time moved to the end of the try's lease, and its try counted, in the
claiming transaction: the send itself happens outside any transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from tradewind.adapters.db.core import connection, per_dialect, table_of
from tradewind.adapters.db.notify_settings import channel_from, route_from
from tradewind.adapters.db.rows import bot_from
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.tables import (
    BotConfigRow,
    BotStateRow,
    DailyCounterRow,
    NotificationChannelRow,
    NotificationDeliveryRow,
    NotificationRouteRow,
    OutboxRow,
    TradeRow,
)
from tradewind.adapters.db.trading import SqlOutboxRepository, outbox_values
from tradewind.domain.notifications import ChannelKind, DeliveryStatus
from tradewind.domain.records import OutboxEvent
from tradewind.ports import (
    BotDay,
    Channel,
    ChannelTarget,
    DeliveryJob,
    DeliveryView,
    Notification,
    Route,
    event_id,
)

MAX_ERROR_LENGTH = 500
_BULK = {"synchronize_session": False}
_DELIVERIES = table_of(NotificationDeliveryRow)
_PENDING = DeliveryStatus.PENDING.value
_ADD_DELIVERIES = per_dialect(
    lambda insert_: insert_(_DELIVERIES).on_conflict_do_nothing(
        index_elements=["event_id", "channel_id"]
    )
)


def _skip_locked(session: Session, query: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def _notification(row: OutboxRow) -> Notification:
    return Notification(
        id=row.id,
        event_type=row.event_type,
        user_id=row.user_id,
        bot_id=row.bot_id,
        payload=dict(row.payload),
        created_at=row.created_at,
    )


class SqlNotifyOutbox:
    """The outbox: add events (as the tick does), and hand them to their channels."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._keyed = SqlOutboxRepository(session)

    def add(self, event: OutboxEvent) -> int:
        """Queue an event; return its id."""
        db = connection(self._session)
        return int(
            db.execute(insert(OutboxRow).returning(OutboxRow.id), outbox_values(event)).scalar_one()
        )

    def add_once(self, event: OutboxEvent, key: str) -> bool:
        """Queue the event unless one with this key was queued before; True if queued."""
        return self._keyed.add_once(event, key)

    def claim_unrouted(self, limit: int) -> list[Notification]:
        """Return the oldest events not handed to their channels, locked for routing."""
        query = (
            select(OutboxRow)
            .where(OutboxRow.delivered_at.is_(None))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        rows = self._session.execute(_skip_locked(self._session, query)).scalars()
        return [_notification(row) for row in rows]

    def mark_routed(self, event_ids: list[int], at: int) -> None:
        if event_ids:
            self._session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(event_ids))
                .values(delivered_at=at)
                .execution_options(**_BULK)
            )

    def routes_of(self, user_ids: list[int]) -> tuple[list[Route], list[Channel]]:
        """Return every route and channel of these users."""
        if not user_ids:
            return [], []
        channels = [
            channel_from(row)
            for row in self._session.execute(
                select(NotificationChannelRow).where(NotificationChannelRow.user_id.in_(user_ids))
            ).scalars()
        ]
        ids = [channel.id for channel in channels]
        routes = [
            route_from(row)
            for row in self._session.execute(
                select(NotificationRouteRow).where(NotificationRouteRow.channel_id.in_(ids))
            ).scalars()
        ]
        return routes, channels


def _view(
    row: NotificationDeliveryRow, event_type: str, bot_id: int | None, channel: str
) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        event_id=event_id(row.event_id),
        event_type=event_type,
        bot_id=bot_id,
        channel=channel,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
    )


class SqlDeliveryRepository:
    def __init__(self, session: Session, secrets: SecretBox) -> None:
        self._session = session
        self._secrets = secrets

    def add_all(self, pairs: list[tuple[int, int]], at: int) -> None:
        """Queue (event id, channel id) deliveries, due at `at`; existing ones are kept."""
        if not pairs:
            return
        db = connection(self._session)
        rows = [
            {
                "event_id": event, "channel_id": channel, "status": _PENDING, "attempts": 0,
                "next_attempt_at": at, "created_at": at,
            }
            for event, channel in pairs
        ]  # fmt: skip
        db.execute(_ADD_DELIVERIES[db.dialect.name], rows)

    def claim_due(self, now: int, until: int, limit: int) -> list[DeliveryJob]:
        """Claim pending deliveries due by `now` for one try each, lasting until `until`."""
        due = (
            select(NotificationDeliveryRow.id, NotificationDeliveryRow.attempts)
            .where(
                NotificationDeliveryRow.status == _PENDING,
                NotificationDeliveryRow.next_attempt_at <= now,
            )
            .order_by(NotificationDeliveryRow.next_attempt_at, NotificationDeliveryRow.id)
            .limit(limit)
        )
        claimed: dict[int, int] = {
            row[0]: row[1] for row in self._session.execute(_skip_locked(self._session, due))
        }
        if not claimed:
            return []
        self._session.execute(
            update(NotificationDeliveryRow)
            .where(NotificationDeliveryRow.id.in_(list(claimed)))
            .values(
                attempts=NotificationDeliveryRow.attempts + 1,
                next_attempt_at=until,
            )
            .execution_options(**_BULK)
        )
        rows = self._session.execute(
            select(NotificationDeliveryRow.id, OutboxRow, NotificationChannelRow)
            .join(OutboxRow, OutboxRow.id == NotificationDeliveryRow.event_id)
            .join(
                NotificationChannelRow,
                NotificationChannelRow.id == NotificationDeliveryRow.channel_id,
            )
            .where(NotificationDeliveryRow.id.in_(list(claimed)))
            .order_by(NotificationDeliveryRow.next_attempt_at, NotificationDeliveryRow.id)
        ).all()
        return [
            DeliveryJob(
                delivery_id=delivery_id,
                attempts=claimed[delivery_id] + 1,
                notification=_notification(event),
                channel=ChannelTarget(
                    channel_id=channel.id,
                    name=channel.name,
                    kind=ChannelKind(channel.kind),
                    target=channel.target,
                    secret=None
                    if channel.secret_enc is None
                    else self._secrets.decrypt(channel.secret_enc),
                ),
            )
            for delivery_id, event, channel in rows
        ]

    def _settle(self, job: DeliveryJob, **values: object) -> None:
        # Only the try that holds the claim settles it: a later claim counted another try.
        self._session.execute(
            update(NotificationDeliveryRow)
            .where(
                NotificationDeliveryRow.id == job.delivery_id,
                NotificationDeliveryRow.attempts == job.attempts,
                NotificationDeliveryRow.status == _PENDING,
            )
            .values(**values)
            .execution_options(**_BULK)
        )

    def delivered(self, job: DeliveryJob, at: int) -> None:
        self._settle(job, status=DeliveryStatus.DELIVERED.value, delivered_at=at, last_error=None)

    def failed(self, job: DeliveryJob, error: str, retry_at: int | None) -> None:
        """Record a failed try: due again at `retry_at`, or dead when None."""
        error = error[:MAX_ERROR_LENGTH]
        if retry_at is None:
            self._settle(job, status=DeliveryStatus.DEAD.value, last_error=error)
        else:
            self._settle(job, next_attempt_at=retry_at, last_error=error)

    def recent(
        self, user_id: int, status: DeliveryStatus | None = None, limit: int = 50
    ) -> list[DeliveryView]:
        """Return the user's latest deliveries, newest first."""
        query = (
            select(NotificationDeliveryRow, OutboxRow.event_type, OutboxRow.bot_id,
                   NotificationChannelRow.name)
            .join(OutboxRow, OutboxRow.id == NotificationDeliveryRow.event_id)
            .join(
                NotificationChannelRow,
                NotificationChannelRow.id == NotificationDeliveryRow.channel_id,
            )
            .where(NotificationChannelRow.user_id == user_id)
            .order_by(NotificationDeliveryRow.id.desc())
            .limit(limit)
        )  # fmt: skip
        if status is not None:
            query = query.where(NotificationDeliveryRow.status == status.value)
        return [
            _view(row, event_type, bot_id, channel)
            for row, event_type, bot_id, channel in self._session.execute(query).all()
        ]

    def revive(self, user_id: int, at: int) -> int:
        """Make the user's dead deliveries pending again, due at `at`; return how many."""
        channels = select(NotificationChannelRow.id).where(
            NotificationChannelRow.user_id == user_id
        )
        done = self._session.execute(
            update(NotificationDeliveryRow)
            .where(
                NotificationDeliveryRow.status == DeliveryStatus.DEAD.value,
                NotificationDeliveryRow.channel_id.in_(channels.scalar_subquery()),
            )
            .values(status=_PENDING, attempts=0, next_attempt_at=at)
            .execution_options(**_BULK)
        )
        return int(getattr(done, "rowcount", 0))

    def status_of(self, delivery_id: int, user_id: int) -> DeliveryStatus | None:
        status = self._session.execute(
            select(NotificationDeliveryRow.status)
            .join(
                NotificationChannelRow,
                NotificationChannelRow.id == NotificationDeliveryRow.channel_id,
            )
            .where(
                NotificationDeliveryRow.id == delivery_id,
                NotificationChannelRow.user_id == user_id,
            )
        ).scalar_one_or_none()
        return None if status is None else DeliveryStatus(status)

    def revive_one(self, delivery_id: int, at: int) -> bool:
        # Only a dead one: a delivery a dispatcher is trying keeps its claim.
        done = self._session.execute(
            update(NotificationDeliveryRow)
            .where(
                NotificationDeliveryRow.id == delivery_id,
                NotificationDeliveryRow.status == DeliveryStatus.DEAD.value,
            )
            .values(status=_PENDING, attempts=0, next_attempt_at=at)
            .execution_options(**_BULK)
        )
        return int(getattr(done, "rowcount", 0)) > 0


class SqlSummaryRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def bot_days(self, day: date) -> list[BotDay]:
        """Return the bots (not deleted) that are active or traded on `day`, with its tally."""
        start = int(datetime.combine(day, time(), tzinfo=UTC).timestamp())
        end = int((datetime.combine(day, time(), tzinfo=UTC) + timedelta(days=1)).timestamp())
        exits = (
            select(TradeRow.bot_id, func.count().label("exits"))
            .where(
                TradeRow.realized_pnl.isnot(None),
                TradeRow.timestamp >= start,
                TradeRow.timestamp < end,
            )
            .group_by(TradeRow.bot_id)
            .subquery()
        )
        query = (
            select(BotConfigRow, BotStateRow, DailyCounterRow.entries,
                   DailyCounterRow.realized_pnl, exits.c.exits)
            .join(BotStateRow, BotStateRow.bot_id == BotConfigRow.id)
            .outerjoin(
                DailyCounterRow,
                and_(DailyCounterRow.bot_id == BotConfigRow.id, DailyCounterRow.day == day),
            )
            .outerjoin(exits, exits.c.bot_id == BotConfigRow.id)
            .where(
                BotConfigRow.deleted_at.is_(None),
                BotConfigRow.created_at < end,
                or_(BotConfigRow.active.is_(True), DailyCounterRow.bot_id.isnot(None),
                    exits.c.bot_id.isnot(None)),
            )
            .order_by(BotConfigRow.id)
        )  # fmt: skip
        return [
            BotDay(
                bot=bot_from(config, state),
                entries=entries or 0,
                exits=count or 0,
                realized_pnl=pnl if pnl is not None else Decimal(0),
            )
            for config, state, entries, pnl, count in self._session.execute(query).all()
        ]

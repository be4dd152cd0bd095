"""Repositories of notification channels (webhook secrets encrypted) and per-bot routes."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tradewind.adapters.db.conflicts import add_unique
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.tables import (
    AccountRow,
    NotificationChannelRow,
    NotificationDeliveryRow,
    NotificationRouteRow,
)
from tradewind.domain.notifications import ChannelKind, EventType
from tradewind.ports import Channel, NewChannel, Route


def channel_from(row: NotificationChannelRow) -> Channel:
    """Return a channel as listed: never its secret."""
    return Channel(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        kind=ChannelKind(row.kind),
        target=row.target,
        has_secret=row.secret_enc is not None,
        created_at=row.created_at,
    )


def events_text(events: tuple[EventType, ...]) -> str:
    return ",".join(kind.value for kind in events)


def events_from(text: str) -> tuple[EventType, ...]:
    # An event type a newer version wrote and this one does not know is skipped.
    known = {kind.value for kind in EventType}
    return tuple(EventType(word) for word in text.split(",") if word in known)


def route_from(row: NotificationRouteRow) -> Route:
    return Route(channel_id=row.channel_id, bot_id=row.bot_id, events=events_from(row.events))


class SqlChannelRepository:
    def __init__(self, session: Session, secrets: SecretBox) -> None:
        self._session = session
        self._secrets = secrets

    def add(self, channel: NewChannel) -> Channel:
        """Store the channel; its secret, if any, encrypted under the master key."""
        secret = None if channel.secret is None else channel.secret.get_secret_value()
        if secret is not None:
            self._refuse_a_foreign_key()
        row = NotificationChannelRow(
            user_id=channel.user_id,
            name=channel.name,
            kind=channel.kind.value,
            target=channel.target,
            secret_enc=None if secret is None else self._secrets.encrypt(secret),
            created_at=channel.created_at,
        )
        taken = f"name: the user has a notification channel named {channel.name!r}"
        add_unique(self._session, row, taken)
        return channel_from(row)

    def _refuse_a_foreign_key(self) -> None:
        # As for accounts: a wrong master key would store this secret under a key no other
        # secret shares; decrypting one stored token first refuses that.
        for column in (AccountRow.api_key_enc, NotificationChannelRow.secret_enc):
            token = self._session.execute(
                select(column).where(column.isnot(None)).limit(1)
            ).scalar()
            if token is not None:
                self._secrets.decrypt(token)
                return

    def get(self, channel_id: int) -> Channel | None:
        row = self._session.get(NotificationChannelRow, channel_id)
        return None if row is None else channel_from(row)

    def by_name(self, user_id: int, name: str) -> Channel | None:
        row = self._session.execute(
            select(NotificationChannelRow).where(
                NotificationChannelRow.user_id == user_id, NotificationChannelRow.name == name
            )
        ).scalar_one_or_none()
        return None if row is None else channel_from(row)

    def of_user(self, user_id: int) -> list[Channel]:
        rows = self._session.execute(
            select(NotificationChannelRow)
            .where(NotificationChannelRow.user_id == user_id)
            .order_by(NotificationChannelRow.id)
        ).scalars()
        return [channel_from(row) for row in rows]

    def delete(self, channel_id: int) -> None:
        """Remove the channel; its routes and deliveries go with it (ON DELETE CASCADE)."""
        # SQLite applies ON DELETE only with foreign keys on (the engine turns them on);
        # deleting the children first does not depend on it.
        for table, column in (
            (NotificationDeliveryRow, NotificationDeliveryRow.channel_id),
            (NotificationRouteRow, NotificationRouteRow.channel_id),
            (NotificationChannelRow, NotificationChannelRow.id),
        ):
            self._session.execute(
                delete(table)
                .where(column == channel_id)
                .execution_options(synchronize_session=False)
            )


class SqlRouteRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def set(self, route: Route, created_at: int) -> None:
        """Store the route, replacing the one of the same channel and bot."""
        self.remove(route.channel_id, route.bot_id)
        self._session.add(
            NotificationRouteRow(
                channel_id=route.channel_id,
                bot_id=route.bot_id,
                events=events_text(route.events),
                created_at=created_at,
            )
        )
        self._session.flush()

    def remove(self, channel_id: int, bot_id: int | None) -> bool:
        bot = (
            NotificationRouteRow.bot_id.is_(None)
            if bot_id is None
            else NotificationRouteRow.bot_id == bot_id
        )
        done = self._session.execute(
            delete(NotificationRouteRow)
            .where(NotificationRouteRow.channel_id == channel_id, bot)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(done, "rowcount", 0))

    def of_user(self, user_id: int) -> list[Route]:
        rows = self._session.execute(
            select(NotificationRouteRow)
            .join(
                NotificationChannelRow,
                NotificationChannelRow.id == NotificationRouteRow.channel_id,
            )
            .where(NotificationChannelRow.user_id == user_id)
            .order_by(NotificationRouteRow.channel_id, NotificationRouteRow.id)
        ).scalars()
        return [route_from(row) for row in rows]

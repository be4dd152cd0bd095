"""The bots repository: config and state rows joined into `Bot` records."""

from __future__ import annotations

from sqlalchemy import Select, case, insert, select, update
from sqlalchemy.orm import Session

from tradewind.adapters.db.rows import bot_from, config_columns, state_columns
from tradewind.adapters.db.tables import BotConfigRow, BotStateRow
from tradewind.bot_config import BotConfig
from tradewind.domain.bots import BotState, BotStatus
from tradewind.ports import Bot

# Bulk updates skip the session's identity map, so reads refresh whatever it holds.
_FRESH = {"populate_existing": True}
_BULK = {"synchronize_session": False}


def _live_bots() -> Select[BotConfigRow, BotStateRow]:
    return (
        select(BotConfigRow, BotStateRow)
        .join(BotStateRow, BotStateRow.bot_id == BotConfigRow.id)
        .where(BotConfigRow.deleted_at.is_(None))
        .execution_options(**_FRESH)
    )


class SqlBotRepository:
    """Bots that are not deleted; a deleted bot keeps its rows for its orders and trades."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, bot_id: int) -> Bot | None:
        found = self._session.execute(_live_bots().where(BotConfigRow.id == bot_id)).first()
        return None if found is None else bot_from(found[0], found[1])

    def active_ids(self) -> list[int]:
        query = (
            select(BotConfigRow.id)
            .where(BotConfigRow.active.is_(True), BotConfigRow.deleted_at.is_(None))
            .order_by(BotConfigRow.id)
        )
        return list(self._session.execute(query).scalars())

    def save_state(self, bot_id: int, state: BotState) -> None:
        """Write the bot's state. A bot that is not active is saved as STOPPED.

        So a stop by the owner wins over a tick that was in flight when the owner stopped
        the bot and saves its state afterwards.
        """
        columns = state_columns(state)
        is_active = select(BotConfigRow.active).where(BotConfigRow.id == bot_id)
        columns["status"] = case(
            (is_active.scalar_subquery(), columns["status"]), else_=BotStatus.STOPPED.value
        )
        done = self._session.execute(
            update(BotStateRow)
            .where(BotStateRow.bot_id == bot_id)
            .values(**columns)
            .returning(BotStateRow.bot_id)
            .execution_options(**_BULK)
        ).first()
        if done is None:
            raise LookupError(f"no bot {bot_id} to save the state of")

    def add(self, user_id: int, account_id: int, config: BotConfig, created_at: int) -> Bot:
        """Store a new, inactive bot in state IDLE."""
        bot_id = self._session.execute(
            insert(BotConfigRow)
            .values(
                user_id=user_id,
                account_id=account_id,
                active=False,
                created_at=created_at,
                **config_columns(config),
            )
            .returning(BotConfigRow.id)
        ).scalar_one()
        state = BotState()
        self._session.execute(insert(BotStateRow).values(bot_id=bot_id, **state_columns(state)))
        return Bot(
            id=bot_id,
            user_id=user_id,
            account_id=account_id,
            config=config,
            active=False,
            state=state,
        )

    def by_name(self, user_id: int, name: str) -> Bot | None:
        found = self.find(user_id=user_id, name=name)
        return found[0] if found else None

    def find(self, *, user_id: int | None = None, name: str | None = None) -> list[Bot]:
        """Return the bots (not deleted) matching every given filter, oldest first."""
        query = _live_bots().order_by(BotConfigRow.id)
        if user_id is not None:
            query = query.where(BotConfigRow.user_id == user_id)
        if name is not None:
            query = query.where(BotConfigRow.name == name)
        return [bot_from(config, state) for config, state in self._session.execute(query)]

    def set_active(self, bot_id: int, active: bool) -> None:
        """Mark the bot as one the scheduler runs, or not."""
        self._session.execute(
            update(BotConfigRow)
            .where(BotConfigRow.id == bot_id)
            .values(active=active)
            .execution_options(**_BULK)
        )

    def delete(self, bot_id: int, deleted_at: int) -> None:
        """Retire the bot: gone from every lookup, its orders and trades kept."""
        self._session.execute(
            update(BotConfigRow)
            .where(BotConfigRow.id == bot_id)
            .values(active=False, deleted_at=deleted_at)
            .execution_options(**_BULK)
        )
        self._session.execute(
            update(BotStateRow)
            .where(BotStateRow.bot_id == bot_id)
            .values(status=BotStatus.STOPPED.value, reason="deleted by its owner")
            .execution_options(**_BULK)
        )

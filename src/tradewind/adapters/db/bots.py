"""The bots repository: config and state rows joined into `Bot` records."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    case,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from tradewind.adapters.db import changes, tick_load
from tradewind.adapters.db.conflicts import taken_as_conflict
from tradewind.adapters.db.core import (
    columns_except,
    connection,
    param,
    params,
    table_of,
)
from tradewind.adapters.db.rows import (
    bot_from,
    config_columns,
    state_columns,
)
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.tables import AccountRow, BotConfigRow, BotStateRow, UserRow
from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.bots import BotState, BotStatus, CloseRequest
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports import Bot, RunningBot, TickLoad

# Bulk updates skip the session's identity map, so reads refresh whatever it holds.
_FRESH = {"populate_existing": True}
_BULK = {"synchronize_session": False}

_CONFIGS, _STATES = table_of(BotConfigRow), table_of(BotStateRow)
_ACCOUNTS = table_of(AccountRow)
# The close request is the owner's: a tick's state write never touches it (see CloseRequest).
_STATE_COLUMNS = columns_except(_STATES, ["bot_id", "close_requested"])
_BOT_ID = bindparam("p_bot_id", type_=Integer())

# A bot that is not active is saved as STOPPED (see `save_state`).
_SAVE_STATE = (
    update(_STATES)
    .where(_STATES.c.bot_id == _BOT_ID)
    .values(
        {
            **{column.key: param(column) for column in _STATE_COLUMNS},
            "status": case(
                (
                    select(_CONFIGS.c.active).where(_CONFIGS.c.id == _BOT_ID).scalar_subquery(),
                    param(_STATES.c.status),
                ),
                else_=literal(BotStatus.STOPPED.value),
            ),
        }
    )
)


_RUNNING_BOTS = (
    select(
        _CONFIGS.c.id,
        _CONFIGS.c.symbol,
        _CONFIGS.c.timeframe,
        _CONFIGS.c.position_type,
        _ACCOUNTS.c.kind,
    )
    .join(_ACCOUNTS, _ACCOUNTS.c.id == _CONFIGS.c.account_id)
    .where(_CONFIGS.c.active.is_(True), _CONFIGS.c.deleted_at.is_(None))
    .order_by(_CONFIGS.c.id)
)


def _live_bots() -> Select[BotConfigRow, BotStateRow]:
    return (
        select(BotConfigRow, BotStateRow)
        .join(BotStateRow, BotStateRow.bot_id == BotConfigRow.id)
        .where(BotConfigRow.deleted_at.is_(None))
        .execution_options(**_FRESH)
    )


class SqlBotRepository:
    """Bots that are not deleted; a deleted bot keeps its rows for its orders and trades."""

    def __init__(self, session: Session, secrets: SecretBox) -> None:
        self._session = session
        self._secrets = secrets

    def get(self, bot_id: int) -> Bot | None:
        found = self._session.execute(_live_bots().where(BotConfigRow.id == bot_id)).first()
        return None if found is None else bot_from(found[0], found[1])

    def active_ids(self, account_kind: ExchangeKind | None = None) -> list[int]:
        query = (
            select(BotConfigRow.id)
            .where(BotConfigRow.active.is_(True), BotConfigRow.deleted_at.is_(None))
            .order_by(BotConfigRow.id)
        )
        if account_kind is not None:
            query = query.join(AccountRow, AccountRow.id == BotConfigRow.account_id).where(
                AccountRow.kind == account_kind.value
            )
        return list(self._session.execute(query).scalars())

    def running_bots(self, account_kind: ExchangeKind | None = None) -> list[RunningBot]:
        """Return the active bots with the market each trades, by id: one statement."""
        query = _RUNNING_BOTS
        if account_kind is not None:
            query = query.where(_ACCOUNTS.c.kind == account_kind.value)
        rows = connection(self._session).execute(query)
        return [
            RunningBot(
                row.id,
                Symbol(row.symbol),
                row.timeframe,
                PositionType(row.position_type),
                ExchangeKind(row.kind),
            )
            for row in rows
        ]

    def markets_of(self, bot_ids: Sequence[int]) -> list[RunningBot]:
        """Return the market each of these bots trades (deleted ones left out), by id."""
        return tick_load.markets_of(connection(self._session), bot_ids)

    def save_state(self, bot_id: int, state: BotState) -> None:
        """Write the bot's state. A bot that is not active is saved as STOPPED.

        So a stop by the owner wins over a tick that was in flight when the owner stopped
        the bot and saves its state afterwards.
        """
        values = params(state_columns(state)) | {"p_bot_id": bot_id}
        done: Any = connection(self._session).execute(_SAVE_STATE, values)
        if done.rowcount == 0:
            raise LookupError(f"no bot {bot_id} to save the state of")
        changes.note(self._session, [bot_id])

    def load_for_tick(self, bot_id: int, day: date) -> TickLoad | None:
        """Return the bot (None if deleted) with its account access, open orders and the
        counters of `day`: one statement, and a second only when it has open orders."""
        return tick_load.load_for_tick(connection(self._session), self._secrets, bot_id, day)

    def claim_and_load(
        self, bot_id: int, slot: int, claimed_at: int, day: date
    ) -> tuple[bool, TickLoad | None]:
        """Claim the slot as `slots.claim` does; if claimed, record the run (last run at
        `claimed_at`, last slot `slot`) of a running bot and load it as `load_for_tick`.

        On PostgreSQL, as the first statement of the unit of work, it is a transaction of
        its own: no BEGIN and COMMIT round trips, and claim and run are final at once, as
        a claim committed before the tick decides always was.
        """
        db, new_days = connection(self._session), list[int]()
        found = tick_load.claim_and_load(db, self._secrets, bot_id, slot, claimed_at, day, new_days)
        changes.note(self._session, new_days)  # their "today" moved: see `tick_load._ran`
        return found

    def claim_and_load_many(
        self, bot_ids: Sequence[int], slot: int, claimed_at: int, day: date
    ) -> dict[int, TickLoad | None]:
        """Claim the slot for each bot and load those claimed, in this unit of work's
        transaction: one statement on PostgreSQL (two when some bot has open orders)."""
        db, new_days = connection(self._session), list[int]()
        loads = tick_load.claim_and_load_many(
            db, self._secrets, bot_ids, slot, claimed_at, day, new_days
        )
        changes.note(self._session, new_days)
        return loads

    def add(self, user_id: int, account_id: int, config: BotConfig, created_at: int) -> Bot:
        """Store a new, inactive bot in state IDLE."""
        row = insert(BotConfigRow).values(
            user_id=user_id,
            account_id=account_id,
            active=False,
            created_at=created_at,
            **config_columns(config),
        )
        with taken_as_conflict(f"name: the user has a bot named {config.name!r}"):
            bot_id = self._session.execute(row.returning(BotConfigRow.id)).scalar_one()
        state = BotState()
        self._session.execute(insert(BotStateRow).values(bot_id=bot_id, **state_columns(state)))
        changes.note(self._session, [bot_id])
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

    def labels(self, bot_ids: Collection[int]) -> dict[int, tuple[str, str]]:
        """Return (the owner's email, the account's name) of each bot of `bot_ids` there
        is, in one query."""
        if not bot_ids:
            return {}
        query = (
            select(BotConfigRow.id, UserRow.email, AccountRow.name)
            .join(UserRow, UserRow.id == BotConfigRow.user_id)
            .join(AccountRow, AccountRow.id == BotConfigRow.account_id)
            .where(BotConfigRow.id.in_(sorted(bot_ids)))
        )
        return {int(i): (str(email), str(name)) for i, email, name in self._session.execute(query)}

    def update_config(self, bot_id: int, account_id: int, config: BotConfig) -> None:
        """Replace the bot's account and config (state, orders and trades unchanged)."""
        changes.note(self._session, [bot_id])
        with taken_as_conflict(f"name: the user has a bot named {config.name!r}"):
            self._session.execute(
                update(BotConfigRow)
                .where(BotConfigRow.id == bot_id)
                .values(account_id=account_id, **config_columns(config))
                .execution_options(**_BULK)
            )

    def request_close(self, bot_id: int, then: CloseRequest) -> None:
        """Ask the bot's next tick to close its position now; it runs until it has."""
        changes.note(self._session, [bot_id])
        self._session.execute(
            update(BotStateRow)
            .where(BotStateRow.bot_id == bot_id)
            .values(close_requested=then.value)
            .execution_options(**_BULK)
        )
        self.set_active(bot_id, True)

    def settle_close_request(self, bot_id: int, then: CloseRequest) -> None:
        """Forget the close request (the position is closed); stop the bot if it was."""
        changes.note(self._session, [bot_id])
        self._session.execute(
            update(BotStateRow)
            .where(BotStateRow.bot_id == bot_id)
            .values(close_requested=None)
            .execution_options(**_BULK)
        )
        if then is CloseRequest.THEN_STOP:
            self.set_active(bot_id, False)

    def set_active(self, bot_id: int, active: bool) -> None:
        """Mark the bot as one the scheduler runs, or not."""
        changes.note(self._session, [bot_id])
        self._session.execute(
            update(BotConfigRow)
            .where(BotConfigRow.id == bot_id)
            .values(active=active)
            .execution_options(**_BULK)
        )

    def delete(self, bot_id: int, deleted_at: int) -> None:
        """Retire the bot: gone from every lookup, its orders and trades kept."""
        changes.note(self._session, [bot_id])
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

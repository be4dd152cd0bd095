"""The bots repository: config and state rows joined into `Bot` records."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Integer,
    Join,
    Row,
    Select,
    and_,
    bindparam,
    case,
    exists,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from tradewind.adapters.db.core import (
    columns_except,
    connection,
    param,
    params,
    statement_is_transaction,
    table_of,
)
from tradewind.adapters.db.core import unresolved as unresolved_status
from tradewind.adapters.db.owners import account_access
from tradewind.adapters.db.rows import (
    CONFIG_FIELDS,
    bot_from,
    config_columns,
    config_from,
    state_columns,
    state_from,
)
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.tables import (
    AccountRow,
    BotConfigRow,
    BotStateRow,
    DailyCounterRow,
    OrderRow,
)
from tradewind.adapters.db.trading import (
    CLAIM_POSTGRES,
    claim_slot,
    claim_values,
    unresolved_orders,
)
from tradewind.bot_config import BotConfig
from tradewind.domain.bots import BotState, BotStatus
from tradewind.domain.limits import DayTally
from tradewind.ports import Bot, TickLoad

# Bulk updates skip the session's identity map, so reads refresh whatever it holds.
_FRESH = {"populate_existing": True}
_BULK = {"synchronize_session": False}

_CONFIGS, _STATES = table_of(BotConfigRow), table_of(BotStateRow)
_ACCOUNTS, _COUNTERS, _ORDERS = table_of(AccountRow), table_of(DailyCounterRow), table_of(OrderRow)
_STATE_COLUMNS = columns_except(_STATES, ["bot_id"])
_BOT_ID = bindparam("p_bot_id", type_=Integer())

# The tick's read, in one statement: the bot's config and state, its account, the
# counters of the day, and whether it has open orders (read next only when it has).
_TICK_COLUMNS = [
    _CONFIGS.c.id, _CONFIGS.c.user_id, _CONFIGS.c.account_id, _CONFIGS.c.active,
    *(_CONFIGS.c[name] for name in CONFIG_FIELDS),
    *_STATE_COLUMNS,
    _ACCOUNTS.c.id.label("account_found"),
    _ACCOUNTS.c.kind.label("account_kind"),
    _ACCOUNTS.c.testnet.label("account_testnet"),
    _ACCOUNTS.c.api_key_enc,
    _ACCOUNTS.c.api_secret_enc,
    _ACCOUNTS.c.paper_balances,
    _COUNTERS.c.entries.label("day_entries"),
    _COUNTERS.c.realized_pnl.label("day_pnl"),
    exists()
    .where(_ORDERS.c.bot_id == _CONFIGS.c.id, unresolved_status(_ORDERS))
    .label("has_open_orders"),
]  # fmt: skip
_BOT = _CONFIGS.join(_STATES, _STATES.c.bot_id == _CONFIGS.c.id)
_THIS_LIVE_BOT = and_(_CONFIGS.c.id == _BOT_ID, _CONFIGS.c.deleted_at.is_(None))


def _with_account_and_day(source: Join) -> Join:
    return source.outerjoin(_ACCOUNTS, _ACCOUNTS.c.id == _CONFIGS.c.account_id).outerjoin(
        _COUNTERS,
        and_(
            _COUNTERS.c.bot_id == _CONFIGS.c.id,
            _COUNTERS.c.day == bindparam("p_day", type_=Date()),
        ),
    )


_LOAD_FOR_TICK = (
    select(*_TICK_COLUMNS).select_from(_with_account_and_day(_BOT)).where(_THIS_LIVE_BOT)
)
# A claimed slot is the bot's last run, if the bot is running (active, not deleted).
_RUNNING = exists().where(
    _CONFIGS.c.id == _BOT_ID, _CONFIGS.c.active, _CONFIGS.c.deleted_at.is_(None)
)
_RUN_AT = {
    "last_run_at": bindparam("p_claimed_at", type_=BigInteger()),
    "last_slot": bindparam("p_slot", type_=BigInteger()),
}
_RECORD_RUN = update(_STATES).where(_STATES.c.bot_id == _BOT_ID, _RUNNING).values(_RUN_AT)
# PostgreSQL: claim the slot, record the run and read the bot in one statement. No row:
# not claimed; a row of NULLs but the claimed slot: claimed, and the bot is gone. The read
# sees the state as it was before the statement (one snapshot for the whole statement).
_CLAIMED = CLAIM_POSTGRES.cte("claimed")
_RAN = (
    update(_STATES)
    .where(_STATES.c.bot_id == _BOT_ID, _RUNNING, exists(select(_CLAIMED.c.slot)))
    .values(_RUN_AT)
    .returning(_STATES.c.bot_id)
    .cte("ran")
)
_CLAIM_AND_LOAD = (
    select(_CLAIMED.c.slot.label("claimed_slot"), *_TICK_COLUMNS)
    .select_from(_with_account_and_day(_CLAIMED.outerjoin(_BOT, _THIS_LIVE_BOT)))
    .add_cte(_RAN)
)

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
        values = params(state_columns(state)) | {"p_bot_id": bot_id}
        done: Any = connection(self._session).execute(_SAVE_STATE, values)
        if done.rowcount == 0:
            raise LookupError(f"no bot {bot_id} to save the state of")

    def load_for_tick(self, bot_id: int, day: date) -> TickLoad | None:
        """Return the bot (None if deleted) with its account access, open orders and the
        counters of `day`: one statement, and a second only when it has open orders."""
        db = connection(self._session)
        row = db.execute(_LOAD_FOR_TICK, {"p_bot_id": bot_id, "p_day": day}).first()
        return None if row is None else self._tick_load(db, row, day)

    def claim_and_load(
        self, bot_id: int, slot: int, claimed_at: int, day: date
    ) -> tuple[bool, TickLoad | None]:
        """Claim the slot as `slots.claim` does; if claimed, record the run (last run at
        `claimed_at`, last slot `slot`) of a running bot and load it as `load_for_tick`.

        On PostgreSQL, as the first statement of the unit of work, it is a transaction of
        its own: no BEGIN and COMMIT round trips, and claim and run are final at once, as
        a claim committed before the tick decides always was.
        """
        db = connection(self._session)
        if db.dialect.name != "postgresql":  # in-process: three statements cost next to nothing
            if not claim_slot(db, bot_id, slot, claimed_at):
                return False, None
            run = {"p_bot_id": bot_id, "p_claimed_at": claimed_at, "p_slot": slot}
            db.execute(_RECORD_RUN, run)
            return True, self.load_for_tick(bot_id, day)
        values = claim_values(bot_id, slot, claimed_at) | {"p_day": day}
        with statement_is_transaction(db):
            row = db.execute(_CLAIM_AND_LOAD, values).first()
        if row is None:
            return False, None
        if row.id is None:
            return True, None
        load = self._tick_load(db, row, day)
        if load.bot.active:
            load.bot.state.last_run_at, load.bot.state.last_slot = claimed_at, slot
        return True, load

    def _tick_load(self, db: Connection, row: Row[Any], day: date) -> TickLoad:
        bot = Bot(
            id=row.id, user_id=row.user_id, account_id=row.account_id,
            config=config_from(row), active=row.active, state=state_from(row),
        )  # fmt: skip
        access = None
        if row.account_found is not None:
            access = account_access(
                self._secrets, row.account_found, row.account_kind, row.account_testnet,
                row.api_key_enc, row.api_secret_enc, row.paper_balances,
            )  # fmt: skip
        today = DayTally(day=day)
        if row.day_entries is not None:
            today = DayTally(day=day, entries=row.day_entries, realized_pnl=row.day_pnl)
        orders = unresolved_orders(db, bot.id) if row.has_open_orders else []
        return TickLoad(bot, access, orders, today)

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

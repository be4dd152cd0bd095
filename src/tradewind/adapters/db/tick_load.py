"""What a tick reads when it starts: claim, run record and bot, in as few statements as can be.

SQLite runs in the process, so there a claim, the run record and the read are three cheap
statements in the unit of work's transaction. PostgreSQL is a round trip away: one
statement claims the slot, records the run and reads the bot, as a transaction of its own.

Validating a config costs more than reading it, so `config_from` validates each distinct
row once per process; a changed row is validated anew.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Integer,
    Join,
    and_,
    bindparam,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql

from tradewind.adapters.db.core import columns_except, statement_is_transaction, table_of
from tradewind.adapters.db.core import unresolved as unresolved_status
from tradewind.adapters.db.owners import account_access
from tradewind.adapters.db.rows import CONFIG_FIELDS, config_from, order_from, state_from
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
    TICK_SLOTS,
    claim_slot,
    claim_values,
    fold_int4,
    unresolved_orders,
)
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.limits import DayTally, utc_day
from tradewind.domain.records import OrderRecord
from tradewind.domain.types import PositionType
from tradewind.ports import Bot, RunningBot, TickLoad

_CONFIGS, _STATES = table_of(BotConfigRow), table_of(BotStateRow)
_ACCOUNTS, _COUNTERS, _ORDERS = table_of(AccountRow), table_of(DailyCounterRow), table_of(OrderRow)
_BOT_ID = bindparam("p_bot_id", type_=Integer())

# The bot's config and state, its account, the counters of the day, and whether it has open orders
# (read next only when it has).
_BOT_COLUMNS = [
    _CONFIGS.c.id, _CONFIGS.c.user_id, _CONFIGS.c.account_id, _CONFIGS.c.active,
    *(_CONFIGS.c[name] for name in CONFIG_FIELDS),
    *columns_except(_STATES, ["bot_id"]),
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


_LOAD = select(*_BOT_COLUMNS).select_from(_with_account_and_day(_BOT)).where(_THIS_LIVE_BOT)
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
    select(_CLAIMED.c.slot.label("claimed_slot"), *_BOT_COLUMNS)
    .select_from(_with_account_and_day(_CLAIMED.outerjoin(_BOT, _THIS_LIVE_BOT)))
    .add_cte(_RAN)
)


# PostgreSQL, a batch of bots at one slot: claim, record the runs and read the bots claimed
# in one statement, inside the caller's transaction. The slot's transaction advisory lock
# is the one a single claim takes, so batch and single claims of a bot exclude each other.
_WANTED = (
    func.unnest(bindparam("p_bot_ids", type_=postgresql.ARRAY(Integer())))
    .table_valued("bot_id")
    .render_derived(name="wanted")
)
_CLAIMED_MANY = (
    postgresql.insert(TICK_SLOTS)
    .from_select(
        ["bot_id", "slot", "claimed_at"],
        select(
            _WANTED.c.bot_id,
            bindparam("p_slot", type_=BigInteger()),
            bindparam("p_claimed_at", type_=BigInteger()),
        ).where(
            func.pg_try_advisory_xact_lock(
                _WANTED.c.bot_id, bindparam("p_lock_slot", type_=Integer())
            )
        ),
    )
    .on_conflict_do_nothing(index_elements=["bot_id", "slot"])
    .returning(TICK_SLOTS.c.bot_id)
    .cte("claimed")
)
_RAN_MANY = (
    update(_STATES)
    .where(
        _STATES.c.bot_id == _CLAIMED_MANY.c.bot_id,
        exists().where(
            _CONFIGS.c.id == _STATES.c.bot_id, _CONFIGS.c.active, _CONFIGS.c.deleted_at.is_(None)
        ),
    )
    .values(_RUN_AT)
    .returning(_STATES.c.bot_id)
    .cte("ran")
)
_CLAIM_AND_LOAD_MANY = (
    select(_CLAIMED_MANY.c.bot_id.label("claimed_bot_id"), *_BOT_COLUMNS)
    .select_from(
        _with_account_and_day(
            _CLAIMED_MANY.outerjoin(
                _BOT,
                and_(_CONFIGS.c.id == _CLAIMED_MANY.c.bot_id, _CONFIGS.c.deleted_at.is_(None)),
            )
        )
    )
    .add_cte(_RAN_MANY)
)
_UNRESOLVED_OF_MANY = (
    select(_ORDERS)
    .where(
        _ORDERS.c.bot_id == func.any(bindparam("p_bot_ids", type_=postgresql.ARRAY(Integer()))),
        unresolved_status(_ORDERS),
    )
    .order_by(_ORDERS.c.id)
)


_MARKETS_OF = (
    select(
        _CONFIGS.c.id,
        _CONFIGS.c.symbol,
        _CONFIGS.c.timeframe,
        _CONFIGS.c.position_type,
        _ACCOUNTS.c.kind,
    )
    .join(_ACCOUNTS, _ACCOUNTS.c.id == _CONFIGS.c.account_id)
    .where(
        _CONFIGS.c.id.in_(bindparam("p_bot_ids", expanding=True)), _CONFIGS.c.deleted_at.is_(None)
    )
    .order_by(_CONFIGS.c.id)
)


def markets_of(db: Connection, bot_ids: Sequence[int]) -> list[RunningBot]:
    """Return the market each of these bots trades (deleted ones left out), by id.

    First in a unit of work on PostgreSQL, a transaction of its own: one round trip.
    """
    if not bot_ids:
        return []
    with statement_is_transaction(db):
        rows = db.execute(_MARKETS_OF, {"p_bot_ids": list(dict.fromkeys(bot_ids))}).all()
    return [
        RunningBot(
            row.id,
            row.symbol,
            row.timeframe,
            PositionType(row.position_type),
            ExchangeKind(row.kind),
        )
        for row in rows
    ]


def load_for_tick(db: Connection, secrets: SecretBox, bot_id: int, day: date) -> TickLoad | None:
    """Return the bot (None if deleted) with its account access, open orders and the
    counters of `day`: one statement, and a second only when it has open orders."""
    row = db.execute(_LOAD, {"p_bot_id": bot_id, "p_day": day}).first()
    return None if row is None else _tick_load(db, secrets, row, day)


def claim_and_load(
    db: Connection,
    secrets: SecretBox,
    bot_id: int,
    slot: int,
    claimed_at: int,
    day: date,
    new_days: list[int],
) -> tuple[bool, TickLoad | None]:
    """Claim the slot; if claimed, record the run of a running bot and load it. A bot
    whose run moves it to another UTC day goes on `new_days` (see `_ran`)."""
    if db.dialect.name != "postgresql":
        if not claim_slot(db, bot_id, slot, claimed_at):
            return False, None
        load = load_for_tick(db, secrets, bot_id, day)  # the state before the run
        db.execute(_RECORD_RUN, {"p_bot_id": bot_id, "p_claimed_at": claimed_at, "p_slot": slot})
        if load is not None:
            _ran(load, slot, claimed_at, new_days)
        return True, load
    values = claim_values(bot_id, slot, claimed_at) | {"p_day": day}
    with statement_is_transaction(db):  # and the reads that may follow
        row = db.execute(_CLAIM_AND_LOAD, values).first()
        if row is None:
            return False, None
        if row.id is None:
            return True, None
        load = _tick_load(db, secrets, row, day)
    _ran(load, slot, claimed_at, new_days)
    return True, load


def claim_and_load_many(
    db: Connection,
    secrets: SecretBox,
    bot_ids: Sequence[int],
    slot: int,
    claimed_at: int,
    day: date,
    new_days: list[int],
) -> dict[int, TickLoad | None]:
    """Claim the slot for each bot; record the runs of those running; load those claimed.

    In the caller's transaction. PostgreSQL: two statements (the second only when some
    bot has open orders); SQLite: what `claim_and_load` does, bot after bot.
    """
    if db.dialect.name != "postgresql":
        loads: dict[int, TickLoad | None] = {}
        for bot_id in dict.fromkeys(bot_ids):
            claimed, load = claim_and_load(db, secrets, bot_id, slot, claimed_at, day, new_days)
            if claimed:
                loads[bot_id] = load
        return loads
    values = {
        "p_bot_ids": list(dict.fromkeys(bot_ids)), "p_slot": slot, "p_claimed_at": claimed_at,
        "p_lock_slot": fold_int4(slot), "p_day": day,
    }  # fmt: skip
    rows = db.execute(_CLAIM_AND_LOAD_MANY, values).all()
    with_orders = [row.id for row in rows if row.id is not None and row.has_open_orders]
    orders: dict[int, list[OrderRecord]] = {bot_id: [] for bot_id in with_orders}
    if with_orders:
        for order_row in db.execute(_UNRESOLVED_OF_MANY, {"p_bot_ids": with_orders}):
            orders[order_row.bot_id].append(order_from(order_row))
    loaded: dict[int, TickLoad | None] = {}
    for row in rows:
        if row.id is None:
            loaded[row.claimed_bot_id] = None
            continue
        load = _tick_load(db, secrets, row, day, orders.get(row.id, []))
        _ran(load, slot, claimed_at, new_days)
        loaded[row.id] = load
    return loaded


def _ran(load: TickLoad, slot: int, claimed_at: int, new_days: list[int]) -> None:
    """Show on the loaded state (read before the claim) the run the claim recorded, if
    the bot runs; put it on `new_days` when that run moves it to another UTC day.

    A run alone does not move the owner's change marker, but a new day does change what
    the bot shows: its "today" is the day of its last slot (a replay's is the data's).
    """
    state = load.bot.state
    if not load.bot.active:
        return
    if state.last_slot is None or utc_day(state.last_slot) != utc_day(slot):
        new_days.append(load.bot.id)
    state.last_run_at, state.last_slot = claimed_at, slot


def _tick_load(
    db: Connection,
    secrets: SecretBox,
    row: Any,
    day: date,
    open_orders: list[OrderRecord] | None = None,
) -> TickLoad:
    bot = Bot(
        id=row.id, user_id=row.user_id, account_id=row.account_id, config=config_from(row),
        active=row.active, state=state_from(row),
    )  # fmt: skip
    access = None
    if row.account_found is not None:
        access = account_access(
            secrets, row.account_found, row.account_kind, row.account_testnet,
            row.api_key_enc, row.api_secret_enc, row.paper_balances,
        )  # fmt: skip
    today = DayTally(day=day)
    if row.day_entries is not None:
        today = DayTally(day=day, entries=row.day_entries, realized_pnl=row.day_pnl)
    if open_orders is None:
        open_orders = unresolved_orders(db, bot.id) if row.has_open_orders else []
    return TickLoad(bot, access, open_orders, today)

"""Each user's change marker (`user_changes.version`), bumped at commit in the transaction
of the change, so the live-updates stream can tell with one small read that nothing moved.

A repository that writes a bot's config or state, an order, a trade or a day's counters
notes the bot (`note`); `publish`, run by the unit of work just before it commits, bumps
the marker of every owner of the bots noted, in one statement. Owners are bumped in
user-id order, so two transactions bumping the same users on PostgreSQL lock their rows
in the same order and never deadlock; each row is held only from the bump to the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import Session

from tradewind.adapters.db.core import per_dialect, table_of
from tradewind.adapters.db.tables import BotConfigRow, BotStateRow, UserChangeRow

_NOTED = "tradewind_changed_bots"  # the key of the noted bot ids in `Session.info`
_CHANGES, _CONFIGS = table_of(UserChangeRow), table_of(BotConfigRow)
_STATES = table_of(BotStateRow)


def _bump(insert: Any) -> Any:
    owners = (
        select(_CONFIGS.c.user_id, bindparam("p_one", 1, type_=Integer()))
        .where(_CONFIGS.c.id.in_(bindparam("p_bot_ids", expanding=True)))
        .distinct()
        .order_by(_CONFIGS.c.user_id)
    )
    statement = insert(_CHANGES).from_select(["user_id", "version"], owners)
    return statement.on_conflict_do_update(
        index_elements=[_CHANGES.c.user_id], set_={"version": _CHANGES.c.version + 1}
    )


_BUMP = per_dialect(_bump)
_VERSION_OF = select(_CHANGES.c.version).where(_CHANGES.c.user_id == bindparam("p_user_id"))
_VERSION_OF_ALL = select(func.coalesce(func.sum(_CHANGES.c.version), 0))


def note(session: Session, bot_ids: Iterable[int]) -> None:
    """Note that this transaction changes the bots `bot_ids` (or what belongs to them)."""
    session.info.setdefault(_NOTED, set()).update(bot_ids)


def publish(session: Session) -> None:
    """Bump the marker of the owners of the bots noted since the last commit or rollback
    (call it just before committing)."""
    noted: set[int] | None = session.info.pop(_NOTED, None)
    if noted:
        db = session.connection()
        db.execute(_BUMP[db.dialect.name], {"p_bot_ids": sorted(noted)})


def forget(session: Session) -> None:
    """Drop the bots noted: their changes were rolled back."""
    session.info.pop(_NOTED, None)


def version(session: Session, user_id: int | None) -> int:
    """Return the user's marker (0 before any change); all users' together when None."""
    if user_id is None:
        return int(session.execute(_VERSION_OF_ALL).scalar_one())
    found = session.execute(_VERSION_OF, {"p_user_id": user_id}).scalar_one_or_none()
    return 0 if found is None else int(found)


def freshness(session: Session, user_id: int | None, bot_id: int | None) -> tuple[int, ...] | None:
    """Return what moves whenever the user's bots (all users' when None), or the bot
    `bot_id` of theirs, read differently: the marker, and the runs a tick's claim records
    without moving it (their count and sums). One statement. None when `bot_id` is not
    one of the user's bots (or is deleted)."""
    marker = _VERSION_OF_ALL if user_id is None else select(_CHANGES.c.version).where(
        _CHANGES.c.user_id == user_id
    )  # fmt: skip
    query = (
        select(
            marker.scalar_subquery(),
            func.count(),
            func.coalesce(func.sum(_STATES.c.last_run_at), 0),
            func.coalesce(func.sum(_STATES.c.last_slot), 0),
        )
        .select_from(_CONFIGS.join(_STATES, _STATES.c.bot_id == _CONFIGS.c.id))
        .where(_CONFIGS.c.deleted_at.is_(None))
    )
    if user_id is not None:
        query = query.where(_CONFIGS.c.user_id == user_id)
    if bot_id is not None:
        query = query.where(_CONFIGS.c.id == bot_id)
    version, bots, runs, slots = session.execute(query).one()
    if bot_id is not None and bots == 0:
        return None
    return int(version or 0), int(bots), int(runs), int(slots)

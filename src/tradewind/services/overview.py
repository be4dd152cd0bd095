"""What the owner looks at: bots with their state and today's tally, orders, trades."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

from tradewind.domain.errors import NotFound
from tradewind.domain.limits import DayTally, utc_day
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.ports import Bot, Clock, ManageUnitOfWork
from tradewind.services.access import Actor, owned, scope
from tradewind.services.manage import UowFactory

Record = TypeVar("Record", OrderRecord, TradeRecord)


@dataclass(frozen=True, slots=True)
class BotView:
    """A bot with its owner, its account's name and what its today has seen.

    `today` is the bot's own day (see `bot_day`): after a replay, the replayed market's
    last day, not the wall clock's.
    """

    bot: Bot
    owner: str
    account: str
    today: DayTally
    wall_day: date  # the wall clock's day, when the view was taken

    def today_label(self) -> str:
        """Return "" when the bot's today is the wall clock's, else the day it is, to show."""
        return "" if self.today.day == self.wall_day else f" ({self.today.day.isoformat()})"


@dataclass(frozen=True, slots=True)
class History(Generic[Record]):
    """Orders or trades, newest first, with the names of the bots they belong to."""

    records: list[Record]
    bot_names: dict[int, str]

    def bot_name(self, bot_id: int) -> str:
        """Return the bot's name, or its id when the bot was deleted."""
        return self.bot_names.get(bot_id, f"#{bot_id} (deleted)")


def bot_views(
    uow_factory: UowFactory,
    clock: Clock,
    actor: Actor,
    *,
    user_id: int | None = None,
    bot_id: int | None = None,
) -> list[BotView]:
    """Return the bot `bot_id`, or the bots of `user_id` (all the actor may see when
    None), each with its context."""
    with uow_factory() as uow:
        if bot_id is not None:
            bots = [owned(actor, uow.bots.get(bot_id), "bot", bot_id)]
        else:
            bots = uow.bots.find(user_id=scope(actor, uow.users, user_id))
        return _views(uow, bots, utc_day(clock.now()))


@dataclass(frozen=True, slots=True)
class ChangeMarker:
    """What a live-updates look compares with its last look's: equal, nothing it shows has
    changed (the bots, their state and today's tally, their trades)."""

    version: int  # the user's (or every user's) change marker
    wall_day: date  # a new day starts the bots' today afresh without any write


def change_marker(uow_factory: UowFactory, clock: Clock, actor: Actor) -> ChangeMarker:
    """Return the marker of what the actor sees (as `bots_and_trades` shows it): one small
    query."""
    with uow_factory() as uow:
        return ChangeMarker(uow.users.changes(scope(actor, uow.users, None)), utc_day(clock.now()))


def views_tag(
    uow_factory: UowFactory, clock: Clock, actor: Actor, *, bot_id: int | None = None
) -> str:
    """Return a tag of what `bot_views` shows the actor (the bot `bot_id`, or all they may
    see), read in one small query: equal tags, equal views. NotFound when the bot is not
    the actor's to see, as `bot_views` says.

    Read it before the views: a change committed between the two shows in the views and
    moves the tag again, so a stale tag never names newer views.
    """
    with uow_factory() as uow:
        found = uow.users.freshness(scope(actor, uow.users, None), bot_id)
    if found is None:
        raise NotFound(f"bot: there is no bot {bot_id}")  # as `owned` words it
    seen = (actor.role.value, actor.user_id, bot_id, utc_day(clock.now()).isoformat(), *found)
    return hashlib.blake2b(repr(seen).encode(), digest_size=12).hexdigest()


def bots_and_trades(
    uow_factory: UowFactory, clock: Clock, actor: Actor, *, trades: int
) -> tuple[list[BotView], History[TradeRecord]]:
    """Return what a live-updates look needs in one transaction: the bots the actor may see
    (as `bot_views`) and their latest `trades` trades (as `trades`)."""
    with uow_factory() as uow:
        whose = scope(actor, uow.users, None)
        bots = uow.bots.find(user_id=whose)
        views = _views(uow, bots, utc_day(clock.now()))
        records = uow.trades.recent(user_id=whose, limit=trades)
    return views, History(records, {bot.id: bot.config.name for bot in bots})


def _views(uow: ManageUnitOfWork, bots: list[Bot], wall_day: date) -> list[BotView]:
    # Two queries for any number of bots: owners and accounts, then tallies, in batches.
    labels = uow.bots.labels([bot.id for bot in bots])
    tallies = uow.counters.tallies({bot.id: bot_day(bot, wall_day) for bot in bots})
    views = []
    for bot in bots:
        owner, account = labels.get(bot.id, (f"#{bot.user_id}", "-"))
        views.append(BotView(bot, owner, account, tallies[bot.id], wall_day))
    return views


def bot_day(bot: Bot, wall_day: date) -> date:
    """Return the bot's "today": the UTC day of the market clock it last ticked on.

    A replay ticks its bots on the data's clock, so their counters sit on the data's days;
    read on the wall clock's day they would say 0 entries and no PnL. A bot that has not
    ticked yet, or whose last slot lies ahead of the wall clock, is on the wall's day.
    """
    last = bot.state.last_slot
    return wall_day if last is None else min(wall_day, utc_day(last))


def running_symbols(uow_factory: UowFactory, actor: Actor) -> list[str]:
    """Return the symbols the running bots the actor may see trade, sorted."""
    with uow_factory() as uow:
        bots = uow.bots.find(user_id=scope(actor, uow.users, None))
    return sorted({bot.config.symbol for bot in bots if bot.active})


def orders(
    uow_factory: UowFactory,
    actor: Actor,
    *,
    user_id: int | None = None,
    bot_id: int | None = None,
    limit: int = 50,
) -> History[OrderRecord]:
    """Return the latest orders of the bot `bot_id`, of the user `user_id`, or of all the
    actor may see."""
    with uow_factory() as uow:
        whose, bot = _filters(uow, actor, user_id, bot_id)
        records = uow.orders.recent(user_id=whose, bot_id=bot, limit=limit)
        return History(records, _names(uow, whose))


def trades(
    uow_factory: UowFactory,
    actor: Actor,
    *,
    user_id: int | None = None,
    bot_id: int | None = None,
    limit: int = 50,
) -> History[TradeRecord]:
    """Return the latest trades of the bot `bot_id`, of the user `user_id`, or of all the
    actor may see."""
    with uow_factory() as uow:
        whose, bot = _filters(uow, actor, user_id, bot_id)
        records = uow.trades.recent(user_id=whose, bot_id=bot, limit=limit)
        return History(records, _names(uow, whose))


@dataclass(frozen=True, slots=True)
class DayPnl:
    """Realized PnL of one UTC day (quote), and the total up to and including it."""

    day: date
    realized: Decimal
    cumulative: Decimal


def pnl_by_day(
    uow_factory: UowFactory, actor: Actor, *, user_id: int | None = None, bot_id: int | None = None
) -> list[DayPnl]:
    """Return the realized PnL per UTC day (days with a closing fill), oldest first, of the
    bot `bot_id`, of the user `user_id`, or of all the actor may see."""
    with uow_factory() as uow:
        whose, bot = _filters(uow, actor, user_id, bot_id)
        fills = uow.trades.realized(user_id=whose, bot_id=bot)
    per_day: dict[date, Decimal] = {}
    for at, pnl in fills:
        day = utc_day(at)
        per_day[day] = per_day.get(day, Decimal(0)) + pnl
    days, total = [], Decimal(0)
    for day in sorted(per_day):
        total += per_day[day]
        days.append(DayPnl(day, per_day[day], total))
    return days


def _filters(
    uow: ManageUnitOfWork, actor: Actor, user_id: int | None, bot_id: int | None
) -> tuple[int | None, int | None]:
    """Return the (user, bot) filters of a history: a bot's narrows to its owner."""
    if bot_id is not None:
        bot = owned(actor, uow.bots.get(bot_id), "bot", bot_id)
        return bot.user_id, bot.id
    return scope(actor, uow.users, user_id), None


def _names(uow: ManageUnitOfWork, user_id: int | None) -> dict[int, str]:
    # Only the names of bots the history may show: never another user's.
    return {bot.id: bot.config.name for bot in uow.bots.find(user_id=user_id)}

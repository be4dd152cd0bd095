"""What the owner looks at: bots with their state and today's tally, orders, trades."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from tradewind.domain.limits import DayTally, utc_day
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.ports import Bot, Clock, ManageUnitOfWork
from tradewind.services.manage import BotRef, UowFactory, resolve_bot, resolve_user

Record = TypeVar("Record", OrderRecord, TradeRecord)


@dataclass(frozen=True, slots=True)
class BotView:
    """A bot with its owner, its account's name and what today has seen."""

    bot: Bot
    owner: str
    account: str
    today: DayTally


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
    *,
    user_email: str | None = None,
    ref: BotRef | None = None,
) -> list[BotView]:
    """Return the named bot, or every bot (of one user when given), with its context."""
    day = utc_day(clock.now())
    with uow_factory() as uow:
        bots = _scope(uow, user_email, ref)
        owners = {user.id: user.email for user in uow.users.all()}
        accounts: dict[int, str] = {}
        views = []
        for bot in bots:
            if bot.account_id not in accounts:
                account = uow.accounts.get(bot.account_id)
                accounts[bot.account_id] = "-" if account is None else account.name
            views.append(
                BotView(
                    bot=bot,
                    owner=owners.get(bot.user_id, f"#{bot.user_id}"),
                    account=accounts[bot.account_id],
                    today=uow.counters.get(bot.id, day),
                )
            )
        return views


def orders(
    uow_factory: UowFactory,
    *,
    user_email: str | None = None,
    ref: BotRef | None = None,
    limit: int = 50,
) -> History[OrderRecord]:
    """Return the latest orders of a bot, a user, or everyone."""
    with uow_factory() as uow:
        user_id, bot_id = _filters(uow, user_email, ref)
        records = uow.orders.recent(user_id=user_id, bot_id=bot_id, limit=limit)
        return History(records, _names(uow))


def trades(
    uow_factory: UowFactory,
    *,
    user_email: str | None = None,
    ref: BotRef | None = None,
    limit: int = 50,
) -> History[TradeRecord]:
    """Return the latest trades of a bot, a user, or everyone."""
    with uow_factory() as uow:
        user_id, bot_id = _filters(uow, user_email, ref)
        records = uow.trades.recent(user_id=user_id, bot_id=bot_id, limit=limit)
        return History(records, _names(uow))


def _scope(uow: ManageUnitOfWork, user_email: str | None, ref: BotRef | None) -> list[Bot]:
    if ref is not None:
        return [resolve_bot(uow, ref)]
    user_id = None if user_email is None else resolve_user(uow, user_email).id
    return uow.bots.find(user_id=user_id)


def _filters(
    uow: ManageUnitOfWork, user_email: str | None, ref: BotRef | None
) -> tuple[int | None, int | None]:
    if ref is not None:
        return None, resolve_bot(uow, ref).id
    if user_email is not None:
        return resolve_user(uow, user_email).id, None
    return None, None


def _names(uow: ManageUnitOfWork) -> dict[int, str]:
    return {bot.id: bot.config.name for bot in uow.bots.find()}

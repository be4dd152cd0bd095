"""Each bot's daily summary: what its UTC day brought, written once into the outbox.

A finished day is summarized by the first dispatcher pass after midnight, in any process;
the summary's key (bot and day) keeps it to one event however many processes try. A
day the installation was down for entirely is not summarized later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from tradewind.domain.limits import utc_day
from tradewind.domain.notifications import EventType
from tradewind.domain.records import OutboxEvent
from tradewind.ports import BotDay, Clock, NotifyUnitOfWork


def summary_key(bot_id: int, day: date) -> str:
    return f"{EventType.DAILY_SUMMARY.value}:{bot_id}:{day.isoformat()}"


def summary_event(bot_day: BotDay, day: date, at: int) -> OutboxEvent:
    """Return the daily summary of one bot; amounts as exact strings."""
    bot, state = bot_day.bot, bot_day.bot.state
    position = state.position
    payload: dict[str, object] = {
        "bot": bot.config.name,
        "symbol": bot.config.symbol,
        "day": day.isoformat(),
        "entries": bot_day.entries,
        "exits": bot_day.exits,
        "realized_pnl": str(bot_day.realized_pnl),
        "status": state.status.value,
        "position": None
        if position is None
        else {
            "side": position.side.value,
            "quantity": str(position.quantity),
            "entry_price": str(position.entry_price),
        },
    }
    return OutboxEvent(
        event_type=EventType.DAILY_SUMMARY.value,
        user_id=bot.user_id,
        bot_id=bot.id,
        payload=payload,
        created_at=at,
    )


def summarize_day(uow_factory: Callable[[], NotifyUnitOfWork], day: date, at: int) -> int:
    """Write the summary of `day` for every bot active or trading that day; return how many
    were new (a summary written before is not written again)."""
    with uow_factory() as uow:
        written = sum(
            uow.outbox.add_once(summary_event(bot_day, day, at), summary_key(bot_day.bot.id, day))
            for bot_day in uow.summaries.bot_days(day)
        )
        uow.commit()
    return written


def summarize_yesterday(uow_factory: Callable[[], NotifyUnitOfWork], clock: Clock) -> int:
    """Summarize the last finished UTC day of `clock` (see `summarize_day`)."""
    now = clock.now()
    return summarize_day(uow_factory, utc_day(now) - timedelta(days=1), now)

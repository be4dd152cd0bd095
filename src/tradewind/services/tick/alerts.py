"""Tell the owner when a bot is stuck in a way a single event does not show.

Orders refused again and again, or an order whose outcome stays unknown, write one
`bot_error` event each: keyed, so a bot that stays stuck does not repeat itself. Refusals
that go on put the bot in error, where it ticks no more until its owner starts it again.
Both run only on those paths, never on an ordinary tick.
"""

from __future__ import annotations

from itertools import takewhile

from tradewind.domain.bots import BotStatus
from tradewind.domain.notifications import ErrorCause, EventType
from tradewind.domain.orders import OrderStatus
from tradewind.domain.records import OrderRecord
from tradewind.ports import Bot, UnitOfWork
from tradewind.services.tick.context import BotAtSlot
from tradewind.services.tick.events import event

REJECTS_BEFORE_ALERT = 3  # attempts in a row whose orders were not placed
REJECTS_BEFORE_ERROR = 10  # ... after which the bot stops in error: never a loop of rejects
UNRESOLVED_ALERT_AFTER = 15 * 60  # seconds an order's outcome may stay unknown
# Rows to read for a run: an attempt to protect a position writes up to three orders.
_RUN_WINDOW = 3 * (REJECTS_BEFORE_ERROR + 1)


def after_reject(
    uow: UnitOfWork, bot: Bot, order: OrderRecord, now: int, *, definite: bool = True
) -> None:
    """Tell the owner once per run of refused orders of any kind (entries, exits,
    protective orders) when it reaches 3 attempts; at 10, when the exchange said no
    (`definite`, not an outage that may pass), put the bot in error.

    An attempt is a slot: the stop-loss and take-profit refused together count once. Call
    in the transaction that marks `order` as not placed (saved already).
    """
    latest = uow.orders.recent(bot_id=bot.id, limit=_RUN_WINDOW)
    run = list(takewhile(lambda o: o.status is OrderStatus.REJECTED, latest))
    attempts = len({o.slot for o in run})
    if attempts < REJECTS_BEFORE_ALERT:
        return
    if len(run) < _RUN_WINDOW:  # a longer run (an outage) was told while it was this short
        first = run[-1]  # keys the run: told once, however long it grows
        error = f"{attempts} orders in a row were not placed; the last: {order.reason}"
        uow.outbox.add_once(
            event(bot, EventType.BOT_ERROR.value, now, cause=ErrorCause.REPEATED_REJECTS.value,
                  error=error, client_order_id=first.client_order_id),
            key=f"{ErrorCause.REPEATED_REJECTS.value}:{first.client_order_id}",
        )  # fmt: skip
    if definite and attempts >= REJECTS_BEFORE_ERROR and bot.state.status is not BotStatus.ERROR:
        bot.state.status = BotStatus.ERROR
        bot.state.reason = (
            f"stopped after {attempts} orders in a row were not placed; the last: "
            f"{order.reason}. Check the account and the position on the exchange, then "
            "start the bot again"
        )
        uow.outbox.add(
            event(bot, EventType.BOT_ERROR.value, now, cause=ErrorCause.REPEATED_REJECTS.value,
                  error=bot.state.reason, client_order_id=order.client_order_id)
        )  # fmt: skip


def if_long_unresolved(uow: UnitOfWork, at: BotAtSlot, order: OrderRecord) -> None:
    """Tell the owner, once per order, when its outcome is unknown for too long."""
    waited = at.now - order.created_at
    if waited < UNRESOLVED_ALERT_AFTER:
        return
    error = (
        f"the outcome of order {order.client_order_id} is still unknown after "
        f"{waited // 60} minutes; the bot decides nothing new until the exchange answers"
    )
    uow.outbox.add_once(
        event(at.bot, EventType.BOT_ERROR.value, at.now,
              cause=ErrorCause.OUTCOME_UNKNOWN.value, error=error,
              client_order_id=order.client_order_id),
        key=f"{ErrorCause.OUTCOME_UNKNOWN.value}:{order.client_order_id}",
    )  # fmt: skip

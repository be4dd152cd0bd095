"""Tell the owner when a bot is stuck in a way a single event does not show.

Orders refused again and again, or an order whose outcome stays unknown, write one
`bot_error` event each: keyed, so a bot that stays stuck does not repeat itself. Both
run only on those paths, never on an ordinary tick.
"""

from __future__ import annotations

from itertools import takewhile

from tradewind.domain.notifications import ErrorCause, EventType
from tradewind.domain.orders import OrderStatus
from tradewind.domain.records import OrderRecord
from tradewind.ports import Bot, UnitOfWork
from tradewind.services.tick.context import BotAtSlot
from tradewind.services.tick.events import event

REJECTS_BEFORE_ALERT = 3  # orders in a row that were not placed
UNRESOLVED_ALERT_AFTER = 15 * 60  # seconds an order's outcome may stay unknown


def after_reject(uow: UnitOfWork, bot: Bot, order: OrderRecord, now: int) -> None:
    """Tell the owner, once per run of refusals, when the latest orders were all refused.

    Call in the transaction that marks `order` as not placed (saved already).
    """
    statuses = uow.orders.latest_statuses(bot.id, REJECTS_BEFORE_ALERT + 1)
    refused = sum(1 for _ in takewhile(lambda s: s is OrderStatus.REJECTED, statuses))
    if refused != REJECTS_BEFORE_ALERT:
        return  # below the threshold, or told at the start of this run already
    error = f"{refused} orders in a row were not placed; the last: {order.reason}"
    uow.outbox.add_once(
        event(bot, EventType.BOT_ERROR.value, now, cause=ErrorCause.REPEATED_REJECTS.value,
              error=error, client_order_id=order.client_order_id),
        key=f"{ErrorCause.REPEATED_REJECTS.value}:{order.client_order_id}",
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

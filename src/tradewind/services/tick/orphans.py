"""Look at what rests at the venue on the bot's market, beside what the database holds.

Asked when a runner starts (`tradewind.services.reconcile`) and by a tick that has just
settled an order whose outcome was unknown: the moments the database and the venue may
have parted ways. Every order rests under a client order id; ours are
`tw<bot>-<slot>-<purpose><attempt>`.

- **An orphan** is an order resting under one of this bot's ids that the database does
  not hold open (a row not final): no row at all, or a row it closed. Intent rows
  (written and committed before anything is sent) make the first impossible in one
  deployment's normal life; what can still cause it: a database restored from a backup
  older than the order, a database replaced or emptied while the venue kept the account,
  a row closed as "never placed" because the venue did not show the order yet when asked
  (Binance's lookups lag a moment after a timeout; before it was fixed, Binance futures
  exits refused after the first was placed), or a second deployment trading the same
  exchange account with the same bot ids (not supported: its orders would be cancelled
  here). An orphan is cancelled: left resting, an exit could close a position the bot
  holds anew, an entry could double one. What was done is written (an order row,
  CANCELED, with the reason) and its owner is told once (`bot_error`, cause
  `orphan_orders`; the bot goes on). An orphan that filled before the cancel reached it
  is a fill the bot cannot account for: the bot stops in error, told once, as for any
  position difference.
- **Other tradewind bots' orders** (another bot id) are theirs to settle: left alone.
- **Orders tradewind did not place** (the owner's, another program's: any id not of our
  form, `tw7-manual` included) are left alone. On futures they trade the one net
  position the bot's position is part of, so they are named in the bot's state (its
  reason, until its next tick says something else) and the owner is told once per set
  of such orders (`bot_error`, cause `foreign_orders`; the bot goes on). On spot they
  only share the wallet: not reported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from tradewind.domain.errors import OutcomeUnknown, TemporaryExchangeError
from tradewind.domain.notifications import ErrorCause, EventType
from tradewind.domain.orders import (
    ClientOrderId,
    OpenOrder,
    OrderReport,
    OrderStatus,
    OursParsed,
    parse_ours,
)
from tradewind.domain.records import OrderRecord
from tradewind.domain.types import PositionType
from tradewind.ports import UnitOfWork
from tradewind.services.tick.context import BotAtSlot
from tradewind.services.tick.events import event
from tradewind.services.tick.sending import OrderDesk
from tradewind.services.tick.state import mark_error

ORPHAN_REASON = (
    "orphan: resting at the venue under this bot's id while the database did not hold it "
    "open; cancelled by reconciliation"
)
_SHOWN = 5  # client ids named in a message; the rest are counted


@dataclass(slots=True)
class Sweep:
    """What one look at the venue's open orders found and did."""

    cancelled: list[str] = field(default_factory=list)  # orphans, cancelled and recorded
    filled: list[str] = field(default_factory=list)  # orphans that filled first: bot in error
    pending: list[str] = field(default_factory=list)  # orphans the venue did not cancel now
    foreign: list[str] = field(default_factory=list)  # futures orders tradewind did not place

    @property
    def stopped(self) -> bool:
        return bool(self.filled)


def sweep_venue_orders(desk: OrderDesk) -> Sweep:
    """Cancel the bot's orphans, name orders not ours on futures; see the module.

    Call with the bot's open orders settled (`settle_open_orders`), under its tick lock.
    Raises the exchange port's errors from the listing (the caller decides when to look
    again); a cancel the venue cannot make now is left for the next look.
    """
    at = desk.at
    config = at.bot.config
    resting = desk.exchange.open_orders(config.symbol, config.position_type)
    held_open = {o.client_order_id for o in at.open_orders if not o.status.is_final}
    sweep = Sweep()
    for order in resting:
        ours = parse_ours(order.client_order_id)
        if ours is None:
            if config.position_type is PositionType.FUTURES:
                sweep.foreign.append(order.client_order_id)
        elif ours.bot_id == at.bot.id and order.client_order_id not in held_open:
            _cancel_orphan(desk, order, sweep, ours)
    if sweep.cancelled or sweep.filled or sweep.foreign:
        _tell(desk, sweep)
    return sweep


def _cancel_orphan(desk: OrderDesk, order: OpenOrder, sweep: Sweep, ours: OursParsed) -> None:
    client_id = order.client_order_id
    try:
        report = desk.exchange.cancel_order(
            order.symbol, order.position_type, ClientOrderId(client_id)
        )
    except (TemporaryExchangeError, OutcomeUnknown):
        sweep.pending.append(client_id)  # still resting: the next look cancels it
        return
    if report is not None and report.executed_qty > 0:
        sweep.filled.append(client_id)
        return
    if report is not None and not report.status.is_final:
        sweep.pending.append(client_id)  # the venue says it still rests: look again later
        return
    with desk.transactions() as uow:
        _record(uow, desk.at, order, ours, report)
        uow.commit()
    sweep.cancelled.append(client_id)


def _record(
    uow: UnitOfWork, at: BotAtSlot, order: OpenOrder, ours: OursParsed, report: OrderReport | None
) -> None:
    """Write the orphan's row as cancelled: a new row, or the one that had closed it."""
    row = uow.orders.get(order.client_order_id)
    venue_id = None if report is None else report.exchange_order_id
    if row is None:
        row = OrderRecord(
            bot_id=at.bot.id, user_id=at.bot.user_id, client_order_id=order.client_order_id,
            symbol=order.symbol, position_type=order.position_type, side=order.side,
            purpose=ours.purpose, status=OrderStatus.CANCELED, requested_qty=order.quantity,
            slot=ours.slot, created_at=at.now, exchange_order_id=venue_id,
            reason=ORPHAN_REASON, updated_at=at.now,
        )  # fmt: skip
        uow.orders.add(row)
        return
    row.status, row.reason, row.updated_at = OrderStatus.CANCELED, ORPHAN_REASON, at.now
    row.exchange_order_id = row.exchange_order_id or venue_id
    uow.orders.save(row)


def _tell(desk: OrderDesk, sweep: Sweep) -> None:
    """Tell the owner once of each finding; stop the bot when an orphan filled."""
    at = desk.at
    bot, market = at.bot, f"{at.bot.config.symbol} {at.bot.config.position_type.value}"
    with desk.transactions() as uow:
        if sweep.cancelled:
            error = (
                f"cancelled {_named(sweep.cancelled)} resting on {market} under this bot's "
                "ids that the database did not hold open (restored or replaced database?); "
                "the bot goes on"
            )
            uow.outbox.add_once(
                event(bot, EventType.BOT_ERROR.value, at.now,
                      cause=ErrorCause.ORPHAN_ORDERS.value, error=error,
                      client_order_ids=sweep.cancelled),
                key=f"{ErrorCause.ORPHAN_ORDERS.value}:{sweep.cancelled[0]}",
            )  # fmt: skip
        if sweep.foreign:
            note = (
                f"{_named(sweep.foreign)} not placed by tradewind rest on {market}: they "
                "trade the account's one net position this bot's is part of; left alone"
            )
            said = bot.state.reason
            if said is None or note not in said:
                bot.state.reason = note if said is None else f"{said}; {note}"
            uow.outbox.add_once(
                event(bot, EventType.BOT_ERROR.value, at.now,
                      cause=ErrorCause.FOREIGN_ORDERS.value, error=note,
                      client_order_ids=sweep.foreign),
                key=_foreign_key(bot.id, sweep.foreign),
            )  # fmt: skip
        if sweep.filled:
            reason = (
                f"{_named(sweep.filled)} resting on {market} under this bot's ids, unknown to "
                "the database, filled before it could be cancelled: the position may differ "
                "from the venue's. Nothing more is sent: check the position on the exchange, "
                "settle it, then start the bot again"
            )
            uow.outbox.add(mark_error(bot, at.now, reason, ErrorCause.VENUE_MISMATCH))
        at.book.save(uow)
        uow.commit()


def _foreign_key(bot_id: int, client_ids: list[str]) -> str:
    """Key the set of foreign orders: told once per set (the key column holds 120 chars)."""
    digest = hashlib.sha256(",".join(sorted(client_ids)).encode()).hexdigest()[:32]
    return f"{ErrorCause.FOREIGN_ORDERS.value}:{bot_id}:{digest}"


def _named(client_ids: list[str]) -> str:
    shown = ", ".join(client_ids[:_SHOWN])
    more = len(client_ids) - _SHOWN
    noun = "order" if len(client_ids) == 1 else "orders"
    return f"{noun} {shown}" + (f" and {more} more" if more > 0 else "")

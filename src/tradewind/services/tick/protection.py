"""Rest a position's exit orders as decided (`Protect`), and lift them to close it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tradewind.domain.bots import BotStatus, OpenPosition
from tradewind.domain.decide import Protect
from tradewind.domain.errors import ExchangeError, OrderRejected, OutcomeUnknown
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderStatus, ProtectionRequest
from tradewind.domain.records import OrderRecord
from tradewind.domain.watched_exits import Watch
from tradewind.ports import UnitOfWork
from tradewind.services.tick import alerts
from tradewind.services.tick.recording import record_report
from tradewind.services.tick.sending import OrderDesk

WATCHED = "not placed: the exchange holds one stop per position; the bot watches this exit"


@dataclass(frozen=True, slots=True)
class Protection:
    """The exits a position is to rest: the request for the exchange and the order rows."""

    request: ProtectionRequest
    intents: list[OrderRecord]


def plan_protection(desk: OrderDesk, wanted: Protect) -> Protection:
    """Return the request and the rows (SUBMITTING) of the exits `wanted`, not written yet."""
    at = desk.at
    bot, config = at.bot, at.bot.config
    ids = {p: ClientOrderId.for_slot(bot.id, at.slot, p) for p in wanted.purposes}
    request = ProtectionRequest(
        symbol=config.symbol,
        position_type=config.position_type,
        position_side=wanted.side,
        quantity=wanted.quantity,
        entry_price=wanted.entry_price,
        stop_loss=wanted.stop_loss,
        take_profit=wanted.take_profit,
        trailing_rate=wanted.trailing_rate,
        ids=ids,
    )
    return Protection(request, [_intent(desk, purpose, cid) for purpose, cid in ids.items()])


def write_intents(uow: UnitOfWork, desk: OrderDesk, planned: Protection) -> None:
    """Add the exits' rows and name them on the position, in `uow` (the caller commits,
    with the bot's state: `at.book.save`)."""
    at = desk.at
    position = at.bot.state.position
    assert position is not None
    uow.orders.add_all(planned.intents)
    position.protection = {p: cid.value for p, cid in planned.request.ids.items()}
    at.open_orders.extend(planned.intents)


def protect(desk: OrderDesk, wanted: Protect | Protection) -> None:
    """Place the stop-loss / take-profit / trailing orders `wanted` for the position.

    Their rows are written first (SUBMITTING), as for any order: a lost answer or a crash
    leaves rows the next tick settles by client id, never an order the database lacks.
    A `Protection` was written already (with the entry's fill: one transaction less).
    """
    at = desk.at
    bot = at.bot
    assert bot.state.position is not None
    planned = wanted if isinstance(wanted, Protection) else plan_protection(desk, wanted)
    if not isinstance(wanted, Protection):
        with desk.transactions() as uow:
            write_intents(uow, desk, planned)
            at.book.save(uow)
            uow.commit()
    request, intents = planned.request, planned.intents
    try:
        reports = {r.client_order_id.value: r for r in desk.exchange.protect_position(request)}
    except OutcomeUnknown as e:
        _settle_intents(desk, intents, OrderStatus.UNKNOWN, f"outcome unknown: {e}")
        bot.state.reason = f"position protection sent, outcome unknown ({e}); settling next slot"
        return
    except ExchangeError as e:
        definite = isinstance(e, OrderRejected)
        _settle_intents(desk, intents, OrderStatus.REJECTED, f"not placed: {e}", definite)
        if bot.state.status is not BotStatus.ERROR:  # else the reason says why it stopped
            bot.state.reason = f"position not protected yet ({e}); retrying next slot"
        return
    with desk.transactions() as uow:
        watched = []
        for order in intents:
            report = reports.get(order.client_order_id)
            if report is None:
                # The exchange holds one stop per position (Binance spot's OCO): this exit
                # is the bot's to watch, minute by minute, and to take by MARKET order.
                order.status, order.updated_at = OrderStatus.CANCELED, at.now
                order.reason = WATCHED
                uow.orders.save(order)
                watched.append(order.purpose)
            else:
                record_report(uow, bot, order, report, None)  # an exit: in quote
        if bot.state.position is not None:
            _watch(bot.state.position, watched)
        at.book.save(uow)
        uow.commit()


def _watch(position: OpenPosition, purposes: list[OrderPurpose]) -> None:
    """Watch the exits the exchange did not rest; a watch already running keeps its peak."""
    if not purposes:
        position.watch = None
        return
    if position.watch is not None:
        position.watch = replace(position.watch, purposes=frozenset(purposes))
        return
    position.watch = Watch.from_entry(purposes, position.entry_price, position.entry_time)


def _intent(desk: OrderDesk, purpose: OrderPurpose, client_id: ClientOrderId) -> OrderRecord:
    at = desk.at
    bot, position = at.bot, at.bot.state.position
    assert position is not None
    return OrderRecord(
        bot_id=bot.id, user_id=bot.user_id, client_order_id=client_id.value,
        symbol=bot.config.symbol, position_type=bot.config.position_type,
        side=position.side.exit_side, purpose=purpose, status=OrderStatus.SUBMITTING,
        requested_qty=position.quantity, slot=at.slot, created_at=at.now,
    )  # fmt: skip


def _settle_intents(
    desk: OrderDesk,
    intents: list[OrderRecord],
    status: OrderStatus,
    reason: str,
    definite: bool = True,
) -> None:
    at = desk.at
    with desk.transactions() as uow:
        for order in intents:
            order.status, order.reason, order.updated_at = status, reason, at.now
            uow.orders.save(order)
        if status is OrderStatus.REJECTED and intents:
            # Protective orders refused count as any refusal: alert, then stop the bot.
            alerts.after_reject(uow, at.bot, intents[-1], at.now, definite=definite)
        at.book.save(uow)
        uow.commit()


def lift_protection(desk: OrderDesk) -> None:
    """Cancel the position's resting exit orders before closing it by signal.

    If one filled meanwhile, its fill is recorded (and the position may be gone).
    """
    at = desk.at
    bot = at.bot
    position = bot.state.position
    if position is None:
        return
    # Only orders that may still rest: one already final (filled, cancelled, never
    # placed) has nothing to cancel, and asking for it again costs a lookup.
    open_ids = {o.client_order_id for o in at.open_orders if not o.status.is_final}
    for client_id in [c for c in position.protection.values() if c in open_ids]:
        report = desk.exchange.cancel_order(
            bot.config.symbol, bot.config.position_type, ClientOrderId(client_id)
        )
        with desk.transactions() as uow:
            order = uow.orders.get(client_id)
            if order is not None and report is not None:
                record_report(uow, bot, order, report, None)  # an exit: in quote
                at.book.filled()
            at.book.save(uow)
            uow.commit()

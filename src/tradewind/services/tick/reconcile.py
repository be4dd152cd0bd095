"""Settle orders whose outcome the database does not know yet (ARCHITECTURE.md §2, step 3).

SUBMITTING (written, maybe sent), UNKNOWN (sent, no answer) and NEW (protective orders
resting on the exchange) are asked about by client order id. An order the exchange does
not have was never placed; it is closed as REJECTED and a later slot may try again under
a new id. Nothing is ever resent blindly.
"""

from __future__ import annotations

from tradewind.domain.errors import OutcomeUnknown, TemporaryExchangeError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderReport, OrderStatus
from tradewind.domain.records import OrderRecord
from tradewind.ports import UnitOfWork
from tradewind.services.tick.recording import record_report
from tradewind.services.tick.sending import OrderDesk

UNSENT = (OrderStatus.SUBMITTING, OrderStatus.UNKNOWN)  # sent or not: the venue tells
_PROTECTIVE = (OrderPurpose.STOP_LOSS, OrderPurpose.TAKE_PROFIT, OrderPurpose.TRAILING_STOP)


def settle_open_orders(desk: OrderDesk) -> OrderRecord | None:
    """Settle the bot's open orders; return the first one that is still unresolved."""
    at = desk.at
    stuck: OrderRecord | None = None
    for order in list(at.open_orders):
        try:
            report = desk.exchange.find_order(
                order.symbol, order.position_type, ClientOrderId(order.client_order_id)
            )
        except (TemporaryExchangeError, OutcomeUnknown):
            stuck = stuck or order
            continue
        if report is not None and report.status is order.status and order.status is OrderStatus.NEW:
            continue  # a protective order still resting: nothing to write
        market = desk.market_for(order, report)  # no transaction open across the call
        with desk.transactions() as uow:
            fresh = _settle(uow, desk, order, report, market)
            at.book.save(uow)
            uow.commit()
        if report is not None:
            at.book.filled()
        order.status = fresh.status  # keep the loaded list current for this tick
    if at.bot.state.position is None:
        _cancel_orphans(desk)
    return stuck


def _settle(
    uow: UnitOfWork,
    desk: OrderDesk,
    order: OrderRecord,
    report: OrderReport | None,
    market: MarketRules | None,
) -> OrderRecord:
    """Write what the exchange said of `order` (None: it does not have it); return the row."""
    at = desk.at
    fresh = uow.orders.get(order.client_order_id)
    assert fresh is not None
    if report is None:
        fresh.status = OrderStatus.REJECTED if fresh.status in UNSENT else OrderStatus.CANCELED
        fresh.reason = "not on the exchange: it was never placed (or no longer rests)"
        fresh.updated_at = at.now
        uow.orders.save(fresh)
    else:
        record_report(uow, at.bot, fresh, report, market)
    return fresh


def _cancel_orphans(desk: OrderDesk) -> None:
    """Cancel protective orders still resting for a position that is gone.

    A venue may leave the other exits of a position resting when one fires (Binance
    futures does): left alone, one could later fire against a new position.
    """
    at = desk.at
    for order in at.open_orders:
        if order.purpose not in _PROTECTIVE or order.status is not OrderStatus.NEW:
            continue
        try:
            report = desk.exchange.cancel_order(
                order.symbol, order.position_type, ClientOrderId(order.client_order_id)
            )
        except (TemporaryExchangeError, OutcomeUnknown):
            continue  # still NEW in the database: the next tick tries again
        with desk.transactions() as uow:
            if report is None:
                order.status, order.updated_at = OrderStatus.CANCELED, at.now
                order.reason = "no longer on the exchange"
                uow.orders.save(order)
            else:
                record_report(uow, at.bot, order, report, None)  # an exit: in quote
            at.book.save(uow)
            uow.commit()
        if report is not None:
            at.book.filled()

"""Write the intent, send the order, settle the answer (ARCHITECTURE.md §2, steps 8-10).

`OrderDesk` is where one bot's orders go at one slot. Each write is a unit of work of its
own, opened around (never across) a call to the exchange: the intent row is committed
before the order is sent, and the answer, with its fill, is recorded in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tradewind.domain.errors import (
    AuthenticationFailed,
    ConfigurationError,
    OrderRejected,
    OutcomeUnknown,
    TemporaryExchangeError,
)
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import (
    ClientOrderId,
    OrderPurpose,
    OrderReport,
    OrderRequest,
    OrderStatus,
)
from tradewind.domain.records import OrderRecord
from tradewind.domain.types import Side
from tradewind.ports import Exchange, UnitOfWork
from tradewind.services.tick import alerts
from tradewind.services.tick.context import BotAtSlot
from tradewind.services.tick.recording import needs_market, record_report
from tradewind.services.tick.state import error_cause, mark_error


@dataclass(frozen=True, slots=True)
class OrderDesk:
    """One bot's orders at one slot: the exchange they go to, the units of work they are
    written in, one at a time."""

    transactions: Callable[[], UnitOfWork]
    exchange: Exchange
    at: BotAtSlot

    def send_market(
        self,
        side: Side,
        quantity: Decimal,
        purpose: OrderPurpose,
        then: Callable[[UnitOfWork], None] | None = None,
    ) -> bool:
        """Place one MARKET order for the bot; return True when it filled.

        The `orders` row is committed as SUBMITTING before anything is sent, so a crash
        between sending and recording leaves a row the next tick reconciles by client id.
        `then` writes more in the transaction that records the answer (what the fill
        leads to: a new position's exits), before the bot's state is saved there.
        """
        at = self.at
        config = at.bot.config
        client_id = ClientOrderId.for_slot(at.bot.id, at.slot, purpose)
        request = OrderRequest(
            client_order_id=client_id,
            symbol=config.symbol,
            position_type=config.position_type,
            side=side,
            quantity=quantity,
            reduce_only=purpose is not OrderPurpose.ENTRY,
        )
        order = OrderRecord(
            bot_id=at.bot.id, user_id=at.bot.user_id, client_order_id=client_id.value,
            symbol=config.symbol, position_type=config.position_type, side=side,
            purpose=purpose, status=OrderStatus.SUBMITTING, requested_qty=quantity,
            slot=at.slot, created_at=at.now,
        )  # fmt: skip
        with self.transactions() as uow:
            uow.orders.add_intent(order)
            uow.commit()
        try:
            report = self.exchange.place_market_order(request)
        except OutcomeUnknown as e:
            self._unsent(order, OrderStatus.UNKNOWN, f"outcome unknown: {e}")
            return False
        except (OrderRejected, TemporaryExchangeError) as e:
            # Nothing was placed: the order row says why and the bot waits for a later slot.
            definite = isinstance(e, OrderRejected)  # an outage may pass; a "no" repeats
            self._unsent(order, OrderStatus.REJECTED, f"order not placed: {e}", definite=definite)
            return False
        except (AuthenticationFailed, ConfigurationError) as e:
            self._unsent(order, OrderStatus.REJECTED, f"order not placed: {e}", e)
            return False
        # The bot's lock keeps every other tick off its orders: the record in hand is the row.
        self.record(order, report, then)
        return report.executed_qty > 0

    def market_for(self, order: OrderRecord, report: OrderReport | None) -> MarketRules | None:
        """Return the market's rules when recording `report` needs them (a spot BUY's fill:
        its position is floored to the step), asked of the exchange with no transaction
        open; None otherwise."""
        if report is None or not needs_market(order, report):
            return None
        config = self.at.bot.config
        return self.exchange.market_rules(config.symbol, config.position_type)

    def record(
        self,
        order: OrderRecord,
        report: OrderReport,
        then: Callable[[UnitOfWork], None] | None = None,
    ) -> None:
        """Settle `order` from the exchange's report, its fill and the bot's state at once."""
        market = self.market_for(order, report)
        with self.transactions() as uow:
            record_report(uow, self.at.bot, order, report, market)
            if then is not None:
                then(uow)
            self.at.book.save(uow)
            uow.commit()
        self.at.book.filled()

    def _unsent(
        self,
        order: OrderRecord,
        status: OrderStatus,
        reason: str,
        error: Exception | None = None,
        *,
        definite: bool = True,
    ) -> None:
        at = self.at
        with self.transactions() as uow:
            order.status, order.reason, order.updated_at = status, reason, at.now
            uow.orders.save(order)
            at.bot.state.reason = reason
            if error is not None:
                uow.outbox.add(mark_error(at.bot, at.now, str(error), error_cause(error)))
            elif status is OrderStatus.REJECTED:
                alerts.after_reject(uow, at.bot, order, at.now, definite=definite)
            at.book.save(uow)
            uow.commit()

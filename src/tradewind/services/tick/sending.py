"""Write the intent, send the order, settle the answer (ARCHITECTURE.md §2, steps 8-10)."""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.bots import BotStatus
from tradewind.domain.errors import (
    AuthenticationFailed,
    ConfigurationError,
    OrderRejected,
    OutcomeUnknown,
    TemporaryExchangeError,
)
from tradewind.domain.notifications import ErrorCause
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderRequest, OrderStatus
from tradewind.domain.records import OrderRecord
from tradewind.domain.types import Side
from tradewind.ports import Bot, Exchange, UnitOfWork
from tradewind.services.tick import alerts
from tradewind.services.tick.context import Tick
from tradewind.services.tick.events import event
from tradewind.services.tick.recording import record_report


def send_market_order(
    tick: Tick, exchange: Exchange, side: Side, quantity: Decimal, purpose: OrderPurpose
) -> bool:
    """Place one MARKET order for the tick's bot; return True when it filled.

    The `orders` row is committed as SUBMITTING before anything is sent, so a crash
    between sending and recording leaves a row the next tick reconciles by client id.
    """
    bot, cfg = tick.bot, tick.bot.config
    client_id = ClientOrderId.for_slot(bot.id, tick.slot, purpose)
    request = OrderRequest(
        client_order_id=client_id,
        symbol=cfg.symbol,
        position_type=cfg.position_type,
        side=side,
        quantity=quantity,
        reduce_only=purpose is not OrderPurpose.ENTRY,
    )
    order = OrderRecord(
        bot_id=bot.id, user_id=bot.user_id, client_order_id=client_id.value,
        symbol=cfg.symbol, position_type=cfg.position_type, side=side,
        purpose=purpose, status=OrderStatus.SUBMITTING, requested_qty=quantity,
        slot=tick.slot, created_at=tick.now,
    )  # fmt: skip
    with tick.deps.uow() as uow:
        uow.orders.add_intent(order)
        uow.commit()
    try:
        report = exchange.place_market_order(request)
    except OutcomeUnknown as e:
        _fail(tick, order, OrderStatus.UNKNOWN, f"outcome unknown: {e}", None)
        return False
    except (OrderRejected, TemporaryExchangeError) as e:
        # Nothing was placed: the order row says why and the bot waits for a later slot.
        definite = isinstance(e, OrderRejected)  # an outage may pass; a "no" repeats
        _fail(tick, order, OrderStatus.REJECTED, f"order not placed: {e}", None, definite=definite)
        return False
    except (AuthenticationFailed, ConfigurationError) as e:
        _fail(tick, order, OrderStatus.REJECTED, f"order not placed: {e}", str(e), error_cause(e))
        return False
    # The bot's lock keeps every other tick off its orders: the record in hand is the row.
    with tick.deps.uow() as uow:
        record_report(uow, bot, order, report)
        tick.save_state(uow)
        uow.commit()
    tick.recorded = True
    return report.executed_qty > 0


def _fail(
    tick: Tick,
    order: OrderRecord,
    status: OrderStatus,
    reason: str,
    error: str | None,
    cause: ErrorCause = ErrorCause.CONFIGURATION,
    *,
    definite: bool = True,
) -> None:
    bot = tick.bot
    with tick.deps.uow() as uow:
        order.status = status
        order.reason = reason
        order.updated_at = tick.now
        uow.orders.save(order)
        bot.state.reason = reason
        if error is not None:
            mark_error(uow, bot, tick.now, error, cause)
        elif status is OrderStatus.REJECTED:
            alerts.after_reject(uow, bot, order, tick.now, definite=definite)
        tick.save_state(uow)
        uow.commit()


def mark_error(
    uow: UnitOfWork,
    bot: Bot,
    now: int,
    error: str,
    cause: ErrorCause = ErrorCause.CONFIGURATION,
) -> None:
    """Put the bot in error state and tell its owner (credentials, config, …)."""
    bot.state.status = BotStatus.ERROR
    bot.state.reason = error
    uow.outbox.add(event(bot, "bot_error", now, cause=cause.value, error=error))


def error_cause(e: Exception) -> ErrorCause:
    """Return why a failure stops the bot, as its owner is told."""
    if isinstance(e, AuthenticationFailed):
        return ErrorCause.CREDENTIALS
    return ErrorCause.CONFIGURATION

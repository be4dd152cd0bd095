"""Keep an open position protected by resting exit orders, and lift them to close it."""

from __future__ import annotations

from tradewind.domain.bots import BotStatus
from tradewind.domain.errors import ExchangeError, OrderRejected, OutcomeUnknown
from tradewind.domain.exits import stop_loss_level, take_profit_level
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderStatus, ProtectionRequest
from tradewind.domain.records import OrderRecord
from tradewind.ports import Exchange
from tradewind.services.tick import alerts
from tradewind.services.tick.context import Tick
from tradewind.services.tick.recording import record_report


def needs_protection(tick: Tick) -> bool:
    """Tell whether the position lacks the resting exit orders its config asks for."""
    position = tick.bot.state.position
    if position is None:
        return False
    rules = tick.bot.config.exit_rules()
    if rules.stop_loss is None and rules.take_profit is None and rules.trailing_stop is None:
        return False
    return not tick.resting(list(position.protection.values()))


def ensure_protection(tick: Tick, exchange: Exchange) -> None:
    """Place stop-loss / take-profit / trailing orders for the position unless they rest.

    Their rows are written first (SUBMITTING), as for any order: a lost answer or a crash
    leaves rows the next tick settles by client id, never an order the database lacks.
    """
    if not needs_protection(tick):
        return
    bot, cfg = tick.bot, tick.bot.config
    position = bot.state.position
    assert position is not None
    rules = cfg.exit_rules()
    wanted = {
        OrderPurpose.STOP_LOSS: rules.stop_loss,
        OrderPurpose.TAKE_PROFIT: rules.take_profit,
        OrderPurpose.TRAILING_STOP: rules.trailing_stop,
    }
    ids = {p: ClientOrderId.for_slot(bot.id, tick.slot, p) for p, v in wanted.items() if v}
    request = ProtectionRequest(
        symbol=cfg.symbol,
        position_type=cfg.position_type,
        position_side=position.side,
        quantity=position.quantity,
        entry_price=position.entry_price,
        stop_loss=stop_loss_level(position.side, position.entry_price, rules),
        take_profit=take_profit_level(position.side, position.entry_price, rules),
        trailing_rate=rules.trailing_stop,
        ids=ids,
    )
    intents = [_intent(tick, purpose, cid) for purpose, cid in ids.items()]
    with tick.deps.uow() as uow:
        uow.orders.add_all(intents)
        position.protection = {p: cid.value for p, cid in ids.items()}
        tick.save_state(uow)
        uow.commit()
    tick.open_orders.extend(intents)
    try:
        reports = {r.client_order_id.value: r for r in exchange.protect_position(request)}
    except OutcomeUnknown as e:
        _settle_intents(tick, intents, OrderStatus.UNKNOWN, f"outcome unknown: {e}")
        bot.state.reason = f"position protection sent, outcome unknown ({e}); settling next slot"
        return
    except ExchangeError as e:
        definite = isinstance(e, OrderRejected)
        _settle_intents(tick, intents, OrderStatus.REJECTED, f"not placed: {e}", definite)
        if bot.state.status is not BotStatus.ERROR:  # else the reason says why it stopped
            bot.state.reason = f"position not protected yet ({e}); retrying next slot"
        return
    with tick.deps.uow() as uow:
        refused = None
        for order in intents:
            report = reports.get(order.client_order_id)
            if report is None:
                order.status, order.updated_at = OrderStatus.REJECTED, tick.now
                order.reason = "not placed: the exchange cannot hold it beside the other exits"
                uow.orders.save(order)
                refused = order
            else:
                record_report(uow, bot, order, report)
        if refused is not None:
            alerts.after_reject(uow, bot, refused, tick.now)
        tick.save_state(uow)
        uow.commit()


def _intent(tick: Tick, purpose: OrderPurpose, client_id: ClientOrderId) -> OrderRecord:
    bot, position = tick.bot, tick.bot.state.position
    assert position is not None
    return OrderRecord(
        bot_id=bot.id, user_id=bot.user_id, client_order_id=client_id.value,
        symbol=bot.config.symbol, position_type=bot.config.position_type,
        side=position.side.exit_side, purpose=purpose, status=OrderStatus.SUBMITTING,
        requested_qty=position.quantity, slot=tick.slot, created_at=tick.now,
    )  # fmt: skip


def _settle_intents(
    tick: Tick,
    intents: list[OrderRecord],
    status: OrderStatus,
    reason: str,
    definite: bool = True,
) -> None:
    with tick.deps.uow() as uow:
        for order in intents:
            order.status, order.reason, order.updated_at = status, reason, tick.now
            uow.orders.save(order)
        if status is OrderStatus.REJECTED and intents:
            # Protective orders refused count as any refusal: alert, then stop the bot.
            alerts.after_reject(uow, tick.bot, intents[-1], tick.now, definite=definite)
        tick.save_state(uow)
        uow.commit()


def lift_protection(tick: Tick, exchange: Exchange) -> None:
    """Cancel the position's resting exit orders before closing it by signal.

    If one filled meanwhile, its fill is recorded (and the position may be gone).
    """
    bot = tick.bot
    position = bot.state.position
    if position is None:
        return
    # Only orders that may still rest: one already final (filled, cancelled, never
    # placed) has nothing to cancel, and asking for it again costs a lookup.
    open_ids = {o.client_order_id for o in tick.open_orders if not o.status.is_final}
    for client_id in [c for c in position.protection.values() if c in open_ids]:
        report = exchange.cancel_order(
            bot.config.symbol, bot.config.position_type, ClientOrderId(client_id)
        )
        with tick.deps.uow() as uow:
            order = uow.orders.get(client_id)
            if order is not None and report is not None:
                record_report(uow, bot, order, report)
                tick.recorded = True
            tick.save_state(uow)
            uow.commit()

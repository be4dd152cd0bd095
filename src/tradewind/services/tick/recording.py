"""Record what the exchange said: order row, trade, position, counters, events.

Every fill goes through `record_report`, whether it comes back from sending an order or
from reconciling one later. A trade is keyed by our client order id (a venue restarted
afresh may reuse its own order ids, never ours), so a fill seen twice changes nothing the
second time.
A spot BUY whose fee the exchange took in the base asset (Binance without BNB) opens a
position of what the account holds: the quantity less that fee, floored to the step
(docs/strategy.md, "Fees"). Its trade keeps the quantity bought, and its fee valued at the
fill price, in the quote asset, as every trade's fee is; the order row keeps the fee as
the exchange reported it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from tradewind.domain.bots import BotStatus, OpenPosition
from tradewind.domain.limits import utc_day
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import OrderPurpose, OrderReport, OrderStatus
from tradewind.domain.pnl import held_after_buy, realized_pnl
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.domain.shown import money_text, quote_of
from tradewind.domain.types import PositionSide, PositionType, Side
from tradewind.ports import Bot, UnitOfWork
from tradewind.services.tick.events import event

ZERO = Decimal(0)
_EXIT_EVENTS = {
    OrderPurpose.STOP_LOSS: "stop_loss_hit",
    OrderPurpose.TAKE_PROFIT: "take_profit_hit",
    OrderPurpose.TRAILING_STOP: "trailing_stop_hit",
}


def needs_market(order: OrderRecord, report: OrderReport) -> bool:
    """Tell whether recording this report needs the market's rules: a spot BUY's entry
    whose fee may be in the base (its position is floored to the step). The caller asks
    the exchange for them before opening the unit of work the report is recorded in."""
    return (
        order.purpose is OrderPurpose.ENTRY
        and order.position_type is PositionType.SPOT
        and order.side is Side.BUY
        and report.executed_qty > 0
        and report.fee > 0
    )


def record_report(
    uow: UnitOfWork,
    bot: Bot,
    order: OrderRecord,
    report: OrderReport,
    market: MarketRules | None,
) -> None:
    """Settle `order` from the exchange's report and apply its fill to the bot.

    `market` is the market's rules when `needs_market` says so (else unused).
    """
    apply_report(order, report)
    uow.orders.save(order)
    record_fill(uow, bot, order, report, market)


def apply_report(order: OrderRecord, report: OrderReport) -> None:
    """Copy what the exchange says of the order onto its record (not written yet)."""
    order.status = report.status
    order.exchange_order_id = report.exchange_order_id
    order.filled_qty = report.executed_qty
    order.avg_price = report.avg_price if report.executed_qty > 0 else None
    order.quote_qty = report.quote_qty
    order.fee = report.fee
    order.fee_asset = report.fee_asset
    order.raw = dict(report.raw)
    order.updated_at = report.time


def record_fill(
    uow: UnitOfWork,
    bot: Bot,
    order: OrderRecord,
    report: OrderReport,
    market: MarketRules | None,
) -> None:
    """Apply the report's fill, if any, to the bot: trade, position, counters, events."""
    if report.executed_qty <= 0 or report.status not in (
        OrderStatus.FILLED,
        OrderStatus.EXPIRED,  # a MARKET order that ran out of liquidity keeps what it filled
        OrderStatus.PARTIALLY_FILLED,
    ):
        return
    if order.purpose is OrderPurpose.ENTRY:
        _record_entry(uow, bot, order, _in_quote(order, report, market))
    else:
        _record_exit(uow, bot, order, report)


def _trade(bot: Bot, order: OrderRecord, report: OrderReport, pnl: Decimal | None) -> TradeRecord:
    return TradeRecord(
        bot_id=bot.id,
        user_id=bot.user_id,
        exchange_order_id=report.exchange_order_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        order_type="MARKET",
        purpose=order.purpose,
        price=report.avg_price,
        quantity=report.executed_qty,
        quote_quantity=report.quote_qty,
        fee=report.fee,
        fee_asset=report.fee_asset,
        realized_pnl=pnl,
        timestamp=report.time,
    )


def _in_quote(order: OrderRecord, report: OrderReport, market: MarketRules | None) -> _Entry:
    """Return the entry's fill with its fee in the quote, and the quantity it holds."""
    if needs_market(order, report):
        if market is None:
            raise ValueError(f"recording {order.client_order_id} needs the market's rules")
        if report.fee_asset == market.base_asset:
            held = held_after_buy(report.executed_qty, report.fee, market.step)
            valued = replace(
                report, fee=report.fee * report.avg_price, fee_asset=market.quote_asset
            )
            return _Entry(valued, held)
    return _Entry(report, report.executed_qty)


@dataclass(frozen=True, slots=True)
class _Entry:
    report: OrderReport  # the fee in the quote asset
    held: Decimal  # what the position holds: the quantity bought less a base-asset fee


def _record_entry(uow: UnitOfWork, bot: Bot, order: OrderRecord, entry: _Entry) -> None:
    report = entry.report
    if not uow.trades.add(_trade(bot, order, report, None)):
        return  # this fill is recorded already
    side = PositionSide.LONG if order.side is Side.BUY else PositionSide.SHORT
    state = bot.state
    state.position = OpenPosition(
        side=side,
        quantity=entry.held,
        entry_price=report.avg_price,
        entry_time=report.time,
        entry_fee=report.fee,
        entry_client_order_id=order.client_order_id,
    )
    state.status = BotStatus.IN_POSITION
    state.reason = f"{side.value} {entry.held} {bot.config.symbol} at {report.avg_price}"
    uow.counters.add(bot.id, utc_day(report.time), entries=1)
    uow.outbox.add(
        event(
            bot, "order_filled", report.time, purpose=order.purpose.value, side=order.side.value,
            quantity=report.executed_qty, price=report.avg_price, fee=report.fee,
            client_order_id=order.client_order_id,
        )
    )  # fmt: skip


def _record_exit(uow: UnitOfWork, bot: Bot, order: OrderRecord, report: OrderReport) -> None:
    position = bot.state.position
    if position is None:
        uow.trades.add(_trade(bot, order, report, None))
        return
    qty = min(report.executed_qty, position.quantity)
    # Exits are named as everywhere else (`signal`, `stop_loss`, ...), not by order purpose.
    exit_name = (order.purpose.exit_reason or order.purpose).value
    share = qty / position.quantity
    entry_fee = position.entry_fee * share
    pnl = realized_pnl(
        position.side, position.entry_price, report.avg_price, qty, entry_fee + report.fee
    )
    if not uow.trades.add(_trade(bot, order, report, pnl)):
        return
    state = bot.state
    if qty < position.quantity:
        state.position = replace(
            position, quantity=position.quantity - qty, entry_fee=position.entry_fee - entry_fee
        )
    else:
        state.position = None
        state.status = BotStatus.WAITING
        # Read by people (dashboard, `bot show`): PnL to the quote's precision, the trade
        # and the event keep it whole.
        shown = money_text(pnl, quote_of(bot.config.symbol), sign=True)
        how = "its owner" if exit_name == "manual" else exit_name
        state.reason = f"closed by {how}: PnL {shown}"
    uow.counters.add(bot.id, utc_day(report.time), realized_pnl=pnl)
    common: dict[str, object] = {
        "side": position.side.value,
        "quantity": qty,
        "entry_price": position.entry_price,
        "exit_price": report.avg_price,
        "realized_pnl": pnl,
        "reason": exit_name,
    }
    if order.purpose in _EXIT_EVENTS:
        uow.outbox.add(event(bot, _EXIT_EVENTS[order.purpose], report.time, **common))
    uow.outbox.add(event(bot, "position_closed", report.time, **common))

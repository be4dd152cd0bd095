"""Protective exit orders: a group per position, one filling cancels the others.

A group rests from the moment it is placed and is watched candle by candle from the 1m
candle that contains that moment (the entry candle counts). In each candle the levels of
its still-resting orders are checked with `exit_at_levels` (the domain's rule) against the
trailing peak known at the end of the previous candle, then the peak is updated with the
candle (`updated_peak`). A fired order fills at its level, or at the candle's open after a
gap, at the candle's open time; the others are CANCELED.

Spot: a group holds what a Binance spot OCO holds — one stop (fixed or trailing) and one
take-profit — and locks the base it will sell; a SELL by MARKET needs the group cancelled
first. A spot request with both a stop-loss and a trailing stop is refused, as Binance
would (the `Exchange` adapter rests the one `spot_restable` picks; the bot watches the
other). Futures: the orders are reduce-only; they are
CANCELED when the position they protect closes some other way, and a trailing peak starts
at the entry price of the request even when the group is placed later.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.book import Book
from tradewind.adapters.exchange.simulated.errors import Refusal, invalid, refused
from tradewind.adapters.exchange.simulated.feed import MINUTE, Bar
from tradewind.adapters.exchange.simulated.futures import fill_futures_market
from tradewind.adapters.exchange.simulated.spot import fill_locked_sell, lock_base, unlock_base
from tradewind.adapters.exchange.simulated.state import Account, ProtectionGroup, SimOrder
from tradewind.adapters.exchange.simulated.triggers import exit_at_levels, updated_peak
from tradewind.domain.orders import OrderPurpose, OrderStatus, ProtectionRequest
from tradewind.domain.types import ExitReason, PositionSide, PositionType

# The trailing distances a spot stop may rest with, as Binance spot takes them (trailingDelta
# 10-2000 basis points); a wider trailing stop beside a stop-loss is watched by the bot.
SPOT_TRAILING_RATE = (Decimal("0.001"), Decimal("0.2"))
_PURPOSES = (OrderPurpose.STOP_LOSS, OrderPurpose.TAKE_PROFIT, OrderPurpose.TRAILING_STOP)
_LEVEL_FIELD = {
    OrderPurpose.STOP_LOSS: "stop_loss",
    OrderPurpose.TAKE_PROFIT: "take_profit",
    OrderPurpose.TRAILING_STOP: "trailing_rate",
}
_PURPOSE_OF = {
    ExitReason.STOP_LOSS: OrderPurpose.STOP_LOSS,
    ExitReason.TAKE_PROFIT: OrderPurpose.TAKE_PROFIT,
    ExitReason.TRAILING_STOP: OrderPurpose.TRAILING_STOP,
}


def _check_request(request: ProtectionRequest) -> list[OrderPurpose]:
    levels = {
        OrderPurpose.STOP_LOSS: request.stop_loss,
        OrderPurpose.TAKE_PROFIT: request.take_profit,
        OrderPurpose.TRAILING_STOP: request.trailing_rate,
    }
    wanted = [p for p in _PURPOSES if levels[p] is not None]
    if not wanted:
        raise invalid("levels", "no stop-loss, take-profit or trailing rate")
    for purpose in wanted:
        if purpose not in request.ids:
            raise invalid("ids", f"no client order id for {purpose}")
        level = levels[purpose]
        assert level is not None
        if not level.is_finite() or level <= 0:
            raise invalid(_LEVEL_FIELD[purpose], f"{purpose} level {level} is not positive")
    rate = request.trailing_rate
    if rate is not None and rate >= 1:
        raise invalid("trailing_rate", f"trailing rate {rate} is not below 1")
    if not request.quantity.is_finite() or request.quantity <= 0:
        raise invalid("quantity", f"{request.quantity} is not positive")
    if not request.entry_price.is_finite() or request.entry_price <= 0:
        raise invalid("entry_price", f"{request.entry_price} is not positive")
    return wanted


def _resting(account: Account, group: ProtectionGroup) -> dict[OrderPurpose, SimOrder]:
    return {
        purpose: order
        for purpose, order_id in group.orders.items()
        if (order := account.orders[order_id]).resting
    }


def groups_at(
    account: Account, symbol: str, position_type: PositionType, bar: Bar
) -> list[ProtectionGroup]:
    """Return the groups of this market watched in `bar` (placed before its close), oldest first."""
    return [
        g
        for g in sorted(account.groups.values(), key=lambda g: g.group_id)
        if g.symbol == symbol
        and g.position_type is position_type
        and g.placed_at - g.placed_at % MINUTE <= bar.open_time
    ]


def exit_in_bar(
    account: Account, group: ProtectionGroup, bar: Bar
) -> tuple[Decimal, OrderPurpose] | None:
    """Return where and which of the group's resting orders fires in `bar`, if one does."""
    resting = _resting(account, group)
    hit = exit_at_levels(
        group.side,
        group.stop_loss if OrderPurpose.STOP_LOSS in resting else None,
        group.take_profit if OrderPurpose.TAKE_PROFIT in resting else None,
        group.trailing_rate if OrderPurpose.TRAILING_STOP in resting else None,
        group.peak,
        bar.open,
        bar.high,
        bar.low,
    )
    return None if hit is None else (hit[0], _PURPOSE_OF[hit[1]])


class ExitOrders:
    """Rests, cancels and fires the protection groups of the venue's accounts.

    Works on the venue's book under the venue's lock; candle by candle, the venue asks
    `groups_at` and `exit_in_bar` which group fires, then `fire` or `carry_peak`.
    """

    def __init__(self, book: Book) -> None:
        self._book = book

    def place(self, account: Account, request: ProtectionRequest, now: int) -> list[SimOrder]:
        """Rest a protection group for one position and return its orders (status NEW)."""
        rules = self._book.rules(request.symbol, request.position_type)
        wanted = _check_request(request)
        futures = request.position_type is PositionType.FUTURES
        for purpose in wanted:
            existing = account.find(
                request.position_type, request.symbol, request.ids[purpose].value
            )
            if existing is not None and existing.resting:
                raise refused(
                    Refusal.DUPLICATE_CLIENT_ID,
                    request.position_type,
                    f"an open order has client order id {existing.client_order_id}",
                    value=existing.client_order_id,
                )
        if futures:
            position = account.positions.get(request.symbol)
            if position is None or position.side is not request.position_side:
                raise refused(
                    Refusal.WOULD_NOT_REDUCE,
                    request.position_type,
                    f"no {request.position_side.value} {request.symbol} position to protect",
                )
        elif request.position_side is not PositionSide.LONG:
            raise invalid("position_side", "a spot position can only be long")
        elif OrderPurpose.STOP_LOSS in wanted and OrderPurpose.TRAILING_STOP in wanted:
            # As Binance spot: one OCO per position, one stop below the price.
            raise invalid(
                "trailing_rate",
                "spot holds one stop per position (an OCO: a stop below the price, a "
                "take-profit above); a stop-loss and a trailing stop cannot both rest",
            )
        elif request.trailing_rate is not None and not (
            SPOT_TRAILING_RATE[0] <= request.trailing_rate <= SPOT_TRAILING_RATE[1]
        ):
            low, high = SPOT_TRAILING_RATE
            raise invalid(
                "trailing_rate",
                f"a spot trailing stop of {request.trailing_rate:%} is outside "
                f"{low:%}-{high:%} (Binance spot's trailingDelta of 10-2000 BIPS)",
            )
        else:
            lock_base(account, rules, request.quantity)
        group = ProtectionGroup(
            group_id=self._book.next_group_id(),
            symbol=request.symbol,
            position_type=request.position_type,
            side=request.position_side,
            quantity=request.quantity,
            stop_loss=request.stop_loss,
            take_profit=request.take_profit,
            trailing_rate=request.trailing_rate,
            peak=request.entry_price,
            placed_at=now,
        )
        orders = []
        for purpose in wanted:
            order = self._book.new_order(
                account,
                request.ids[purpose].value,
                rules,
                request.position_side.exit_side,
                request.quantity,
                now,
                purpose=purpose,
                reduce_only=futures,
            )
            order.group_id = group.group_id
            if purpose is OrderPurpose.STOP_LOSS:
                order.stop_price = request.stop_loss
            elif purpose is OrderPurpose.TAKE_PROFIT:
                order.stop_price = request.take_profit
            else:
                order.trailing_rate = request.trailing_rate
            group.orders[purpose] = order.order_id
            orders.append(order)
        account.groups[group.group_id] = group
        return orders

    def _retire(
        self, account: Account, group: ProtectionGroup, status: OrderStatus, at: int
    ) -> None:
        """End every resting order of `group` with `status` and release what it held."""
        for order in _resting(account, group).values():
            self._book.end(order, status, at)
        del account.groups[group.group_id]
        if group.position_type is PositionType.SPOT:
            unlock_base(
                account, self._book.rules(group.symbol, group.position_type), group.quantity
            )

    def cancel(
        self, account: Account, symbol: str, position_type: PositionType, client_id: str, now: int
    ) -> SimOrder | None:
        """Cancel a resting order; return it (as it stands when already final), None if unknown."""
        order = account.find(position_type, symbol, client_id)
        if order is None or not order.resting:
            return order
        group = account.groups.get(order.group_id) if order.group_id is not None else None
        self._book.end(order, OrderStatus.CANCELED, now)
        if group is not None and not _resting(account, group):
            self._retire(account, group, OrderStatus.CANCELED, now)
        return order

    def cancel_groups(self, account: Account, symbol: str, at: int) -> None:
        """Cancel the futures groups of `symbol` (its position closed some other way)."""
        for group in list(account.groups.values()):
            if group.symbol == symbol and group.position_type is PositionType.FUTURES:
                self._retire(account, group, OrderStatus.CANCELED, at)

    def carry_peak(self, group: ProtectionGroup, bar: Bar) -> None:
        """Update the group's trailing peak with a candle in which nothing fired."""
        peak = updated_peak(group.side, group.peak, bar.high, bar.low)
        if peak != group.peak:
            group.peak = peak
            self._book.dirty = True

    def fire(
        self,
        account: Account,
        group: ProtectionGroup,
        purpose: OrderPurpose,
        price: Decimal,
        at: int,
    ) -> None:
        """Fill the group's `purpose` order at `price` and cancel the others."""
        rules = self._book.rules(group.symbol, group.position_type)
        order = account.orders[group.orders[purpose]]
        rate = self._book.fee_rate(group.position_type)
        realized = None
        if group.position_type is PositionType.SPOT:
            quantity, fee = (
                group.quantity,
                fill_locked_sell(account, rules, group.quantity, price, rate),
            )
        else:
            position = account.positions.get(group.symbol)
            if position is None or position.side is not group.side:
                self._retire(account, group, OrderStatus.EXPIRED, at)
                return
            quantity, fee, realized = fill_futures_market(
                account,
                rules,
                order.side,
                min(group.quantity, position.quantity),
                price,
                rate,
                True,
            )
        self._book.fill(order, quantity, price, fee, at)
        if realized is not None:
            order.realized_pnl = realized
        for other in _resting(account, group).values():
            self._book.end(other, OrderStatus.CANCELED, at)
        del account.groups[group.group_id]
        if group.position_type is PositionType.FUTURES and group.symbol not in account.positions:
            self.cancel_groups(account, group.symbol, at)

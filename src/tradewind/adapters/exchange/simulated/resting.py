"""Orders that rest on the venue's book: LIMIT, post-only LIMIT_MAKER, stop-limit and
take-profit-limit, and (futures) conditional MARKET orders that open as well as close.

Where and when they fill is `fill_rule` (docs/strategy.md "Resting orders"). Fees are the
venue's one rate of the market (it models no separate maker rate), taken as for a MARKET
fill; a fill from the book is marked `maker`.

What an order sets aside while it rests is `reservations`; it is given back when the
order fills or ends, and the fill is then paid from the free balance as a MARKET fill is.
Futures margin is checked again at the fill: a fill the margin no longer covers, or a
reduce-only fill with nothing to reduce, EXPIRES the order, as Binance expires such
orders. A limit order's quantity may reach the limit maximum (`lots.py`), above a
MARKET order's.

Every fill is the whole order (or, reduce-only, the whole position) at one price, so IOC
and FOK behave alike: the order fills at once when it crosses, else it EXPIRES.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated import errors, reservations
from tradewind.adapters.exchange.simulated.book import Book
from tradewind.adapters.exchange.simulated.feed import MINUTE, Bar, PriceFeed, fill_price
from tradewind.adapters.exchange.simulated.fill_rule import (
    crosses,
    resting_fill,
    trigger_in_bar,
    triggers_now,
)
from tradewind.adapters.exchange.simulated.futures import check_futures_order, fill_futures_market
from tradewind.adapters.exchange.simulated.protection import ExitOrders
from tradewind.adapters.exchange.simulated.resting_request import RestingRequest, check_request
from tradewind.adapters.exchange.simulated.spot import check_spot_order, fill_spot_market
from tradewind.adapters.exchange.simulated.state import (
    ZERO,
    Account,
    Position,
    RestingKind,
    SimOrder,
    TimeInForce,
)
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import OrderStatus
from tradewind.domain.types import PositionType


class RestingOrders:
    """Places, cancels and fills the resting orders of the venue's accounts.

    Works on the venue's book under the venue's lock; candle by candle, the venue calls
    `apply_bar` for each account and market that has working orders.
    """

    def __init__(
        self, book: Book, feed: PriceFeed, exits: ExitOrders, market_end: int | None = None
    ) -> None:
        self._book = book
        self._feed = feed
        self._exits = exits
        self._market_end = market_end

    def place(self, account: Account, request: RestingRequest, now: int) -> SimOrder:
        """Place one order: filled at once when it crosses, else resting (or EXPIRED: IOC/FOK).

        Raises a `VenueRejection` (nothing placed) when a rule, the balance or the margin
        says no, a LIMIT_MAKER would take or a stop would trigger at once.
        """
        rules, price = self._checked(account, request, now)
        kind = request.kind
        if not kind.conditional:
            assert request.limit_price is not None
            if crosses(request.side, request.limit_price, price):
                if kind is RestingKind.LIMIT_MAKER:
                    raise errors.refused(
                        errors.Refusal.WOULD_TAKE,
                        request.position_type,
                        f"{request.side.value} {request.symbol} at {request.limit_price} "
                        f"would trade at once at {price}",
                    )
                return self._taker_fill(account, rules, request, price, now)
            if request.time_in_force is not TimeInForce.GTC:
                order = self._new(account, rules, request, now)
                self._book.end(order, OrderStatus.EXPIRED, now)
                return order
        reserved = reservations.reservation(account, rules, request, price)
        order = self._new(account, rules, request, now)
        reservations.lock(account, rules, order, reserved)
        return order

    def place_list(
        self, account: Account, first: RestingRequest, second: RestingRequest, now: int
    ) -> tuple[SimOrder, SimOrder]:
        """Rest two orders of one side as a one-cancels-other list; neither may fill at once."""
        if (first.symbol, first.position_type, first.side, first.quantity) != (
            second.symbol, second.position_type, second.side, second.quantity,
        ):  # fmt: skip
            raise errors.invalid("legs", "both legs trade the same quantity on the same side")
        if first.client_order_id == second.client_order_id:
            raise errors.invalid("ids", "the legs need client order ids of their own")
        checked = [self._checked(account, leg, now, in_list=True) for leg in (first, second)]
        rules, price = checked[0]
        for leg in (first, second):
            if not leg.kind.conditional:
                assert leg.limit_price is not None
                if leg.kind is not RestingKind.LIMIT_MAKER:
                    raise errors.invalid("kind", "a list's limit leg is a LIMIT_MAKER")
                if crosses(leg.side, leg.limit_price, price):
                    raise errors.refused(
                        errors.Refusal.WOULD_TAKE,
                        leg.position_type,
                        f"the list's LIMIT_MAKER at {leg.limit_price} would trade at once",
                    )
        reserved = max(
            reservations.reservation(account, rules, leg, price) for leg in (first, second)
        )
        group = self._book.next_group_id()
        a = self._new(account, rules, first, now)
        b = self._new(account, rules, second, now)
        a.group_id = b.group_id = group
        a.partner_id, b.partner_id = b.order_id, a.order_id
        reservations.lock(account, rules, a, reserved)
        return a, b

    def cancel(self, account: Account, order: SimOrder, now: int) -> None:
        """Cancel a resting order, and the other leg of its list."""
        if not order.resting:
            return
        rules = self._book.rules(order.symbol, order.position_type)
        self._release(account, rules, order)
        self._book.end(order, OrderStatus.CANCELED, now)
        self._end_partner(account, order, now)

    def apply_bar(self, account: Account, rules: MarketRules, bar: Bar) -> None:
        """Trigger and fill the account's working orders of this market in one closed candle."""
        for order in working_at(account, rules.symbol, rules.position_type, bar):
            if not order.resting:
                continue  # its list's other leg ended it earlier in this candle
            kind, side = order.kind, order.side
            assert kind is not None
            if kind.conditional and not order.triggered:
                assert order.stop_price is not None
                price = trigger_in_bar(kind, side, order.stop_price, bar.open, bar.high, bar.low)
                if price is None:
                    continue
                order.triggered = True
                order.updated_at = bar.open_time
                self._book.dirty = True
                self._end_partner(account, order, bar.open_time)
                limit = order.limit_price
                if limit is None or crosses(side, limit, price):
                    self._execute(account, rules, order, price, bar.open_time, maker=False)
                continue  # a triggered limit that does not cross rests from the next candle
            assert order.limit_price is not None
            price = resting_fill(side, order.limit_price, bar.high, bar.low)
            if price is not None:
                self._execute(account, rules, order, price, bar.open_time, maker=True)

    # --- placing -----------------------------------------------------------------------------

    def _checked(
        self, account: Account, request: RestingRequest, now: int, in_list: bool = False
    ) -> tuple[MarketRules, Decimal]:
        """Check a request against the rules; return the rules and the market price now."""
        check_request(request, in_list)
        rules = self._book.rules(request.symbol, request.position_type)
        existing = account.find(request.position_type, request.symbol, request.client_order_id)
        if existing is not None and existing.resting:
            raise errors.refused(
                errors.Refusal.DUPLICATE_CLIENT_ID,
                request.position_type,
                f"an open order has client order id {request.client_order_id}",
                value=request.client_order_id,
            )
        if self._market_end is not None and now >= self._market_end:
            raise errors.VenueTemporaryError(f"the replayed market of {request.symbol} has ended")
        price = fill_price(self._feed, request.symbol, request.position_type, now)
        if price is None:
            raise errors.VenueTemporaryError(f"no {request.symbol} price at {now} in the feed")
        at = request.limit_price or request.stop_price
        assert at is not None
        limit_order = request.kind.limit  # LOT_SIZE's maximum, not MARKET_LOT_SIZE's
        if request.position_type is PositionType.SPOT:
            check_spot_order(rules, request.quantity, at, limit_order=limit_order)
        else:
            check_futures_order(
                rules, request.quantity, at, request.reduce_only, limit_order=limit_order
            )
        if request.kind.conditional:
            assert request.stop_price is not None
            if triggers_now(request.kind, request.side, request.stop_price, price):
                raise errors.refused(
                    errors.Refusal.WOULD_TRIGGER,
                    request.position_type,
                    f"stop {request.stop_price} is reached at the price now, {price}",
                )
        return rules, price

    def _new(
        self, account: Account, rules: MarketRules, request: RestingRequest, now: int
    ) -> SimOrder:
        order = self._book.new_order(
            account,
            request.client_order_id,
            rules,
            request.side,
            request.quantity,
            now,
            reduce_only=request.reduce_only,
        )
        order.kind = request.kind
        order.limit_price = request.limit_price
        order.stop_price = request.stop_price
        order.time_in_force = request.time_in_force if request.kind.limit else None
        account.working[order.order_id] = order
        return order

    def _taker_fill(
        self,
        account: Account,
        rules: MarketRules,
        request: RestingRequest,
        price: Decimal,
        now: int,
    ) -> SimOrder:
        """Fill a crossing LIMIT at the market price now; a refusal leaves nothing placed."""
        rate = self._book.fee_rate(rules.position_type)
        realized = ZERO
        fee_asset = ""  # the quote; a spot BUY's fee is in the base (docs/strategy.md, "Fees")
        if rules.position_type is PositionType.SPOT:
            fee, fee_asset = fill_spot_market(
                account, rules, request.side, request.quantity, price, rate
            )
            executed = request.quantity
        else:
            before = account.positions.get(rules.symbol)
            executed, fee, realized = fill_futures_market(
                account, rules, request.side, request.quantity, price, rate, request.reduce_only
            )
            self._after_futures_fill(account, rules, before, now)
        order = self._new(account, rules, request, now)
        self._book.fill(order, executed, price, fee, now, fee_asset)
        order.realized_pnl = realized
        return order

    # --- filling -----------------------------------------------------------------------------

    def _execute(
        self,
        account: Account,
        rules: MarketRules,
        order: SimOrder,
        price: Decimal,
        at: int,
        maker: bool,
    ) -> None:
        """Fill a working order whole at `price`; EXPIRE it when funds or position say no."""
        self._release(account, rules, order)
        self._end_partner(account, order, at)
        rate = self._book.fee_rate(rules.position_type)
        realized = ZERO
        fee_asset = ""  # the quote; a spot BUY's fee is in the base (docs/strategy.md, "Fees")
        try:
            if rules.position_type is PositionType.SPOT:
                fee, fee_asset = fill_spot_market(
                    account, rules, order.side, order.quantity, price, rate
                )
                executed = order.quantity
            else:
                before = account.positions.get(rules.symbol)
                executed, fee, realized = fill_futures_market(
                    account, rules, order.side, order.quantity, price, rate, order.reduce_only
                )
                self._after_futures_fill(account, rules, before, at)
        except errors.VenueRejection:
            self._book.end(order, OrderStatus.EXPIRED, at)
            return
        self._book.fill(order, executed, price, fee, at, fee_asset)
        order.realized_pnl = realized
        order.maker = maker

    def _after_futures_fill(
        self, account: Account, rules: MarketRules, before: Position | None, at: int
    ) -> None:
        """End the protection groups of a position the fill closed or turned round."""
        after = account.positions.get(rules.symbol)
        if before is not None and (after is None or after.side is not before.side):
            self._exits.cancel_groups(account, rules.symbol, at)

    def _release(self, account: Account, rules: MarketRules, order: SimOrder) -> None:
        """Give back what the order (and its list's other leg) set aside."""
        legs = [order]
        if order.partner_id is not None:
            legs.append(account.orders[order.partner_id])
        for leg in legs:
            if reservations.release(account, rules, leg):
                self._book.dirty = True

    def _end_partner(self, account: Account, order: SimOrder, at: int) -> None:
        if order.partner_id is None:
            return
        partner = account.orders[order.partner_id]
        if partner.resting:
            rules = self._book.rules(order.symbol, order.position_type)
            self._release(account, rules, partner)
            self._book.end(partner, OrderStatus.CANCELED, at)


def working_at(
    account: Account, symbol: str, position_type: PositionType, bar: Bar
) -> list[SimOrder]:
    """Return the working orders of this market placed before `bar` closed, oldest first."""
    return sorted(
        (
            o
            for o in account.working.values()
            if o.resting
            and o.symbol == symbol
            and o.position_type is position_type
            and o.created_at - o.created_at % MINUTE <= bar.open_time
        ),
        key=lambda o: o.order_id,
    )


def working_markets(account: Account) -> set[tuple[str, PositionType]]:
    """Return the markets of the account's working orders, dropping the ones that ended."""
    for order_id in [i for i, o in account.working.items() if not o.resting]:
        del account.working[order_id]
    return {(o.symbol, o.position_type) for o in account.working.values()}

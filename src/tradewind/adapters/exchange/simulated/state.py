"""The simulated venue's records: wallets, positions, orders and protection groups.

Plain mutable dataclasses, owned by the venue and changed only under its lock. Money is
`Decimal`; times are Unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.types import PositionSide, PositionType, Side, Symbol

ZERO = Decimal(0)


@dataclass(slots=True)
class Balance:
    """A spot asset: free to use, and locked by resting (protective) orders."""

    free: Decimal = ZERO
    locked: Decimal = ZERO


@dataclass(slots=True)
class Position:
    """A one-way linear futures position (margined in its quote asset).

    `cost` is the sum of quantity x fill price of the open quantity, so the entry price is
    `cost / quantity` (weighted on adds) and realized PnL over a whole position telescopes
    exactly to sells minus buys.
    """

    symbol: Symbol
    quote_asset: str
    side: PositionSide
    quantity: Decimal
    cost: Decimal
    margin: Decimal  # the initial margin set aside for it (its isolated wallet when isolated)
    isolated: bool

    @property
    def entry_price(self) -> Decimal:
        return self.cost / self.quantity


class RestingKind(StrEnum):
    """An order that rests on the venue's book until the candles reach it (`resting.py`).

    The STOP kinds wait for the price to move against the order's side (a SELL for a
    fall, a BUY for a rise), the TAKE_PROFIT kinds for the other way; once triggered, the
    `_LIMIT` kinds become a LIMIT at their limit price, the `_MARKET` kinds fill at once.
    """

    LIMIT = "limit"
    LIMIT_MAKER = "limit_maker"  # refused when it would fill at once (post-only)
    STOP_LIMIT = "stop_limit"
    TAKE_PROFIT_LIMIT = "take_profit_limit"
    STOP_MARKET = "stop_market"
    TAKE_PROFIT_MARKET = "take_profit_market"

    @property
    def conditional(self) -> bool:
        return self not in (RestingKind.LIMIT, RestingKind.LIMIT_MAKER)

    @property
    def limit(self) -> bool:
        """Whether the order has a limit price (it fills at once only when it crosses)."""
        return self not in (RestingKind.STOP_MARKET, RestingKind.TAKE_PROFIT_MARKET)


class TimeInForce(StrEnum):
    """How long a LIMIT order lives: resting until cancelled, or only at placement."""

    GTC = "GTC"
    IOC = "IOC"  # fill what crosses now, expire the rest (every fill here is whole)
    FOK = "FOK"  # fill all now or nothing


@dataclass(slots=True)
class SimOrder:
    """One order as the venue keeps it; every report is built from this record."""

    order_id: int
    client_order_id: str
    symbol: Symbol
    position_type: PositionType
    side: Side
    status: OrderStatus
    quantity: Decimal
    quote_asset: str
    created_at: int
    updated_at: int
    purpose: OrderPurpose | None = None  # set for protective orders (and liquidations)
    reduce_only: bool = False
    executed_qty: Decimal = ZERO
    price: Decimal = ZERO  # the fill price (every fill of the simulation is one price)
    fee: Decimal = ZERO
    fee_asset: str = ""  # the asset the fee was paid in ("" before a fill: the quote)
    trade_id: int | None = None
    stop_price: Decimal | None = None  # a stop-loss or take-profit level
    trailing_rate: Decimal | None = None
    group_id: int | None = None  # the protection group it belongs to
    liquidation: bool = False
    realized_pnl: Decimal = ZERO  # futures: PnL of the part that closed a position, before fees
    # Resting orders of `resting.py` (None for MARKET orders and protection groups):
    kind: RestingKind | None = None
    limit_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    triggered: bool = False  # a conditional kind whose stop price was reached
    partner_id: int | None = None  # the other leg of a one-cancels-other list
    # While it rests: spot, the quote (BUY) or base (SELL) locked; futures, the initial
    # margin set aside for a LIMIT that may open (simulated/reservations.py).
    reserved: Decimal = ZERO
    maker: bool = False  # filled while resting on the book (not at placement)

    @property
    def quote_qty(self) -> Decimal:
        return self.executed_qty * self.price

    @property
    def resting(self) -> bool:
        return self.status is OrderStatus.NEW

    @property
    def commission_asset(self) -> str:
        """Return the asset its fee is paid in: the base for a spot BUY, else the quote."""
        return self.fee_asset or self.quote_asset


@dataclass(slots=True)
class ProtectionGroup:
    """Protective exit orders for one position; the first to fill cancels the others.

    Watched candle by candle from the candle that contains `placed_at`; `peak` is the best
    price known at the end of the last candle applied (the entry price before the first).
    """

    group_id: int
    symbol: Symbol
    position_type: PositionType
    side: PositionSide
    quantity: Decimal
    stop_loss: Decimal | None
    take_profit: Decimal | None
    trailing_rate: Decimal | None
    peak: Decimal
    placed_at: int
    orders: dict[OrderPurpose, int] = field(default_factory=dict)  # purpose -> order id


@dataclass(slots=True)
class Account:
    """One paper account: a spot wallet and a futures wallet with its positions."""

    account_id: int
    spot: dict[str, Balance] = field(default_factory=dict)
    futures: dict[str, Decimal] = field(default_factory=dict)  # wallet balance per asset
    leverage: dict[str, int] = field(default_factory=dict)
    isolated: dict[str, bool] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[int, SimOrder] = field(default_factory=dict)
    # (market, symbol, client order id) -> the newest order with that id
    client_ids: dict[tuple[PositionType, str, str], int] = field(default_factory=dict)
    groups: dict[int, ProtectionGroup] = field(default_factory=dict)  # resting groups only
    # Resting orders of `resting.py` by id (not saved: rebuilt from the orders on load);
    # an order that ended stays until the next catch-up drops it.
    working: dict[int, SimOrder] = field(default_factory=dict)
    # The margin resting futures orders hold, by asset: kept as they rest and end (not
    # saved: rebuilt from the orders on load), so `available` needs no walk of the orders.
    order_margins: dict[str, Decimal] = field(default_factory=dict)

    def balance(self, asset: str) -> Balance:
        """Return the spot balance of `asset`, created empty on first use."""
        return self.spot.setdefault(asset, Balance())

    def margin_in_use(self, asset: str) -> Decimal:
        """Return the initial margin of the open positions settled in `asset`."""
        return sum(
            (p.margin for p in self.positions.values() if p.quote_asset == asset), start=ZERO
        )

    def order_margin(self, asset: str, symbol: str | None = None) -> Decimal:
        """Return the margin set aside by resting futures orders settled in `asset` (of one
        symbol: a walk of the orders)."""
        if symbol is None:
            return self.order_margins.get(asset, ZERO)
        return sum(
            (
                o.reserved
                for o in self.working.values()
                if o.position_type is PositionType.FUTURES
                and o.resting
                and o.quote_asset == asset
                and o.symbol == symbol
            ),
            start=ZERO,
        )

    def hold_order_margin(self, order: SimOrder, amount: Decimal) -> None:
        """Set the margin a resting futures `order` holds (zero: gives it back)."""
        asset = order.quote_asset
        self.order_margins[asset] = self.order_margins.get(asset, ZERO) - order.reserved + amount
        order.reserved = amount

    def available(self, asset: str) -> Decimal:
        """Return the futures balance free for new positions and orders: the wallet less
        the margin of the open positions and of the resting orders."""
        return self.futures.get(asset, ZERO) - self.margin_in_use(asset) - self.order_margin(asset)

    def add_order(self, order: SimOrder) -> None:
        """Keep `order` and index it by client order id."""
        self.orders[order.order_id] = order
        if order.kind is not None and order.resting:
            self.working[order.order_id] = order
            if order.position_type is PositionType.FUTURES and order.reserved:
                asset = order.quote_asset  # a loaded order: the margin it held
                self.order_margins[asset] = self.order_margins.get(asset, ZERO) + order.reserved
        key = (order.position_type, order.symbol, order.client_order_id)
        self.client_ids[key] = order.order_id

    def find(self, position_type: PositionType, symbol: str, client_id: str) -> SimOrder | None:
        """Return the newest order with this client order id, if any."""
        order_id = self.client_ids.get((position_type, symbol, client_id))
        return None if order_id is None else self.orders[order_id]

"""The venue's whole state: accounts, id counters, how far the market has been applied.

Everything here is saved in a snapshot; the rules and fee rates are configuration.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tradewind.adapters.exchange.simulated.errors import VenueUnknownSymbol
from tradewind.adapters.exchange.simulated.state import Account, SimOrder
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.params import DEFAULT_TAKER_FEE
from tradewind.domain.types import PositionType, Side

RulesSource = Callable[[str, PositionType], MarketRules]


@dataclass(slots=True)
class Counters:
    """Next ids. Order ids are sequential from a seeded start, like a venue's own."""

    order_id: int
    trade_id: int
    transfer_id: int
    group_id: int

    @classmethod
    def seeded(cls, rng: random.Random) -> Counters:
        """Return counters that start at seeded, realistic-looking values."""
        return cls(
            order_id=rng.randrange(1_000_000, 9_000_000),
            trade_id=rng.randrange(100_000, 900_000),
            transfer_id=rng.randrange(10_000_000, 90_000_000),
            group_id=rng.randrange(1_000, 9_000),
        )


@dataclass(slots=True)
class Book:
    """Accounts and counters of one simulated venue, and the rules and fees it applies."""

    rules_source: RulesSource
    rng: random.Random
    counters: Counters
    fee_rates: Mapping[PositionType, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_TAKER_FEE)
    )
    accounts: dict[int, Account] = field(default_factory=dict)
    processed_until: int | None = None  # open time of the first 1m candle not yet applied
    dirty: bool = False  # changed since the last snapshot

    def rules(self, symbol: str, position_type: PositionType) -> MarketRules:
        """Return the symbol's rules; `VenueUnknownSymbol` for one the market does not have."""
        try:
            return self.rules_source(symbol, position_type)
        except VenueUnknownSymbol:
            raise
        except ConfigurationError as e:
            raise VenueUnknownSymbol(symbol, str(e)) from e

    def fee_rate(self, position_type: PositionType) -> Decimal:
        """Return the taker fee rate of the market."""
        return self.fee_rates[position_type]

    def next_order_id(self) -> int:
        """Take the next exchange order id."""
        self.counters.order_id += 1
        return self.counters.order_id

    def next_trade_id(self) -> int:
        """Take the next trade id."""
        self.counters.trade_id += 1
        return self.counters.trade_id

    def next_transfer_id(self) -> int:
        """Take the next wallet transfer id."""
        self.counters.transfer_id += 1
        return self.counters.transfer_id

    def next_group_id(self) -> int:
        """Take the next protection group id."""
        self.counters.group_id += 1
        return self.counters.group_id

    def new_order(
        self,
        account: Account,
        client_order_id: str,
        rules: MarketRules,
        side: Side,
        quantity: Decimal,
        now: int,
        purpose: OrderPurpose | None = None,
        reduce_only: bool = False,
    ) -> SimOrder:
        """Create a NEW order with the next id and keep it in `account`."""
        order = SimOrder(
            order_id=self.next_order_id(),
            client_order_id=client_order_id,
            symbol=rules.symbol,
            position_type=rules.position_type,
            side=side,
            status=OrderStatus.NEW,
            quantity=quantity,
            quote_asset=rules.quote_asset,
            created_at=now,
            updated_at=now,
            purpose=purpose,
            reduce_only=reduce_only,
        )
        account.add_order(order)
        self.dirty = True
        return order

    def fill(
        self,
        order: SimOrder,
        quantity: Decimal,
        price: Decimal,
        fee: Decimal,
        at: int,
        fee_asset: str = "",
    ) -> None:
        """Mark `order` FILLED by one trade of `quantity` at `price`; `fee` in `fee_asset`
        (the quote when not named)."""
        order.status = OrderStatus.FILLED
        order.executed_qty = quantity
        order.price = price
        order.fee = fee
        order.fee_asset = fee_asset or order.quote_asset
        order.trade_id = self.next_trade_id()
        order.updated_at = at
        self.dirty = True

    def end(self, order: SimOrder, status: OrderStatus, at: int) -> None:
        """Close a resting order without a fill (CANCELED or EXPIRED)."""
        order.status = status
        order.updated_at = at
        self.dirty = True

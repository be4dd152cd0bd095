"""An instrument's trading rules, in the venue-neutral words of the domain.

A rule value of zero means "no rule" (Binance publishes e.g. a MARKET_LOT_SIZE step of
0.00000000 to say the LOT_SIZE step applies).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradewind.domain.errors import DomainError
from tradewind.domain.types import PositionType, Symbol

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class MarketRules:
    """Limits an order must meet to be accepted, with market-order overrides folded in.

    `step`, `min_qty` and `max_qty` are those that apply to MARKET orders: the market lot
    rule where it sets a value, else the general lot rule.
    """

    symbol: Symbol
    position_type: PositionType
    base_asset: str
    quote_asset: str
    tick_size: Decimal = ZERO
    step: Decimal = ZERO
    min_qty: Decimal = ZERO
    max_qty: Decimal = ZERO
    min_notional: Decimal = ZERO
    max_notional: Decimal = ZERO
    max_leverage: int = 0  # 0 = unknown / not applicable (spot)

    def __post_init__(self) -> None:
        for name in ("tick_size", "step", "min_qty", "max_qty", "min_notional", "max_notional"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise DomainError(
                    f"MarketRules.{name} must be a finite Decimal >= 0, got {value!r}"
                )
        if self.max_qty and self.min_qty > self.max_qty:
            raise DomainError(f"MarketRules for {self.symbol}: min_qty > max_qty")
        if self.max_leverage < 0:
            raise DomainError(f"MarketRules.max_leverage must be >= 0, got {self.max_leverage}")

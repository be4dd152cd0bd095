"""Validated parameter objects the domain rules take. Built from a `BotConfig` at the edge.

Percent fields of the product (`custom_stop_loss = 2` means 2%) arrive here as fractions
(`Decimal("0.02")`), so no rule below ever divides by 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradewind.domain.errors import DomainError
from tradewind.domain.types import PositionType

MAX_LEVERAGE = 50
# The most leverage any venue offers (Binance USDⓈ-M, on its largest symbols).
MAX_VENUE_LEVERAGE = 125
DEFAULT_QUOTE_AMOUNT = Decimal(25)
DEFAULT_TAKER_FEE = {PositionType.SPOT: Decimal("0.001"), PositionType.FUTURES: Decimal("0.0004")}


@dataclass(frozen=True, slots=True)
class ExitRules:
    """Protective exits as fractions of the entry (or peak) price; None = no such exit."""

    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    trailing_stop: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("stop_loss", "take_profit", "trailing_stop"):
            value = getattr(self, name)
            if value is not None and not (Decimal(0) < value < Decimal(1)):
                raise DomainError(f"{name} must be a fraction in (0, 1), got {value}")


@dataclass(frozen=True, slots=True)
class SizingRule:
    """How much quote to commit per entry: fixed amount, else a fraction of free balance."""

    fixed_quote: Decimal | None = None
    balance_fraction: Decimal | None = None
    default_quote: Decimal = DEFAULT_QUOTE_AMOUNT

    def __post_init__(self) -> None:
        if self.fixed_quote is not None and self.fixed_quote <= 0:
            raise DomainError("fixed_quote must be > 0")
        if self.balance_fraction is not None and not (0 < self.balance_fraction <= 1):
            raise DomainError("balance_fraction must be in (0, 1]")


@dataclass(frozen=True, slots=True)
class DailyLimits:
    """Per-UTC-day caps on new entries; None = no such limit. Exits are never limited."""

    max_trades: int | None = None
    max_loss: Decimal | None = None
    profit_target: Decimal | None = None

    def __post_init__(self) -> None:
        if self.max_trades is not None and self.max_trades < 1:
            raise DomainError("max_trades must be >= 1")
        if self.max_loss is not None and self.max_loss <= 0:
            raise DomainError("max_loss must be > 0")
        if self.profit_target is not None and self.profit_target <= 0:
            raise DomainError("profit_target must be > 0")

"""Validated parameter objects the domain rules take. Built from a `BotConfig` at the edge.

Percent fields of the product (`custom_stop_loss = 2` means 2%) arrive here as fractions
(`Decimal("0.02")`), so no rule below ever divides by 100.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_DOWN, Decimal

from tradewind.domain.errors import DomainError
from tradewind.domain.types import PositionType

MAX_LEVERAGE = 50
# The most leverage any venue offers (Binance USDⓈ-M, on its largest symbols).
MAX_VENUE_LEVERAGE = 125
DEFAULT_QUOTE_AMOUNT = Decimal(25)
DEFAULT_TAKER_FEE = {PositionType.SPOT: Decimal("0.001"), PositionType.FUTURES: Decimal("0.0004")}
# The steps a trailing distance rests in, as a fraction: Binance spot takes `trailingDelta`
# in whole basis points, USDⓈ-M futures a `callbackRate` in tenths of a percent.
TRAILING_STEP = {PositionType.SPOT: Decimal("0.0001"), PositionType.FUTURES: Decimal("0.001")}


def venue_trailing_rate(rate: Decimal, position_type: PositionType) -> Decimal:
    """Return the trailing distance an exchange of `position_type` rests for `rate`.

    The nearest step (`TRAILING_STEP`), a half step going to the tighter distance, and
    never less than one step: 0.125 % rests as 0.12 % on spot, 0.25 % as 0.2 % on futures,
    0.04 % as 0.1 % on futures. Paper, the backtest and the exchange adapters all take this
    rate, so that what the backtest assumed is what rests.
    """
    step = TRAILING_STEP[position_type]
    steps = (rate / step).to_integral_value(ROUND_HALF_DOWN)
    rested = min(max(steps, Decimal(1)), 1 / step - 1) * step  # a fraction in (0, 1) still
    return rate if rested == rate else rested  # on the step already: kept as written


@dataclass(frozen=True, slots=True)
class ExitRules:
    """Protective exits as fractions of the entry (or peak) price; None = no such exit.

    `tick` is the market's price tick: the stop-loss and take-profit levels are rounded to
    it (`domain.exits`), as an exchange holds them; 0 = exact levels (no market known yet,
    e.g. straight from a config).
    """

    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    trailing_stop: Decimal | None = None
    tick: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for name in ("stop_loss", "take_profit", "trailing_stop"):
            value = getattr(self, name)
            if value is not None and not (Decimal(0) < value < Decimal(1)):
                raise DomainError(f"{name} must be a fraction in (0, 1), got {value}")
        if not (isinstance(self.tick, Decimal) and self.tick.is_finite() and self.tick >= 0):
            raise DomainError(f"tick must be a finite Decimal >= 0, got {self.tick!r}")

    def on_tick(self, tick: Decimal) -> ExitRules:
        """Return these exits with their levels on the market's price tick."""
        return self if tick == self.tick else replace(self, tick=tick)


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

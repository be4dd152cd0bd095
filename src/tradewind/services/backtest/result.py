"""What a backtest produces: round trips, skipped entries, and the equity curve."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from tradewind.domain.candles import FloatArray
from tradewind.domain.timeframes import EXIT_CHECK_SECONDS
from tradewind.domain.types import ExitReason, PositionSide


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """One position from entry fill to exit fill; `exit_*` are None while still open.

    `quantity` is what the entry bought (or sold short); `held` what the position held and
    its exit sold: a spot BUY's quantity less its fee in the base, floored to the step, and
    `leftover` the base that left beside it (docs/strategy.md, "Fees"). Fees are in quote.
    """

    side: PositionSide
    entry_index: int
    entry_time: int
    entry_price: Decimal
    quantity: Decimal
    entry_fee: Decimal
    exit_index: int | None = None
    exit_time: int | None = None
    exit_price: Decimal | None = None
    exit_fee: Decimal | None = None
    exit_reason: ExitReason | None = None
    pnl: Decimal | None = None
    held: Decimal | None = None  # None: the quantity (no fee in the base)
    leftover: Decimal = Decimal(0)

    @property
    def is_open(self) -> bool:
        return self.exit_index is None

    @property
    def position_quantity(self) -> Decimal:
        """Return what the position held and its exit sold."""
        return self.quantity if self.held is None else self.held


# The backtester makes one RoundTrip a trade, 10,000 on a million candles: a frozen
# dataclass's __init__ sets each of its 14 fields through object.__setattr__, half the
# cost of a trade's whole walk. `round_trip` sets them through the slots themselves: the
# same object, every field given (no defaults), the frozen class still frozen to all else.
_SLOT_SETTERS = tuple(getattr(RoundTrip, name).__set__ for name in RoundTrip.__dataclass_fields__)
_new = object.__new__


def round_trip(
    side: PositionSide,
    entry_index: int,
    entry_time: int,
    entry_price: Decimal,
    quantity: Decimal,
    entry_fee: Decimal,
    exit_index: int | None,
    exit_time: int | None,
    exit_price: Decimal | None,
    exit_fee: Decimal | None,
    exit_reason: ExitReason | None,
    pnl: Decimal | None,
    held: Decimal | None,
    leftover: Decimal,
) -> RoundTrip:
    """Return `RoundTrip(...)` of these fields (all of them, in the class's order)."""
    trip: RoundTrip = _new(RoundTrip)
    (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13) = _SLOT_SETTERS
    s0(trip, side)
    s1(trip, entry_index)
    s2(trip, entry_time)
    s3(trip, entry_price)
    s4(trip, quantity)
    s5(trip, entry_fee)
    s6(trip, exit_index)
    s7(trip, exit_time)
    s8(trip, exit_price)
    s9(trip, exit_fee)
    s10(trip, exit_reason)
    s11(trip, pnl)
    s12(trip, held)
    s13(trip, leftover)
    return trip


@dataclass(slots=True)
class BacktestResult:
    """Everything a report needs. `equity` is marked to market at every candle close."""

    trades: list[RoundTrip]
    open_position: RoundTrip | None
    initial_balance: Decimal
    final_balance: Decimal
    equity: FloatArray
    skipped: Counter[str] = field(default_factory=Counter)
    exit_seconds: int = (
        EXIT_CHECK_SECONDS  # the candles exits were checked on: 60 = as paper and live
    )

    @property
    def exits_approximated(self) -> bool:
        """True when exits were checked on candles coarser than paper's and live's 1m."""
        return self.exit_seconds != EXIT_CHECK_SECONDS

    @property
    def closed(self) -> list[RoundTrip]:
        return [t for t in self.trades if not t.is_open]

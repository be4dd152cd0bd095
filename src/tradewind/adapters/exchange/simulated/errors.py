"""The simulated venue's errors: the domain's error types, with why in the domain's words.

A rejection names its `Refusal` (which rule or balance said no), the market it happened
on and, where they apply, the value at fault, the limit it broke or the field that was
wrong; its message says the same for a person. A server that speaks some exchange's
protocol on top of this venue (see `tradewind.testkit`) translates these fields into that
exchange's codes and messages; nothing here knows them.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from tradewind.domain.errors import (
    ConfigurationError,
    OrderRejected,
    OutcomeUnknown,
    TemporaryExchangeError,
)
from tradewind.domain.types import PositionType


class Refusal(StrEnum):
    """Why the venue refused a request; the value is stable and safe to count or map."""

    QUANTITY_NOT_POSITIVE = "quantity_not_positive"
    QUANTITY_OFF_STEP = "quantity_off_step"
    BELOW_MIN_QTY = "below_min_qty"
    ABOVE_MAX_QTY = "above_max_qty"  # a MARKET order's (or one that trades as MARKET)
    ABOVE_MAX_LIMIT_QTY = "above_max_limit_qty"  # a limit order's maximum (simulated/lots.py)
    BELOW_MIN_NOTIONAL = "below_min_notional"
    ABOVE_MAX_NOTIONAL = "above_max_notional"
    INSUFFICIENT_BALANCE = "insufficient_balance"  # spot: the free balance is short
    INSUFFICIENT_MARGIN = "insufficient_margin"  # futures: margin plus fee exceed the available
    DUPLICATE_CLIENT_ID = "duplicate_client_id"  # an open order has this client order id
    WOULD_NOT_REDUCE = "would_not_reduce"  # a reduce-only order (or exit) without a position
    LEVERAGE_OUT_OF_RANGE = "leverage_out_of_range"
    MARGIN_MODE_LOCKED = "margin_mode_locked"  # cannot change while a position is open
    TRANSFER_EXCEEDS_BALANCE = "transfer_exceeds_balance"
    WOULD_TAKE = "would_take"  # a post-only (maker) order that would fill at once
    WOULD_TRIGGER = "would_trigger"  # a conditional order whose stop the price already reached
    INVALID_FIELD = "invalid_field"  # a request field is missing or out of range
    INJECTED = "injected"  # a rejection a test scheduled through the venue's faults


class VenueRejection(OrderRejected):
    """The venue refused the request and did nothing."""

    def __init__(
        self,
        refusal: Refusal,
        detail: str,
        *,
        market: PositionType | None = None,
        value: Decimal | int | str | None = None,
        limit: Decimal | int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(f"rejected ({refusal.value}): {detail}")
        self.refusal = refusal
        self.market = market  # where it happened, when it matters (spot or futures)
        self.value = value  # what was asked (a leverage, a client order id), where it matters
        self.limit = limit  # the limit broken (a minimum notional, a maximum leverage)
        self.field = field  # the request field at fault, for INVALID_FIELD


class VenueUnknownSymbol(ConfigurationError):
    """The symbol is not traded on this market."""

    def __init__(self, symbol: str, detail: str | None = None) -> None:
        super().__init__(f"unknown symbol {symbol}" + (f" ({detail})" if detail else ""))
        self.symbol = symbol


class VenueOutcomeUnknown(OutcomeUnknown):
    """The request may or may not have been carried out (its answer was lost)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"outcome unknown: {detail}")


class VenueTemporaryError(TemporaryExchangeError):
    """The venue could not serve the request now; nothing was done, try again later."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"temporarily unavailable: {detail}")


def refused(
    refusal: Refusal,
    market: PositionType,
    detail: str,
    *,
    value: Decimal | int | str | None = None,
    limit: Decimal | int | None = None,
) -> VenueRejection:
    """Return the rejection of an order or setting on `market`."""
    return VenueRejection(refusal, detail, market=market, value=value, limit=limit)


def invalid(field: str, detail: str) -> VenueRejection:
    """Return the rejection of a request whose `field` is missing or out of range."""
    return VenueRejection(Refusal.INVALID_FIELD, f"{field}: {detail}", field=field)

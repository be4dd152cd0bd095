"""Errors the simulated venue raises, with Binance's code and message, as the domain's types.

Each error keeps the venue's `code` (a stable int, e.g. -2010) and `msg` next to the domain
type that says what the bot does (`OrderRejected`: nothing placed, wait). Messages are
Binance's own words, so logs read the same in paper and live trading.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.errors import (
    ConfigurationError,
    OrderRejected,
    OutcomeUnknown,
    TemporaryExchangeError,
)


def _text(code: int, msg: str, detail: str | None) -> str:
    tail = f" ({detail})" if detail else ""
    return f"Binance {code}: {msg}{tail}"


class VenueRejection(OrderRejected):
    """The venue refused the request and placed nothing."""

    def __init__(self, code: int, msg: str, detail: str | None = None) -> None:
        super().__init__(_text(code, msg, detail))
        self.code = code
        self.msg = msg


class VenueUnknownSymbol(ConfigurationError):
    """The symbol is not traded on this market (-1121)."""

    def __init__(self, symbol: str, detail: str | None = None) -> None:
        super().__init__(_text(-1121, "Invalid symbol.", detail or symbol))
        self.code = -1121
        self.msg = "Invalid symbol."


class VenueOutcomeUnknown(OutcomeUnknown):
    """The request may or may not have been carried out (-1007 timeout)."""

    def __init__(self, detail: str | None = None) -> None:
        msg = (
            "Timeout waiting for response from backend server. "
            "Send status unknown; execution status unknown."
        )
        super().__init__(_text(-1007, msg, detail))
        self.code = -1007
        self.msg = msg


class VenueTemporaryError(TemporaryExchangeError):
    """The venue is overloaded; nothing was done, try again later (-1008)."""

    def __init__(self, detail: str | None = None) -> None:
        msg = (
            "Server is currently overloaded with other requests. Please try again in a few minutes."
        )
        super().__init__(_text(-1008, msg, detail))
        self.code = -1008
        self.msg = msg


# --- The rejections, one constructor per Binance code --------------------------------------


def filter_failure(filter_name: str, detail: str) -> VenueRejection:
    """Spot: the quantity or notional breaks a symbol filter (-1013)."""
    return VenueRejection(-1013, f"Filter failure: {filter_name}", detail)


def insufficient_balance(detail: str) -> VenueRejection:
    """Spot: the free balance does not cover the order (-2010)."""
    return VenueRejection(-2010, "Account has insufficient balance for requested action.", detail)


def duplicate_order(client_order_id: str, futures: bool) -> VenueRejection:
    """An open order already has this client order id (spot -2010, futures -4116)."""
    if futures:
        return VenueRejection(-4116, "ClientOrderId is duplicated.", client_order_id)
    return VenueRejection(-2010, "Duplicate order sent.", client_order_id)


def bad_precision(detail: str) -> VenueRejection:
    """Futures: the quantity is not a multiple of the step (-1111)."""
    return VenueRejection(-1111, "Precision is over the maximum defined for this asset.", detail)


def quantity_not_positive(detail: str) -> VenueRejection:
    """Futures: the quantity is zero or negative (-4003)."""
    return VenueRejection(-4003, "Quantity less than or equal to zero.", detail)


def quantity_below_min(detail: str) -> VenueRejection:
    """Futures: the quantity is below the minimum quantity (-4004)."""
    return VenueRejection(-4004, "Quantity less than min quantity.", detail)


def quantity_above_max(detail: str) -> VenueRejection:
    """Futures: the quantity is above the maximum quantity (-4005)."""
    return VenueRejection(-4005, "Quantity greater than max quantity.", detail)


def futures_min_notional(minimum: Decimal, detail: str) -> VenueRejection:
    """Futures: the notional is below the minimum and the order is not reduce-only (-4164)."""
    msg = f"Order's notional must be no smaller than {minimum:f} (unless you choose reduce only)."
    return VenueRejection(-4164, msg, detail)


def margin_insufficient(detail: str) -> VenueRejection:
    """Futures: the available balance does not cover margin plus fee (-2019)."""
    return VenueRejection(-2019, "Margin is insufficient.", detail)


def reduce_only_rejected(detail: str) -> VenueRejection:
    """Futures: a reduce-only order would not reduce the position (-2022)."""
    return VenueRejection(-2022, "ReduceOnly Order is rejected.", detail)


def leverage_not_valid(leverage: int, detail: str) -> VenueRejection:
    """Futures: the leverage is below 1 or above the symbol's bracket maximum (-4028)."""
    return VenueRejection(-4028, f"Leverage {leverage} is not valid", detail)


def margin_type_locked(detail: str) -> VenueRejection:
    """Futures: the margin type cannot change while a position is open (-4048)."""
    return VenueRejection(-4048, "Margin type cannot be changed if there exists position.", detail)


def transfer_insufficient(detail: str) -> VenueRejection:
    """Wallet transfer: the source wallet holds less than the amount (-5002)."""
    return VenueRejection(-5002, "You have insufficient balance.", detail)


def bad_parameter(name: str, detail: str) -> VenueRejection:
    """A parameter is missing or malformed (-1102)."""
    msg = f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    return VenueRejection(-1102, msg, detail)


def injected_rejection(call: str) -> VenueRejection:
    """A rejection scheduled by a test through the venue's faults."""
    return VenueRejection(-2010, "New order rejected.", f"injected fault on {call}")

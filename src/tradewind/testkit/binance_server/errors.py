"""Binance's error answers: an HTTP status and a `{"code": …, "msg": …}` body.

Codes and messages are Binance's own (spot and USDⓈ-M error-code pages), so a client
classifies them through its code table exactly as it would in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from tradewind.adapters.exchange.simulated import (
    Refusal,
    VenueOutcomeUnknown,
    VenueRejection,
    VenueTemporaryError,
    VenueUnknownSymbol,
)
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType

CLIENT_ID_RANGE = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"


class BinanceError(Exception):
    """An answer other than success: HTTP status, Binance code and message, extra headers."""

    def __init__(
        self, status: int, code: int, msg: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"HTTP {status} {code}: {msg}")
        self.status = status
        self.code = code
        self.msg = msg
        self.headers = dict(headers or {})

    def body(self) -> dict[str, object]:
        """Return the JSON body Binance sends with this error."""
        return {"code": self.code, "msg": self.msg}


def bad_signature() -> BinanceError:
    """-1022: the HMAC does not match the request."""
    return BinanceError(400, -1022, "Signature for this request is not valid.")


def bad_api_key() -> BinanceError:
    """-2015: unknown key, or a key without the permission the path needs (HTTP 401)."""
    return BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")


def outside_recv_window() -> BinanceError:
    """-1021: the timestamp is ahead of the server or older than the recvWindow."""
    return BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def bad_recv_window() -> BinanceError:
    """-1131: recvWindow above 60000 (or not a number)."""
    return BinanceError(400, -1131, "recvWindow must be less than 60000")


def mandatory(name: str) -> BinanceError:
    """-1102: a required parameter is missing or empty."""
    return BinanceError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def illegal_characters(name: str, legal: str) -> BinanceError:
    """-1100: a parameter does not match its pattern."""
    return BinanceError(
        400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def duplicate_parameter() -> BinanceError:
    """-1101: the same parameter sent twice in the query string (or twice in the body)."""
    return BinanceError(400, -1101, "Duplicate values for a parameter detected.")


def too_much_precision(name: str) -> BinanceError:
    """-1111 on spot: more decimals than the asset's precision (eight)."""
    return BinanceError(400, -1111, f"Parameter '{name}' has too much precision.")


def futures_too_much_precision() -> BinanceError:
    """-1111 on USDⓈ-M: more decimals than the symbol's price or quantity precision."""
    return BinanceError(400, -1111, "Precision is over the maximum defined for this asset.")


def spot_filter_failure(name: str) -> BinanceError:
    """-1013: a spot filter of exchangeInfo refuses the order (e.g. PRICE_FILTER)."""
    return BinanceError(400, -1013, f"Filter failure: {name}")


def off_tick_size() -> BinanceError:
    """-4014: a USDⓈ-M price or trigger price that is not a multiple of the tick size."""
    return BinanceError(400, -4014, "Price not increased by tick size.")


def spot_would_trigger() -> BinanceError:
    """-2010: a spot stop or take-profit whose stop price the last price has already reached."""
    return BinanceError(400, -2010, "Order would trigger immediately.")


def futures_would_trigger() -> BinanceError:
    """-2021: a USDⓈ-M conditional order whose trigger the last price has already reached."""
    return BinanceError(400, -2021, "Order would immediately trigger.")


def oco_prices_wrong() -> BinanceError:
    """-2010: OCO legs not on their sides of the last price (SELL: above > last > below)."""
    return BinanceError(400, -2010, "The relationship of the prices for the orders is not correct.")


def bad_interval() -> BinanceError:
    """-1120: a kline interval the market does not have (futures: no 1s)."""
    return BinanceError(400, -1120, "Invalid interval.")


def invalid_value(name: str) -> BinanceError:
    """-1130: a parameter has a value outside what it allows."""
    return BinanceError(400, -1130, f"Data sent for parameter '{name}' is not valid.")


def not_required(name: str) -> BinanceError:
    """-1106: a parameter that does not go with the others."""
    return BinanceError(400, -1106, f"Parameter '{name}' sent when not required.")


def invalid_side() -> BinanceError:
    """-1117: side is neither BUY nor SELL."""
    return BinanceError(400, -1117, "Invalid side.")


def invalid_order_type() -> BinanceError:
    """-1116: an order type Binance does not know."""
    return BinanceError(400, -1116, "Invalid orderType.")


def unsupported_combination() -> BinanceError:
    """-1014: a known order shape this server (or the endpoint) does not take."""
    return BinanceError(400, -1014, "Unsupported order combination.")


def conditional_on_order_endpoint() -> BinanceError:
    """-4120: USDⓈ-M conditional orders belong to the algo order endpoint."""
    return BinanceError(
        400,
        -4120,
        "Order type not supported for this endpoint. Please use the Algo Order API "
        "endpoints instead.",
    )


def position_side_mismatch() -> BinanceError:
    """-4061: positionSide other than BOTH on a one-way account."""
    return BinanceError(400, -4061, "Order's position side does not match user's setting.")


def no_such_order() -> BinanceError:
    """-2013: a lookup of an order the account does not have."""
    return BinanceError(400, -2013, "Order does not exist.")


def unknown_order_sent() -> BinanceError:
    """-2011: a cancel of an order that is unknown or no longer open."""
    return BinanceError(400, -2011, "Unknown order sent.")


def margin_type_unchanged() -> BinanceError:
    """-4046: the symbol already has that margin type (clients treat it as success)."""
    return BinanceError(400, -4046, "No need to change margin type.")


# What api.binance.com's web server answers for a path it does not serve (HTTP 404).
NOT_FOUND_PAGE = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def internal() -> BinanceError:
    """HTTP 500 for a failure inside the server itself."""
    return BinanceError(500, -1000, "An unknown error occurred while processing the request.")


# The simulated venue's refusals as Binance answers them, by (refusal, market); market
# None: the same on both. Codes and messages from Binance's spot and USDⓈ-M error pages.
_SPOT, _FUTURES = PositionType.SPOT, PositionType.FUTURES
_LOT, _NOTIONAL = "Filter failure: LOT_SIZE", "Filter failure: NOTIONAL"
_REFUSALS: dict[tuple[Refusal, PositionType | None], tuple[int, str]] = {
    (Refusal.QUANTITY_NOT_POSITIVE, _SPOT): (-1013, _LOT),
    (Refusal.BELOW_MIN_QTY, _SPOT): (-1013, _LOT),
    (Refusal.ABOVE_MAX_QTY, _SPOT): (-1013, "Filter failure: MARKET_LOT_SIZE"),
    (Refusal.ABOVE_MAX_LIMIT_QTY, _SPOT): (-1013, _LOT),
    (Refusal.QUANTITY_OFF_STEP, _SPOT): (-1013, _LOT),
    (Refusal.BELOW_MIN_NOTIONAL, _SPOT): (-1013, _NOTIONAL),
    (Refusal.ABOVE_MAX_NOTIONAL, _SPOT): (-1013, _NOTIONAL),
    (Refusal.INSUFFICIENT_BALANCE, _SPOT): (
        -2010, "Account has insufficient balance for requested action."
    ),
    (Refusal.DUPLICATE_CLIENT_ID, _SPOT): (-2010, "Duplicate order sent."),
    (Refusal.DUPLICATE_CLIENT_ID, _FUTURES): (-4116, "ClientOrderId is duplicated."),
    (Refusal.QUANTITY_NOT_POSITIVE, _FUTURES): (-4003, "Quantity less than or equal to zero."),
    (Refusal.QUANTITY_OFF_STEP, _FUTURES): (
        -1111, "Precision is over the maximum defined for this asset."
    ),
    (Refusal.BELOW_MIN_QTY, _FUTURES): (-4004, "Quantity less than min quantity."),
    (Refusal.ABOVE_MAX_QTY, _FUTURES): (-4005, "Quantity greater than max quantity."),
    (Refusal.ABOVE_MAX_LIMIT_QTY, _FUTURES): (-4005, "Quantity greater than max quantity."),
    (Refusal.BELOW_MIN_NOTIONAL, _FUTURES): (
        -4164, "Order's notional must be no smaller than {limit} (unless you choose reduce only)."
    ),
    (Refusal.INSUFFICIENT_MARGIN, _FUTURES): (-2019, "Margin is insufficient."),
    (Refusal.WOULD_NOT_REDUCE, _FUTURES): (-2022, "ReduceOnly Order is rejected."),
    (Refusal.LEVERAGE_OUT_OF_RANGE, _FUTURES): (-4028, "Leverage {value} is not valid"),
    (Refusal.MARGIN_MODE_LOCKED, _FUTURES): (
        -4048, "Margin type cannot be changed if there exists position."
    ),
    (Refusal.WOULD_TAKE, _SPOT): (-2010, "Order would immediately match and take."),
    (Refusal.WOULD_TAKE, _FUTURES): (
        -5022, "Due to the order could not be executed as maker, the Post Only order will be "
        "rejected."
    ),
    (Refusal.WOULD_TRIGGER, _SPOT): (-2010, "Order would trigger immediately."),
    (Refusal.WOULD_TRIGGER, _FUTURES): (-2021, "Order would immediately trigger."),
    (Refusal.TRANSFER_EXCEEDS_BALANCE, None): (-5002, "You have insufficient balance."),
    (Refusal.INVALID_FIELD, None): (
        -1102, "Mandatory parameter '{param}' was not sent, was empty/null, or malformed."
    ),
    (Refusal.INJECTED, None): (-2010, "New order rejected."),
}  # fmt: skip
# The venue's request fields by the name of the Binance parameter that carries them.
_PARAMS = {
    "levels": "stopPrice",
    "stop_loss": "stopPrice",
    "take_profit": "stopPrice",
    "trailing_rate": "callbackRate",
    "ids": "newClientOrderId",
    "entry_price": "entryPrice",
    "position_side": "side",
}
_TIMEOUT = (
    "Timeout waiting for response from backend server. "
    "Send status unknown; execution status unknown."
)
OVERLOADED = (
    "Server is currently overloaded with other requests. Please try again in a few minutes."
)


def refusal_answer(error: VenueRejection) -> tuple[int, str]:
    """Return Binance's code and message for a refusal of the simulated venue."""
    code, template = _REFUSALS.get((error.refusal, error.market)) or _REFUSALS.get(
        (error.refusal, None), (-2010, "New order rejected.")
    )
    limit = f"{error.limit:f}" if isinstance(error.limit, Decimal) else str(error.limit)
    param = _PARAMS.get(error.field or "", error.field or "")
    return code, template.format(limit=limit, value=error.value, param=param)


def from_venue(error: Exception) -> BinanceError:
    """Map an error of the simulated venue to the answer Binance gives in its place."""
    if isinstance(error, VenueRejection):
        return BinanceError(400, *refusal_answer(error))
    if isinstance(error, VenueOutcomeUnknown):
        return BinanceError(408, -1007, _TIMEOUT)
    if isinstance(error, VenueTemporaryError):
        return BinanceError(503, -1008, OVERLOADED)
    if isinstance(error, VenueUnknownSymbol | ConfigurationError):
        # An unknown symbol, or one with rules but no market behind it.
        return BinanceError(400, -1121, "Invalid symbol.")
    return internal()

"""Binance's error codes, classified once: what the bot does when each comes back.

Classification goes by the numeric `code` of the JSON body and the HTTP status, never by
the message text (Binance rewords messages; codes are its contract). Sources: Binance's
"Error codes" pages for spot and USDⓈ-M futures, and BINANCE.md.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What an error means for the call that got it."""

    TEMPORARY = "temporary"  # nothing done; retry with backoff
    RATE_LIMITED = "rate_limited"  # nothing done; wait (Retry-After), then retry
    CLOCK = "clock"  # nothing done; resync the clock offset, then retry
    OUTCOME_UNKNOWN = "outcome_unknown"  # may have been done: settle by client order id
    REJECTED = "rejected"  # definitely not done; retrying as is cannot succeed
    CREDENTIALS = "credentials"  # key, secret, IP or permission: the owner must act
    CONFIGURATION = "configuration"  # e.g. an unknown symbol: the bot's config is wrong
    NOT_FOUND = "not_found"  # the order does not exist (may be transient just after placing)
    NO_CHANGE = "no_change"  # asked for what already is: success


CODES: dict[int, Kind] = {
    # General server or network issues.
    -1000: Kind.OUTCOME_UNKNOWN,  # UNKNOWN: an unknown error occurred while processing
    -1001: Kind.OUTCOME_UNKNOWN,  # DISCONNECTED: internal error; unable to process
    -1006: Kind.OUTCOME_UNKNOWN,  # UNEXPECTED_RESP: execution status unknown
    -1007: Kind.OUTCOME_UNKNOWN,  # TIMEOUT: send status unknown; execution status unknown
    -1008: Kind.TEMPORARY,  # server busy / request throttled: not processed
    -1003: Kind.RATE_LIMITED,  # TOO_MANY_REQUESTS (weight), or IP banned
    -1015: Kind.RATE_LIMITED,  # TOO_MANY_ORDERS
    -1021: Kind.CLOCK,  # INVALID_TIMESTAMP: outside recvWindow
    # Authentication and permissions.
    -1002: Kind.CREDENTIALS,  # UNAUTHORIZED
    -1022: Kind.CREDENTIALS,  # INVALID_SIGNATURE
    -2014: Kind.CREDENTIALS,  # BAD_API_KEY_FMT
    -2015: Kind.CREDENTIALS,  # REJECTED_MBX_KEY: invalid key, IP, or permissions
    -1099: Kind.CREDENTIALS,  # not found, unauthenticated, or unauthorized
    # Configuration: the request names something the venue does not have.
    -1121: Kind.CONFIGURATION,  # BAD_SYMBOL
    -4120: Kind.CONFIGURATION,  # order type not supported on this endpoint (use algo orders)
    # Orders that do not exist.
    -2011: Kind.NOT_FOUND,  # CANCEL_REJECTED: unknown order sent
    -2013: Kind.NOT_FOUND,  # NO_SUCH_ORDER
    # Asked for what already is.
    -4046: Kind.NO_CHANGE,  # no need to change margin type
    -4059: Kind.NO_CHANGE,  # no need to change position side
    # Rejections: nothing placed, and the same request would fail again.
    -1013: Kind.REJECTED,  # filter failure (LOT_SIZE, NOTIONAL, MARKET_LOT_SIZE, ...)
    -1100: Kind.REJECTED,  # illegal characters in a parameter
    -1102: Kind.REJECTED,  # mandatory parameter missing or malformed
    -1104: Kind.REJECTED,  # not all sent parameters were read
    -1106: Kind.REJECTED,  # parameter sent when not required
    -1111: Kind.REJECTED,  # precision over the maximum
    -1116: Kind.REJECTED,  # invalid order type
    -1117: Kind.REJECTED,  # invalid side
    -2010: Kind.REJECTED,  # new order rejected (insufficient balance, duplicate, ...)
    -2019: Kind.REJECTED,  # margin is insufficient
    -2022: Kind.REJECTED,  # reduce-only order rejected
    -4003: Kind.REJECTED,  # quantity <= 0
    -4004: Kind.REJECTED,  # quantity below min
    -4005: Kind.REJECTED,  # quantity above max
    -4028: Kind.REJECTED,  # leverage not valid (the adapter clamps to the bracket, once)
    -4047: Kind.REJECTED,  # margin type cannot change with open orders
    -4048: Kind.REJECTED,  # margin type cannot change with an open position
    -4116: Kind.REJECTED,  # client order id duplicated (futures)
    -4164: Kind.REJECTED,  # futures notional below the minimum
    -5002: Kind.REJECTED,  # wallet transfer: insufficient balance
}


def classify(http_status: int, code: int | None) -> Kind:
    """Classify a failed response by its JSON `code` (when any), else by its HTTP status."""
    if http_status in (418, 429):
        return Kind.RATE_LIMITED
    if code is not None and code in CODES:
        return CODES[code]
    if http_status >= 500:
        return Kind.OUTCOME_UNKNOWN  # Binance: "the execution status is UNKNOWN"
    if http_status in (401,):
        return Kind.CREDENTIALS
    if http_status == 403:
        return Kind.RATE_LIMITED  # the web application firewall: back off
    return Kind.REJECTED  # another 4xx: the request itself is wrong, do not repeat it

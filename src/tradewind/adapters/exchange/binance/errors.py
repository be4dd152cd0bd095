"""Binance failures as the domain's error types, each keeping Binance's code and message.

The type says what the bot does (ARCHITECTURE.md §5); `code`, `msg` and `http_status` say
what Binance said, for logs and the bot's stated reason. Messages never carry the request
(its query string holds a signature) or any key.
"""

from __future__ import annotations

from tradewind.adapters.exchange.binance.codes import Kind, classify
from tradewind.domain.errors import (
    AuthenticationFailed,
    ConfigurationError,
    ExchangeError,
    OrderRejected,
    OutcomeUnknown,
    TemporaryExchangeError,
)


class BinanceFailure(ExchangeError):
    """What Binance answered: its code (None without a JSON body), message and status."""

    code: int | None = None
    msg: str = ""
    http_status: int = 0
    kind: Kind = Kind.TEMPORARY

    def _remember(self, code: int | None, msg: str, http_status: int, kind: Kind) -> None:
        self.code, self.msg, self.http_status, self.kind = code, msg, http_status, kind


class BinanceTemporary(TemporaryExchangeError, BinanceFailure):
    """Nothing was done and a later attempt may work (busy, throttled, network)."""

    kind = Kind.TEMPORARY


class BinanceRateLimited(BinanceTemporary):
    """Over a request-weight or order-count limit (429/418, -1003, -1015): wait, then retry."""

    kind = Kind.RATE_LIMITED

    retry_after: float | None = None  # seconds, from the Retry-After header


class BinanceClockSkew(BinanceTemporary):
    """Our timestamp is outside the recvWindow (-1021): resync the offset, then retry."""

    kind = Kind.CLOCK


class BinanceOutcomeUnknown(OutcomeUnknown, BinanceFailure):
    """The request may have been carried out (timeout, 5xx, -1006/-1007)."""

    kind = Kind.OUTCOME_UNKNOWN


class BinanceRejected(OrderRejected, BinanceFailure):
    """Binance refused and did nothing; the same request would be refused again."""

    kind = Kind.REJECTED


class BinanceCredentials(AuthenticationFailed, BinanceFailure):
    """Bad API key, signature, IP or permission: the bot stops and its owner is told."""

    kind = Kind.CREDENTIALS


class BinanceConfiguration(ConfigurationError, BinanceFailure):
    """The request names what Binance does not have (e.g. an unknown symbol)."""

    kind = Kind.CONFIGURATION


class BinanceNotFound(BinanceFailure):
    """No such order (-2013, -2011); right after placing it may only be not visible yet."""

    kind = Kind.NOT_FOUND


class BinanceNoChange(BinanceFailure):
    """Binance had nothing to change (-4046): the caller treats it as success."""

    kind = Kind.NO_CHANGE


_TYPES: dict[Kind, type[BinanceFailure]] = {
    Kind.TEMPORARY: BinanceTemporary,
    Kind.RATE_LIMITED: BinanceRateLimited,
    Kind.CLOCK: BinanceClockSkew,
    Kind.OUTCOME_UNKNOWN: BinanceOutcomeUnknown,
    Kind.REJECTED: BinanceRejected,
    Kind.CREDENTIALS: BinanceCredentials,
    Kind.CONFIGURATION: BinanceConfiguration,
    Kind.NOT_FOUND: BinanceNotFound,
    Kind.NO_CHANGE: BinanceNoChange,
}

_HINTS = {
    Kind.CREDENTIALS: "check the account's API key, secret, IP whitelist and permissions",
}


def binance_error(
    http_status: int,
    code: int | None,
    msg: str,
    *,
    retry_after: float | None = None,
    where: str = "",
) -> BinanceFailure:
    """Return the typed error for a failed response (`where` names the call, e.g. a path)."""
    kind = classify(http_status, code)
    label = f"Binance {code}" if code is not None else f"Binance HTTP {http_status}"
    text = f"{label}: {msg}" if msg else label
    if where:
        text = f"{text} ({where})"
    hint = _HINTS.get(kind)
    if hint:
        text = f"{text}; {hint}"
    error = _TYPES[kind](text)
    error._remember(code, msg, http_status, kind)
    if isinstance(error, BinanceRateLimited):
        error.retry_after = retry_after
    return error


def network_error(detail: str, *, maybe_done: bool) -> BinanceFailure:
    """Return the error for a request that got no answer (timeout, connection lost).

    `maybe_done`: the request may have reached Binance and been carried out (an order
    sent), so its outcome is unknown; otherwise nothing changed and a retry is safe.
    """
    kind = Kind.OUTCOME_UNKNOWN if maybe_done else Kind.TEMPORARY
    error = _TYPES[kind](f"Binance: no answer ({detail})")
    error._remember(None, detail, 0, kind)
    return error

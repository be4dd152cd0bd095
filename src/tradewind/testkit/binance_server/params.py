"""Read request parameters as Binance does, answering its error for a missing or bad one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from tradewind.domain.types import Side, Symbol
from tradewind.testkit.binance_server import errors

_CLIENT_ID = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")
# Binance's own pattern for a decimal parameter: digits before the point, and after it
# when there is one (".001" and "0." are refused, as Binance refuses them).
_DECIMAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
_DECIMAL = re.compile(_DECIMAL_RANGE)

Params = Mapping[str, str]


def required(params: Params, name: str) -> str:
    """Return a parameter that must be there and not empty (-1102 otherwise)."""
    value = params.get(name)
    if value is None or value == "":
        raise errors.mandatory(name)
    return value


def optional(params: Params, name: str) -> str | None:
    """Return a parameter, None when missing or empty."""
    value = params.get(name)
    return None if value is None or value == "" else value


def decimal(params: Params, name: str) -> Decimal:
    """Return a required decimal parameter (-1100 when it is not a plain decimal)."""
    return _parse_decimal(required(params, name), name)


def optional_decimal(params: Params, name: str) -> Decimal | None:
    """Return a decimal parameter, None when missing."""
    value = optional(params, name)
    return None if value is None else _parse_decimal(value, name)


def _parse_decimal(value: str, name: str) -> Decimal:
    if not _DECIMAL.fullmatch(value):
        raise errors.illegal_characters(name, _DECIMAL_RANGE)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise errors.illegal_characters(name, _DECIMAL_RANGE) from None


def integer(
    params: Params, name: str, default: int | None = None, low: int = 0, high: int | None = None
) -> int:
    """Return a whole-number parameter in [low, high] (-1102 missing, -1130 out of range)."""
    value = optional(params, name)
    if value is None:
        if default is None:
            raise errors.mandatory(name)
        return default
    if not value.lstrip("-").isdigit():
        raise errors.illegal_characters(name, "^-?[0-9]{1,20}$")
    number = int(value)
    if number < low or (high is not None and number > high):
        raise errors.invalid_value(name)
    return number


def optional_integer(params: Params, name: str) -> int | None:
    """Return a whole-number parameter, None when missing."""
    if optional(params, name) is None:
        return None
    return integer(params, name)


def boolean(params: Params, name: str, default: bool = False) -> bool:
    """Return a "true"/"false" parameter (-1130 for anything else)."""
    value = optional(params, name)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise errors.invalid_value(name)
    return value.lower() == "true"


def side(params: Params) -> Side:
    """Return the order side (-1117 unless BUY or SELL)."""
    value = required(params, "side")
    try:
        return Side(value)
    except ValueError:
        raise errors.invalid_side() from None


def symbol(params: Params) -> Symbol:
    """Return the symbol, upper case as Binance expects it."""
    return Symbol(required(params, "symbol").upper())


def client_id(params: Params, name: str) -> str | None:
    """Return a client order id parameter checked against Binance's pattern, or None."""
    value = optional(params, name)
    if value is not None and not _CLIENT_ID.match(value):
        raise errors.illegal_characters(name, errors.CLIENT_ID_RANGE)
    return value


def choice(params: Params, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    """Return a parameter that must be one of `allowed` (-1130 otherwise)."""
    value = optional(params, name)
    if value is None:
        if default is None:
            raise errors.mandatory(name)
        return default
    if value not in allowed:
        raise errors.invalid_value(name)
    return value

"""How large a number, and how long a name, a user may give: refused at the edge.

Money columns are NUMERIC(36, 18): at most 18 digits before the point and 18 after. An
amount a user types (a balance, a position size, a daily limit) is capped far below that,
at a trillion, so sums, PnL and leveraged notionals built from it still fit, and no venue
would take an order that size anyway. The database's own "numeric field overflow" must
never be what a user reads.

Error messages quote what was typed, but never all of a 10,000-character input: `shown`
cuts it and says how long it was.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.errors import ConfigurationError

MAX_AMOUNT = Decimal(10**12)
MAX_AMOUNT_DECIMALS = 18
MAX_NAME_LENGTH = 100
# INTEGER columns are 32-bit on PostgreSQL; counts a user gives stay well inside.
MAX_COUNT = 1_000_000
_SHOWN = 40


def check_amount(field: str, value: Decimal, *, allow_zero: bool = False) -> Decimal:
    """Return `value` when it is a finite amount in (0, MAX_AMOUNT] ([0, …] with
    `allow_zero`) with at most 18 decimals; else ConfigurationError naming `field`."""
    lowest = ">= 0" if allow_zero else "> 0"
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        raise ConfigurationError(f"{field}: must be a number {lowest} (got {shown(str(value))})")
    if value > MAX_AMOUNT:
        raise ConfigurationError(
            f"{field}: must be at most {MAX_AMOUNT:,} (got {shown(str(value))})"
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_AMOUNT_DECIMALS:
        raise ConfigurationError(
            f"{field}: must have at most {MAX_AMOUNT_DECIMALS} decimals (got {shown(str(value))})"
        )
    return value


def check_name(field: str, name: str) -> str:
    """Return `name` stripped when it has 1 to MAX_NAME_LENGTH characters."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise ConfigurationError(
            f"{field}: must be 1 to {MAX_NAME_LENGTH} characters (got {shown(name)})"
        )
    return cleaned


def shown(text: str, limit: int = _SHOWN) -> str:
    """Return `text` quoted for a message; a long one cut, with its length said."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"

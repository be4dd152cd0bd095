"""Column types: exact money on every database, and JSON that carries Decimals."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Context, Decimal
from enum import Enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_PRECISION = 36
MONEY_SCALE = 18
_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
# Wide enough that quantizing or normalizing a 36-digit value never rounds it.
_EXACT = Context(prec=60)

# BIGINT ids on PostgreSQL; plain INTEGER on SQLite, where only that aliases the rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


class Money(TypeDecorator[Decimal]):
    """A Decimal stored exactly: NUMERIC(36, 18) on PostgreSQL, text on SQLite.

    SQLite has no decimal type; a NUMERIC column there turns "0.1" into a binary float.
    Values with more than 18 decimals are rounded half-even to 18 on every database, so
    both store the same number. Reads come back without trailing zeros.
    """

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(MONEY_PRECISION + 4))
        return dialect.type_descriptor(Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"money must be a Decimal, got {type(value).__name__}")
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValueError(f"money must be finite, got {amount}")
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MONEY_SCALE:
            amount = amount.quantize(_QUANTUM, context=_EXACT)
        return format(amount, "f") if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return plain(Decimal(value))


def plain(amount: Decimal) -> Decimal:
    """Return `amount` without trailing zeros and without an exponent (1E+1 -> 10)."""
    reduced = amount.normalize(_EXACT)
    exponent = reduced.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return reduced.quantize(Decimal(1), context=_EXACT)
    return reduced


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def dumps_json(document: object) -> str:
    """Serialize a JSON column value; Decimals become exact strings, enums their values."""
    return json.dumps(document, default=_json_default, separators=(",", ":"))

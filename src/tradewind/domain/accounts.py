"""The people and exchange accounts that own bots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType


class ExchangeKind(StrEnum):
    """The venue an account trades on; bootstrap registers one provider per member.

    The values are stored in the database (`accounts.kind`) and used in Redis keys, so a
    member's value never changes; a new venue adds a member (see adapters/exchange/README.md).
    """

    PAPER = "paper"  # the simulated exchange (paper trading)
    BINANCE = "binance"

    @classmethod
    def parse(cls, value: str) -> ExchangeKind:
        """Return the kind named `value`; a name no member has is a `ConfigurationError`."""
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(kind.value for kind in cls)
            raise ConfigurationError(f"exchange kind {value!r} is not one of: {known}") from None


@dataclass(frozen=True, slots=True)
class User:
    """Someone who owns bots and exchange accounts."""

    id: int
    email: str
    name: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class Account:
    """An exchange account as listed: everything but its secrets."""

    id: int
    user_id: int
    name: str
    kind: ExchangeKind
    testnet: bool
    has_api_key: bool
    paper_balances: Mapping[PositionType, Mapping[str, Decimal]]
    created_at: int

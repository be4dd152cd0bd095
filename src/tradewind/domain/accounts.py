"""The people and exchange accounts that own bots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.types import PositionType


class AccountKind(StrEnum):
    """Where an account's orders go: the in-process simulated exchange, or Binance."""

    PAPER = "paper"
    BINANCE = "binance"


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
    kind: AccountKind
    testnet: bool
    has_api_key: bool
    paper_balances: Mapping[PositionType, Mapping[str, Decimal]]
    created_at: int

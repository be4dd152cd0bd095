"""Orders, fills and positions as the bot and the exchange port speak of them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.errors import DomainError
from tradewind.domain.types import ExitReason, PositionSide, PositionType, Side, Symbol

_CLIENT_ID = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")


class OrderStatus(StrEnum):
    """Life of an order. SUBMITTING is written before sending; UNKNOWN after no answer."""

    SUBMITTING = "SUBMITTING"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"
    CANCELED = "CANCELED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.EXPIRED, OrderStatus.REJECTED, OrderStatus.CANCELED}
)


class OrderPurpose(StrEnum):
    """Why the bot placed an order."""

    ENTRY = "entry"
    CLOSE = "close"  # a closing signal
    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"
    TRAILING_STOP = "trailing_stop"
    MANUAL = "manual"  # its owner asked to close the position now

    @property
    def code(self) -> str:
        return _CODES[self]

    @property
    def exit_reason(self) -> ExitReason | None:
        """Name a closing order's purpose in the one vocabulary of exit reasons (a closing
        signal is `signal` there, as in backtests, trade files and notifications)."""
        return _EXIT_REASONS[self]


_EXIT_REASONS: Mapping[OrderPurpose, ExitReason | None] = {
    OrderPurpose.ENTRY: None,
    OrderPurpose.CLOSE: ExitReason.SIGNAL,
    OrderPurpose.STOP_LOSS: ExitReason.STOP_LOSS,
    OrderPurpose.TAKE_PROFIT: ExitReason.TAKE_PROFIT,
    OrderPurpose.TRAILING_STOP: ExitReason.TRAILING_STOP,
    OrderPurpose.MANUAL: ExitReason.MANUAL,
}
_CODES = {
    OrderPurpose.ENTRY: "e",
    OrderPurpose.CLOSE: "c",
    OrderPurpose.STOP_LOSS: "s",
    OrderPurpose.TAKE_PROFIT: "t",
    OrderPurpose.TRAILING_STOP: "r",
    OrderPurpose.MANUAL: "m",
}


@dataclass(frozen=True, slots=True)
class ClientOrderId:
    """Our id for an order, unique per bot, slot, purpose and attempt; Binance's rules."""

    value: str

    def __post_init__(self) -> None:
        if not _CLIENT_ID.match(self.value):
            raise DomainError(f"client order id {self.value!r}: 1-36 chars of [.A-Z:/a-z0-9_-]")

    @classmethod
    def for_slot(
        cls, bot_id: int, slot: int, purpose: OrderPurpose, attempt: int = 0
    ) -> ClientOrderId:
        """Return the id of a bot's order in one slot; a new attempt gets a new id."""
        return cls(f"tw{bot_id}-{slot}-{purpose.code}{attempt}")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A MARKET order the bot wants placed."""

    client_order_id: ClientOrderId
    symbol: Symbol
    position_type: PositionType
    side: Side
    quantity: Decimal
    reduce_only: bool = False


@dataclass(frozen=True, slots=True)
class OrderReport:
    """What the exchange says of an order: status and fills so far, all in Decimal."""

    client_order_id: ClientOrderId
    exchange_order_id: str
    symbol: Symbol
    side: Side
    status: OrderStatus
    requested_qty: Decimal
    executed_qty: Decimal
    avg_price: Decimal
    quote_qty: Decimal
    fee: Decimal
    fee_asset: str
    time: int  # Unix seconds of the last change (fill time for filled orders)
    purpose: OrderPurpose | None = None  # set for protective orders the exchange triggered
    raw: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProtectionRequest:
    """Protective exit orders resting on the exchange for one position (one cancels others).

    Levels are absolute prices; `trailing_rate` is a fraction of the best price since entry.
    """

    symbol: Symbol
    position_type: PositionType
    position_side: PositionSide
    quantity: Decimal
    entry_price: Decimal
    stop_loss: Decimal | None
    take_profit: Decimal | None
    trailing_rate: Decimal | None
    ids: Mapping[OrderPurpose, ClientOrderId]


@dataclass(frozen=True, slots=True)
class ExchangePosition:
    """A futures position as the exchange reports it."""

    symbol: Symbol
    side: PositionSide
    quantity: Decimal
    entry_price: Decimal
    liquidation_price: Decimal
    leverage: int
    isolated: bool

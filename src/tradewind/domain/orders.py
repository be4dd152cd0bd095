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
# Ours: tw<bot id>-<slot>-<purpose code><attempt> (see `ClientOrderId.for_slot`).
_OURS = re.compile(r"^tw(\d+)-(\d+)-([a-z])(\d+)$")


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
        return cls(f"{cls.bot_prefix(bot_id)}{slot}-{purpose.code}{attempt}")

    @staticmethod
    def bot_prefix(bot_id: int) -> str:
        """Return how every client order id of the bot begins ("tw7-": never "tw71-")."""
        return f"tw{bot_id}-"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class OursParsed:
    """What one of our client order ids says: whose order, which slot, what for."""

    bot_id: int
    slot: int
    purpose: OrderPurpose


def parse_ours(client_order_id: str) -> OursParsed | None:
    """Read one of our client order ids; None for an id tradewind did not make."""
    found = _OURS.match(client_order_id)
    if found is None:
        return None
    purpose = _PURPOSES.get(found.group(3))
    if purpose is None:
        return None
    return OursParsed(int(found.group(1)), int(found.group(2)), purpose)


_PURPOSES = {code: purpose for purpose, code in _CODES.items()}


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """An order resting at the venue, as its list of open orders shows it.

    `client_order_id` is whoever placed it chose: ours (`tw<bot>-...`), or the owner's,
    or another program's on the same account (a free string, never validated here).
    """

    client_order_id: str
    symbol: Symbol
    position_type: PositionType
    side: Side
    quantity: Decimal
    order_type: str  # the venue's name for it: LIMIT, STOP_MARKET, TAKE_PROFIT, ...
    reduce_only: bool = False


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

"""Small enums and value types shared across the domain."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import NewType

Symbol = NewType("Symbol", str)
"""An instrument as the venue names it (BTCUSDT): a `str` the type checker tells apart.

A NewType, not a class: symbols are dict keys, Redis and database values and numpy-free
hot-path arguments everywhere, and stay plain strings at run time; the checker makes
every place that turns some text into a symbol say so with `Symbol(...)`.
"""


class Side(StrEnum):
    """Direction of an order."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class PositionType(StrEnum):
    """Which market a bot trades: spot (long only) or USDⓈ-M futures (long and short)."""

    SPOT = "spot"
    FUTURES = "futures"


class PositionSide(StrEnum):
    """The side of an open position."""

    LONG = "long"
    SHORT = "short"

    @property
    def entry_side(self) -> Side:
        return Side.BUY if self is PositionSide.LONG else Side.SELL

    @property
    def exit_side(self) -> Side:
        return Side.SELL if self is PositionSide.LONG else Side.BUY


class Signal(IntEnum):
    """What the strategy says at a closed candle. Values are used in numpy int8 arrays."""

    NONE = 0
    BUY = 1
    SELL = -1


class ExitReason(StrEnum):
    """Why a position was closed."""

    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"
    TRAILING_STOP = "trailing_stop"
    SIGNAL = "signal"
    MANUAL = "manual"  # its owner closed it (`bot close`, the dashboard's button)

"""Spot exits the exchange cannot rest, in the backtest as the live bot takes them.

Binance spot rests one stop per position (an OCO), so a spot bot with a stop-loss and a
trailing stop rests one of them and watches the other (`domain.watched_exits`): the
bot reads each minute once it has closed and, when the watched level was reached in
minute j, closes the whole position by MARKET order at the next minute — at the open of
minute j + 1, not at the level. The resting exits act inside their minute, so when a
resting exit and the watched one are reached in the same minute, the resting one fills
(docs/strategy.md, "Exits the exchange cannot rest").

The engine (services/tick) does exactly this on paper (the simulated venue rests what
Binance spot rests) and live; this module is the backtester's copy of it.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from tradewind.domain.candles import Candles, to_decimal
from tradewind.domain.exits import first_exit, stop_loss_level
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.params import ExitRules
from tradewind.domain.types import ExitReason, PositionSide, PositionType
from tradewind.domain.watched_exits import spot_watched, watched_rules

LONG = PositionSide.LONG
# An exit: the data candle of its fill, the fill price, the reason.
Hit = tuple[int, Decimal, ExitReason]


def watched_stop(
    position_type: PositionType, entry_price: Decimal, exits: ExitRules
) -> OrderPurpose | None:
    """Return the exit a position entered at `entry_price` leaves to the bot, if any."""
    if position_type is not PositionType.SPOT:
        return None  # futures rest every exit (one conditional order each)
    return spot_watched(entry_price, stop_loss_level(LONG, entry_price, exits), exits.trailing_stop)


def first_exit_watching(
    entry_price: Decimal,
    exits: ExitRules,
    watched: OrderPurpose,
    fine: Candles,
    start: int,
    end: int,
) -> Hit | None:
    """The first exit of a spot long in data candles start..end (inclusive), or None.

    `start` is the entry minute (the peak starts at the entry price there); the watched
    exit reached in minute j fills at the open of j + 1, which may lie after `end` (at the
    close where a signal would have closed the position: the watch comes first). Reached
    in the data's last minute, it has nothing to fill on and the position stays open.
    """
    window = slice(start, end + 1)
    arrays = fine.open[window], fine.high[window], fine.low[window]
    resting_rules = _without(exits, watched)
    resting = first_exit(LONG, entry_price, entry_price, resting_rules, *arrays)
    watch = first_exit(
        LONG, entry_price, entry_price, watched_rules(exits, frozenset({watched})), *arrays
    )
    if watch is None or (resting is not None and resting.index <= watch.index):
        return None if resting is None else (start + resting.index, resting.price, resting.reason)
    fill = start + watch.index + 1
    if fill >= len(fine):
        return None  # reached in the last minute: no next minute to fill on
    return fill, to_decimal(float(fine.open[fill])), watch.reason


def _without(exits: ExitRules, purpose: OrderPurpose) -> ExitRules:
    if purpose is OrderPurpose.STOP_LOSS:
        return replace(exits, stop_loss=None)
    if purpose is OrderPurpose.TRAILING_STOP:
        return replace(exits, trailing_stop=None)
    return replace(exits, take_profit=None)

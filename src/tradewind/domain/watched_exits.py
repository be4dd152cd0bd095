"""Exits the exchange cannot rest, watched by the bot minute by minute (docs/strategy.md).

Binance spot rests one stop per position (an OCO: a stop below, a take-profit above). A
bot with a stop-loss AND a trailing stop gets the one that can fire first resting there;
the other is the bot's to watch. At every minute the bot reads the 1-minute candles that
closed since it last looked and applies the rule book's exit rule to the watched levels
alone (`exit_in_candle`: the trailing peak known at the end of the previous minute, the
entry price within the entry minute). When one is reached, the bot closes the position
with a MARKET order.

Which exits a spot exchange rests is decided here once (`spot_watched`), for the Binance
adapter, the simulated venue (paper) and the backtester alike.

Pure: the tick persists the `Watch` with the position and fetches the candles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from tradewind.domain.exits import exit_in_candle, updated_peak
from tradewind.domain.orders import OrderPurpose, ProtectionRequest
from tradewind.domain.params import ExitRules
from tradewind.domain.types import ExitReason, PositionSide

MINUTE = 60
# A minute's candle as the watch reads it: (open time, open, high, low), exact decimals.
Minute = tuple[int, Decimal, Decimal, Decimal]


@dataclass(frozen=True, slots=True)
class Watch:
    """The exits of a position the bot watches itself, and how far it has looked.

    `peak` is the best price known at the end of the last minute looked at (the entry
    price before the first); `until` the open time of the first minute not looked at yet.
    """

    purposes: frozenset[OrderPurpose]
    peak: Decimal
    until: int

    @classmethod
    def from_entry(
        cls, purposes: Iterable[OrderPurpose], entry_price: Decimal, entry_time: int
    ) -> Watch:
        """Return the watch of a position from its entry minute on (the entry minute counts)."""
        return cls(frozenset(purposes), entry_price, entry_time - entry_time % MINUTE)

    def minutes_to_read(self, slot: int) -> int:
        """Return how many 1-minute candles closed at or before `slot` were not looked at."""
        return max(0, (slot - self.until) // MINUTE)


def spot_watched(
    entry_price: Decimal, stop_loss: Decimal | None, trailing_rate: Decimal | None
) -> OrderPurpose | None:
    """Return the stop a spot exchange cannot rest beside the other, None unless both are set.

    A spot OCO holds one stop below the price: the one that can fire first rests. That is
    the trailing stop when its level at entry is at or above the fixed stop's (it never
    falls, so the fixed stop could never fire first), else the fixed stop-loss; the other
    one is watched by the bot.
    """
    if stop_loss is None or trailing_rate is None:
        return None
    if entry_price * (1 - trailing_rate) >= stop_loss:
        return OrderPurpose.STOP_LOSS
    return OrderPurpose.TRAILING_STOP


def spot_restable(request: ProtectionRequest) -> ProtectionRequest:
    """Return a spot position's protection reduced to what one OCO holds (`spot_watched`).

    The exit left out has no order: the exchange reports none for it, and the tick
    watches it.
    """
    watched = spot_watched(request.entry_price, request.stop_loss, request.trailing_rate)
    if watched is None:
        return request
    ids = {p: cid for p, cid in request.ids.items() if p is not watched}
    if watched is OrderPurpose.STOP_LOSS:
        return replace(request, stop_loss=None, ids=ids)
    return replace(request, trailing_rate=None, ids=ids)


def watched_rules(exits: ExitRules, purposes: frozenset[OrderPurpose]) -> ExitRules:
    """Return the bot's exit rules reduced to the exits it watches."""
    return replace(
        exits,
        stop_loss=exits.stop_loss if OrderPurpose.STOP_LOSS in purposes else None,
        take_profit=exits.take_profit if OrderPurpose.TAKE_PROFIT in purposes else None,
        trailing_stop=exits.trailing_stop if OrderPurpose.TRAILING_STOP in purposes else None,
    )


def look(
    watch: Watch,
    side: PositionSide,
    entry_price: Decimal,
    exits: ExitRules,
    minutes: Iterable[Minute],
) -> tuple[Watch, ExitReason | None]:
    """Apply the watched exits to the minutes not looked at yet, oldest first.

    Returns the watch moved past every minute in which nothing fired, and the exit reached,
    if any. The minute an exit is reached in is not moved past: should the closing order
    not go through, the next look finds the exit again.
    """
    rules = watched_rules(exits, watch.purposes)
    for open_time, open_, high, low in minutes:
        if open_time < watch.until:
            continue  # looked at already
        hit = exit_in_candle(side, entry_price, watch.peak, rules, open_, high, low)
        if hit is not None:
            return watch, hit[1]
        watch = replace(
            watch, peak=updated_peak(side, watch.peak, high, low), until=open_time + MINUTE
        )
    return watch, None

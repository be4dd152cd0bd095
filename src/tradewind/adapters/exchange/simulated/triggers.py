"""When a protective order fires inside one candle: the domain's rule, at absolute levels.

`tradewind.domain.exits.exit_in_candle` defines the rule (STRATEGY.md "Fills") from an entry
price and fractions. A resting order carries absolute levels instead, and turning a level
back into a fraction of the entry is not exact in Decimal (98.03 / 100.07 does not
terminate), so a candle could touch the level and still be judged a miss. This function
states the same rule on the levels themselves; a Hypothesis test pins it to
`exit_in_candle` for every level that comes from a fraction. The trailing level and the
peak update are the domain's own functions.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.exits import trailing_level, updated_peak
from tradewind.domain.params import ExitRules
from tradewind.domain.types import ExitReason, PositionSide

__all__ = ["exit_at_levels", "updated_peak"]


def exit_at_levels(
    side: PositionSide,
    stop_loss: Decimal | None,
    take_profit: Decimal | None,
    trailing_rate: Decimal | None,
    peak: Decimal,
    open_: Decimal,
    high: Decimal,
    low: Decimal,
) -> tuple[Decimal, ExitReason] | None:
    """Return the fill price and reason if a protective level fires in this candle, else None.

    `peak` is the best price known at the end of the previous candle (the entry price in
    the entry candle). A level the candle opened beyond fills at the open (gap); when a stop
    and the take-profit both lie inside the candle the stop comes first; of two stops, the
    one nearer the price counts (the stop-loss on a tie).
    """
    long = side is PositionSide.LONG
    stops: list[tuple[Decimal, ExitReason]] = []
    if stop_loss is not None:
        stops.append((stop_loss, ExitReason.STOP_LOSS))
    if trailing_rate is not None:
        level = trailing_level(side, peak, ExitRules(trailing_stop=trailing_rate))
        assert level is not None
        stops.append((level, ExitReason.TRAILING_STOP))
    stop = None
    if stops:
        stop = max(stops, key=lambda s: s[0]) if long else min(stops, key=lambda s: s[0])
    if stop is not None and (open_ <= stop[0] if long else open_ >= stop[0]):
        return open_, stop[1]
    if take_profit is not None and (open_ >= take_profit if long else open_ <= take_profit):
        return open_, ExitReason.TAKE_PROFIT
    if stop is not None and (low <= stop[0] if long else high >= stop[0]):
        return stop
    if take_profit is not None and (high >= take_profit if long else low <= take_profit):
        return take_profit, ExitReason.TAKE_PROFIT
    return None

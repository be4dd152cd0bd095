"""Protective exits: stop-loss, take-profit and trailing stop (docs/strategy.md, "Exits").

The stop-loss and take-profit levels are on the market's price tick (`ExitRules.tick`),
rounded toward the entry price: the levels an exchange holds (Binance takes a trigger price
only on PRICE_FILTER's tickSize), so paper, the backtest and live rest the same level. A
stop so rounded is a hair tighter, a take-profit a hair nearer, never the other way.

`exit_in_candle` is the definition, in Decimal, for one candle. `first_exit` finds the first
candle of a window where it fires: a float pass over the arrays proposes candidates and
`exit_in_candle` decides each one exactly, so the fast path can never disagree with the
definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np

from tradewind.domain.candles import FloatArray, to_decimal
from tradewind.domain.params import ExitRules
from tradewind.domain.types import ExitReason, PositionSide

ONE = Decimal(1)
# Float levels may be off by a few ulps from the exact Decimal levels; widen the float
# filter by far more than that so a true hit is never filtered out.
_FILTER_SLACK = 1e-9


@dataclass(frozen=True, slots=True)
class ExitHit:
    """Where and why a position closes: candle index, fill price, reason."""

    index: int
    price: Decimal
    reason: ExitReason


def on_tick(price: Decimal, tick: Decimal, *, up: bool) -> Decimal:
    """Return `price` rounded to a multiple of `tick`, up or down; a zero tick keeps it.

    A price already on the tick is returned as it is (its digits too).
    """
    if tick == 0:
        return price
    steps = (price / tick).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
    rounded = steps * tick
    return price if rounded == price else rounded


def stop_loss_level(side: PositionSide, entry: Decimal, rules: ExitRules) -> Decimal | None:
    """Return the fixed stop-loss price on the tick, or None when no stop-loss is set.

    Long: entry·(1 − sl) rounded up; short: entry·(1 + sl) rounded down (toward the entry).
    """
    if rules.stop_loss is None:
        return None
    if side is PositionSide.LONG:
        return on_tick(entry * (ONE - rules.stop_loss), rules.tick, up=True)
    return on_tick(entry * (ONE + rules.stop_loss), rules.tick, up=False)


def take_profit_level(side: PositionSide, entry: Decimal, rules: ExitRules) -> Decimal | None:
    """Return the take-profit price on the tick, or None when no take-profit is set.

    Long: entry·(1 + tp) rounded down; short: entry·(1 − tp) rounded up (toward the entry).
    """
    if rules.take_profit is None:
        return None
    if side is PositionSide.LONG:
        return on_tick(entry * (ONE + rules.take_profit), rules.tick, up=False)
    return on_tick(entry * (ONE - rules.take_profit), rules.tick, up=True)


def trailing_level(side: PositionSide, peak: Decimal, rules: ExitRules) -> Decimal | None:
    """Return the trailing-stop price for the best price seen (`peak`), or None if unset."""
    if rules.trailing_stop is None:
        return None
    if side is PositionSide.LONG:
        return peak * (ONE - rules.trailing_stop)
    return peak * (ONE + rules.trailing_stop)


def active_stop(
    side: PositionSide, entry: Decimal, peak: Decimal, rules: ExitRules
) -> tuple[Decimal, ExitReason] | None:
    """Return the stop that would be hit first (nearer the price), with its reason."""
    stops = [
        (level, reason)
        for level, reason in (
            (stop_loss_level(side, entry, rules), ExitReason.STOP_LOSS),
            (trailing_level(side, peak, rules), ExitReason.TRAILING_STOP),
        )
        if level is not None
    ]
    if not stops:
        return None
    # A long's nearer stop is the higher one; a short's the lower one. Ties go to stop-loss.
    if side is PositionSide.LONG:
        return max(stops, key=lambda s: s[0])
    return min(stops, key=lambda s: s[0])


def exit_in_candle(
    side: PositionSide,
    entry: Decimal,
    peak: Decimal,
    rules: ExitRules,
    open_: Decimal,
    high: Decimal,
    low: Decimal,
) -> tuple[Decimal, ExitReason] | None:
    """Return the fill price and reason if an exit fires inside this candle, else None.

    `peak` is the best price known at the end of the previous candle (the entry price in
    the entry candle). A level the candle opened beyond fills at the open (gap); when both
    a stop and the take-profit lie inside the candle, the stop is assumed to come first.
    """
    stop = active_stop(side, entry, peak, rules)
    target = take_profit_level(side, entry, rules)
    long = side is PositionSide.LONG
    if stop is not None and (open_ <= stop[0] if long else open_ >= stop[0]):
        return open_, stop[1]
    if target is not None and (open_ >= target if long else open_ <= target):
        return open_, ExitReason.TAKE_PROFIT
    if stop is not None and (low <= stop[0] if long else high >= stop[0]):
        return stop[0], stop[1]
    if target is not None and (high >= target if long else low <= target):
        return target, ExitReason.TAKE_PROFIT
    return None


def updated_peak(side: PositionSide, peak: Decimal, high: Decimal, low: Decimal) -> Decimal:
    """Return the best price seen after a candle: the highest high (long), lowest low (short)."""
    return max(peak, high) if side is PositionSide.LONG else min(peak, low)


def first_exit(
    side: PositionSide,
    entry: Decimal,
    peak: Decimal,
    rules: ExitRules,
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
) -> ExitHit | None:
    """Return the first exit in these candles (index within the arrays), or None.

    `peak` is the best price known before the first candle (the entry price when the first
    candle is the entry candle).
    """
    n = int(open_.shape[0])
    if n == 0:
        return None
    long = side is PositionSide.LONG
    up, down = 1 + _FILTER_SLACK, 1 - _FILTER_SLACK
    masks = []
    # The Decimal levels, on the tick: floats of them, widened like the rest.
    stop = stop_loss_level(side, entry, rules)
    if stop is not None:
        masks.append(low <= float(stop) * up if long else high >= float(stop) * down)
    target = take_profit_level(side, entry, rules)
    if target is not None:
        masks.append(high >= float(target) * down if long else low <= float(target) * up)
    extremes = None
    if rules.trailing_stop is not None:
        # Best price known at the start of each candle: the previous candles' extreme, or
        # NaN in the first candle, where only `peak` is known.
        extremes = np.empty(n)
        extremes[0] = np.nan
        ts = float(rules.trailing_stop)
        if long:
            np.maximum.accumulate(high[:-1], out=extremes[1:])
            masks.append(low <= np.fmax(extremes, float(peak)) * ((1 - ts) * up))
        else:
            np.minimum.accumulate(low[:-1], out=extremes[1:])
            masks.append(high >= np.fmin(extremes, float(peak)) * ((1 + ts) * down))
    if not masks:
        return None
    candidate = masks[0]
    for mask in masks[1:]:
        candidate |= mask
    start = 0
    while start < n:
        j = start + int(np.argmax(candidate[start:]))
        if not candidate[j]:
            return None
        peak_j = peak
        if extremes is not None and j > 0:
            peak_j = _best(side, peak, to_decimal(float(extremes[j])))
        hit = exit_in_candle(
            side,
            entry,
            peak_j,
            rules,
            to_decimal(float(open_[j])),
            to_decimal(float(high[j])),
            to_decimal(float(low[j])),
        )
        if hit is not None:
            return ExitHit(j, hit[0], hit[1])
        start = j + 1
    return None


def peak_after(side: PositionSide, peak: Decimal, high: FloatArray, low: FloatArray) -> Decimal:
    """Return the best price known after these candles, starting from `peak`."""
    if high.shape[0] == 0:
        return peak
    if side is PositionSide.LONG:
        return _best(side, peak, to_decimal(float(np.max(high))))
    return _best(side, peak, to_decimal(float(np.min(low))))


def _best(side: PositionSide, a: Decimal, b: Decimal) -> Decimal:
    return max(a, b) if side is PositionSide.LONG else min(a, b)

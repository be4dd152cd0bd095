"""Find, for many positions at once, the first candle where a fixed exit level may fire.

The backtester's walk asks for each position's exit in turn; for stop-loss and
take-profit without a trailing stop the levels depend only on the entry price, so the
candidates of every possible entry are found here in a few array passes instead of a
dozen small numpy calls per position. Like `first_exit`'s filter, the float test is
widened (`FILTER_SLACK`) so it proposes every candle where the exact Decimal rule
(`exit_in_candle`) fires, and perhaps a few more: the caller confirms each candidate
exactly and moves on from a false one. The exact levels are on the price tick, rounded
toward the entry (`domain.exits`), so the float levels here are moved a whole tick that
way too: a superset again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tradewind.domain.candles import FloatArray, IntArray
from tradewind.domain.params import ExitRules

# Float levels may be off by a few ulps from the exact Decimal levels; widen the float
# filter by far more than that so a true hit is never filtered out (as `first_exit`).
FILTER_SLACK = 1e-9
# Candle indexes gathered at once: bounds the memory of many long overlapping windows.
_CHUNK = 1 << 20


def fixed_exit_candidates(
    long: bool,
    rules: ExitRules,
    entry_price: FloatArray,
    start: IntArray,
    end: IntArray,
    high: FloatArray,
    low: FloatArray,
) -> IntArray:
    """Return, per position, the first candle in `start[k]..end[k]` (inclusive) whose
    range reaches its stop-loss or take-profit (float test, widened), or -1 if none.

    Only for fixed levels: `rules.trailing_stop` must be None.
    """
    if rules.trailing_stop is not None:
        raise ValueError("fixed_exit_candidates: a trailing stop moves; use first_exit")
    found: IntArray = np.full(start.shape[0], -1, dtype=np.int64)
    up, down = 1 + FILTER_SLACK, 1 - FILTER_SLACK
    tick = float(rules.tick)
    sl = None if rules.stop_loss is None else float(rules.stop_loss)
    tp = None if rules.take_profit is None else float(rules.take_profit)
    if sl is None and tp is None:
        return found
    lengths = end - start + 1
    first = 0
    while first < start.shape[0]:
        # Positions first..last-1, whose windows hold at most _CHUNK candles in all (or one).
        total = np.cumsum(lengths[first:])
        last = first + max(1, int(np.searchsorted(total, _CHUNK, side="right")))
        part = slice(first, last)
        counts = lengths[part]
        offsets = np.cumsum(counts) - counts
        where = np.arange(int(counts.sum()), dtype=np.int64)
        where += np.repeat(start[part] - offsets, counts)
        price = np.repeat(entry_price[part], counts)
        hit = _reached(long, sl, tp, (up, down, tick), price, high[where], low[where])
        candles = np.flatnonzero(hit)
        owner = np.searchsorted(offsets, candles, side="right") - 1
        owners, firsts = np.unique(owner, return_index=True)
        found[first + owners] = where[candles[firsts]]
        first = last
    return found


def _reached(
    long: bool,
    sl: float | None,
    tp: float | None,
    widen: tuple[float, float, float],
    price: FloatArray,
    high: FloatArray,
    low: FloatArray,
) -> Any:
    up, down, tick = widen  # a level toward the entry: up for a long's stop, a short's target
    hit = np.zeros(price.shape[0], dtype=bool)
    if long:
        if sl is not None:
            hit |= low <= price * ((1 - sl) * up) + tick
        if tp is not None:
            hit |= high >= price * ((1 + tp) * down) - tick
    else:
        if sl is not None:
            hit |= high >= price * ((1 + sl) * down) - tick
        if tp is not None:
            hit |= low <= price * ((1 - tp) * up) + tick
    return hit

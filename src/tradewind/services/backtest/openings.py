"""Every candle where a flat bot may open, with what the walk reads about it, found at once.

The walk visits only the openings it can take (one at a time, flat again after each
exit), but what it reads about each one (the decision close, the fill candle, the
closing signal that bounds the position, that signal's fill) depends on the candle
alone, not on the walk's state. So it is gathered here for all of them in a few array
passes and handed over as Python lists: the walk then reads plain ints and floats
instead of indexing numpy arrays once per value (a numpy scalar costs a microsecond or
two to read and convert: a good part of the walk over 10,000 trades).

Timing as in `engine`: decided at the close of bot candle i, filled at the open of
candle i + 1 (its first data candle); the position is bounded by the next closing
signal s at or after i + 1 (the data's last bot candle without one), whose order fills at
the open of s + 1 when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradewind.domain.decide import opens
from tradewind.domain.types import PositionSide, PositionType, Signal
from tradewind.services.backtest.feed import BacktestFeed


@dataclass(frozen=True, slots=True)
class Openings:
    """Per possible opening k (in candle order), the walk's inputs; lists, not arrays.

    The fill fields of an opening at the last bot candle (no candle to fill in) hold
    the last candle's values; the walk stops before it.
    """

    index: list[int]  # bot candle i of the decision
    signal: list[Signal]
    side: list[PositionSide]
    decision_close: list[float]  # close of i, the price the entry is sized at
    fill: list[int]  # data candle of the fill: the first of bot candle i + 1
    fill_time: list[int]
    fill_open: list[float]
    window_end: list[int]  # last data candle exits are checked on (the close of s)
    closes: list[bool]  # a closing signal fills within the data (at the open of s + 1)
    close_index: list[int]  # bot candle s + 1 (meaningful where `closes`)
    close_fill: list[int]  # its first data candle
    close_time: list[int]
    close_open: list[float]

    def __len__(self) -> int:
        return len(self.index)


def find_openings(feed: BacktestFeed, signals: np.ndarray, position_type: PositionType) -> Openings:
    """Return every opening of a flat bot, in candle order."""
    n, starts, fine = len(feed.bot), feed.starts, feed.fine
    buys = np.flatnonzero(signals == Signal.BUY)
    sells = np.flatnonzero(signals == Signal.SELL)
    closing = {PositionSide.LONG: sells, PositionSide.SHORT: buys}
    # The candles where a flat bot may open (`decide` says which signals open what: a
    # spot bot never opens on a sell), with the signal seen there, in candle order.
    parts = [
        (where, signal, side)
        for signal, where in ((Signal.BUY, buys), (Signal.SELL, sells))
        if (side := opens(signal, position_type)) is not None
    ]
    at = np.concatenate([where for where, _, _ in parts]) if parts else np.empty(0, np.int64)
    order = np.argsort(at, kind="stable")
    at = at[order].astype(np.int64)
    codes = np.concatenate([np.full(w.shape[0], j) for j, (w, _, _) in enumerate(parts)])
    codes = codes[order] if parts else codes
    entry = np.minimum(at + 1, n - 1)  # bot candle of the fill (clipped: see the class)
    s = np.full(at.shape[0], n - 1, dtype=np.int64)
    closes = np.zeros(at.shape[0], dtype=bool)
    for j, (_, _, side) in enumerate(parts):
        mine = codes == j
        ends = closing[side]
        if ends.shape[0] == 0:
            continue  # no closing signal: every window runs to the data's end
        k = np.searchsorted(ends, entry[mine])
        found = k < ends.shape[0]
        s_mine = np.where(found, ends[np.minimum(k, ends.shape[0] - 1)], n - 1)
        s[mine] = s_mine
        closes[mine] = found & (s_mine + 1 < n)
    fill = starts[entry]
    close_index = np.minimum(s + 1, n - 1)
    close_fill = starts[close_index]
    sides = [side for _, _, side in parts]
    signal_of = [signal for _, signal, _ in parts]
    code_list = codes.tolist()
    return Openings(
        index=at.tolist(),
        signal=[signal_of[c] for c in code_list],
        side=[sides[c] for c in code_list],
        decision_close=feed.bot.close[at].tolist(),
        fill=fill.tolist(),
        fill_time=fine.open_time[fill].tolist(),
        fill_open=fine.open[fill].tolist(),
        window_end=(starts[s + 1] - 1).tolist(),
        closes=closes.tolist(),
        close_index=close_index.tolist(),
        close_fill=close_fill.tolist(),
        close_time=fine.open_time[close_fill].tolist(),
        close_open=fine.open[close_fill].tolist(),
    )

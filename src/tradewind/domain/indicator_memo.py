"""Indicators computed once per series and period while a parameter search runs.

A search backtests thousands of parameter sets on the same candles; an EMA/RSI grid of
1,000 sets has some 70 distinct periods, yet each set's backtest would compute its own
three indicators over the whole series. With a memo installed (`install`), `ema` and
`rsi` (`@remembered`) return the array computed before for the same input series and
period: the same numbers, since the result depends on nothing else.

The input series is recognised by its memory (address, length, stride), not its value:
a fold's window is a fresh view of the same closes at every call, so identity would miss
it, and comparing values would cost as much as the EMA. An entry holds its input array,
so that memory cannot be freed and reused by other values while the entry exists; the
series must not be changed in place meanwhile (candles never are). Remembered arrays are
read-only, so a caller that tried to change one would fail loudly rather than corrupt the
next set's indicators.

The memo is bounded (least recently used entries go first) and off unless installed:
the live bot and a single backtest never hold indicators beyond their call.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from tradewind.domain.candles import FloatArray

_Key = tuple[str, int, int, int, str, int]
Indicator = TypeVar("Indicator", bound=Callable[..., FloatArray])


class IndicatorMemo:
    """Indicator arrays by (indicator, input series, period), up to `max_bytes` in all."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[_Key, tuple[FloatArray, FloatArray]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: _Key) -> FloatArray | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: _Key, series: FloatArray, values: FloatArray) -> None:
        if values.nbytes > self.max_bytes:
            return
        values.flags.writeable = False
        self._entries[key] = (series, values)
        self.bytes += values.nbytes
        while self.bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped.nbytes


_ACTIVE: IndicatorMemo | None = None


def install(memo: IndicatorMemo | None) -> None:
    """Make `memo` the one `ema` and `rsi` consult in this process (None: no memo)."""
    global _ACTIVE  # noqa: PLW0603 - one search per process at a time
    _ACTIVE = memo


def active() -> IndicatorMemo | None:
    return _ACTIVE


def remembered(name: str) -> Callable[[Indicator], Indicator]:
    """Decorate `indicator(series, period)` to consult the installed memo, if any."""

    def decorate(indicator: Indicator) -> Indicator:
        @functools.wraps(indicator)
        def consult(series: Any, period: int) -> FloatArray:
            memo = _ACTIVE
            if (
                memo is None
                or not isinstance(series, np.ndarray)
                or series.ndim != 1
                or isinstance(period, bool)
                or not isinstance(period, int | np.integer)
            ):  # what the memo cannot key on, the indicator computes (or refuses)
                return indicator(series, period)
            key: _Key = (
                name,
                int(series.__array_interface__["data"][0]),
                int(series.shape[0]),
                int(series.strides[0]),
                series.dtype.str,
                int(period),
            )
            found = memo.get(key)
            if found is None:
                found = indicator(series, period)
                memo.put(key, series, found)
            return found

        return consult  # type: ignore[return-value]

    return decorate

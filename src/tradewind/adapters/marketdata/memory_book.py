"""The stream book of one process: closed candles in memory, and waiting for them to land.

`tradewind run --exchange binance` runs its kline feeder in a thread of its own and its
ticks in another; nothing else reads its candles, so they need no Redis: the run starts
with no setup, and its market data keeps flowing while Redis is away. It is the same book
as `StreamCandleBook` (the `CandleBook` port: the newest `keep` candles per series, the
series' first candle when a fetch found the listing) with the announcement replaced by a
condition that every `add` notifies: `MemoryCandleArrivals.follow` wakes the moment a
candle lands, as `CandleArrivals` does on Redis pub/sub.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

from tradewind.adapters.marketdata.stream_arrivals import SeriesAt
from tradewind.adapters.marketdata.stream_book import DEFAULT_KEEP, pack_row, rows_to_candles
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType

Key = TypeVar("Key", bound=Hashable)
SeriesKey = tuple[PositionType, str, str]
POLL_S = 1.0  # a wait's longest sleep before the deadline is judged again


class _Series:
    """One series' candles: open times in order, a packed row per open time."""

    def __init__(self) -> None:
        self.opens: list[int] = []
        self.rows: dict[int, bytes] = {}

    def put(self, opened: int, row: bytes) -> None:
        if opened not in self.rows:
            bisect.insort(self.opens, opened)
        self.rows[opened] = row

    def trim(self, keep: int) -> None:
        extra = len(self.opens) - keep
        if extra > 0:
            for opened in self.opens[:extra]:
                del self.rows[opened]
            del self.opens[:extra]


class MemoryCandleBook:
    """The closed candles of each followed series, in this process (see the module)."""

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self.keep = keep
        self._series: dict[SeriesKey, _Series] = {}
        self._first: dict[SeriesKey, int] = {}
        self.landed = threading.Condition()  # notified on every add

    def add(self, market: PositionType, symbol: str, timeframe: str, candles: Candles) -> None:
        """Store closed candles (idempotent: a candle stored again replaces itself)."""
        if not len(candles):
            return
        with self.landed:
            series = self._series.setdefault((market, symbol, timeframe), _Series())
            for i in range(len(candles)):
                series.put(int(candles.open_time[i]), pack_row(candles, i))
            series.trim(self.keep)
            self.landed.notify_all()

    def mark_first(self, market: PositionType, symbol: str, timeframe: str, opened: int) -> None:
        """Record the series' first candle (a fetch got fewer than it asked: the listing)."""
        with self.landed:
            self._first[(market, symbol, timeframe)] = opened

    def first_open_time(self, market: PositionType, symbol: str, timeframe: str) -> int | None:
        """The series' first candle ever, when known."""
        with self.landed:
            return self._first.get((market, symbol, timeframe))

    def last_open_time(self, market: PositionType, symbol: str, timeframe: str) -> int | None:
        """The open time of the newest stored candle, or None for an empty series."""
        with self.landed:
            series = self._series.get((market, symbol, timeframe))
            return series.opens[-1] if series is not None and series.opens else None

    def read(
        self, market: PositionType, symbol: str, timeframe: str, last_open: int, limit: int
    ) -> Candles:
        """Up to `limit` stored candles opened at or before `last_open`, oldest first."""
        with self.landed:
            series = self._series.get((market, symbol, timeframe))
            if series is None or limit <= 0:
                return rows_to_candles([])
            end = bisect.bisect_right(series.opens, last_open)
            opens = series.opens[max(0, end - limit) : end]
            return rows_to_candles([series.rows[opened] for opened in opens])


class MemoryCandleArrivals:
    """Tells when the candles a slot needs are in a `MemoryCandleBook`."""

    def __init__(self, book: MemoryCandleBook, poll_s: float = POLL_S) -> None:
        self._book = book
        self._poll_s = poll_s

    def follow(
        self,
        wanted: Mapping[Key, SeriesAt],
        arrived: Callable[[Key], None],
        past_deadline: Callable[[], bool],
    ) -> list[Key]:
        """Call `arrived(key)` as each wanted candle is in the book (at once for those in
        already), until all are or `past_deadline()`; return the keys still missing.

        `arrived` runs outside the book's lock: the feeder keeps storing meanwhile.
        """
        pending = dict(wanted)
        while pending:
            with self._book.landed:
                landed = [key for key, at in pending.items() if self._in(at)]
                if not landed and not past_deadline():
                    self._book.landed.wait(self._poll_s)
                    landed = [key for key, at in pending.items() if self._in(at)]
            for key in landed:
                del pending[key]
                arrived(key)
            if past_deadline():
                break
        return list(pending)

    def _in(self, at: SeriesAt) -> bool:
        newest = self._book.last_open_time(at.market, at.symbol, at.timeframe)
        return newest is not None and newest >= at.needed_open

"""Closed candles pushed by the stream feeder, kept in Redis for every worker to read.

One sorted set per series (`namespace:stream:MARKET:SYMBOL:TIMEFRAME`), scored by the
candle's open time, each member one packed candle; the newest `keep` are kept. The feeder
(`binance/kline_feeder.py`) writes each candle that closes on Binance's kline stream, and
fills from REST what it missed while disconnected; every closed candle is also announced on
`namespace:stream:closed` (pub/sub), so a planner can start a slot as soon as its candles
are in rather than after a fixed delay.

`StreamMarketData` is the `MarketData` port over the book: a slot whose candles are all in
the book costs no REST call at all; anything short (the book behind, or a bot asking more
history than the book keeps) is read from REST and shared in the book for the others.
Never stale: a read returns only candles that closed by the asked time, and when the slot's
own candle is nowhere yet, the answer says so by ending before it (the tick then waits).
"""

from __future__ import annotations

import logging
import struct
from typing import Protocol

import numpy as np
import redis

from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.candles import Candles
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports import MarketData

log = logging.getLogger(__name__)

_ROW = struct.Struct("<q5d")  # open time (s), open, high, low, close, volume
DEFAULT_KEEP = 1_500  # a day of 1m candles and then some; longer warm-ups read REST once


def pack_row(candles: Candles, index: int) -> bytes:
    """One candle as the book stores it."""
    return _ROW.pack(
        int(candles.open_time[index]),
        float(candles.open[index]),
        float(candles.high[index]),
        float(candles.low[index]),
        float(candles.close[index]),
        float(candles.volume[index]),
    )


def rows_to_candles(rows: list[bytes]) -> Candles:
    """Candles from packed rows, oldest first."""
    values = [_ROW.unpack(row) for row in rows]
    columns = list(zip(*values, strict=True)) if values else [()] * 6
    return Candles(
        np.array(columns[0], dtype=np.int64),
        *(np.array(column, dtype=np.float64) for column in columns[1:]),
    )


class CandleBook(Protocol):
    """Where the feeder stores closed candles and the ticks read them: Redis
    (`StreamCandleBook`, shared by every worker) or one process's memory (`MemoryCandleBook`,
    the one-process `tradewind run --exchange binance`)."""

    keep: int

    def add(self, market: PositionType, symbol: str, timeframe: str, candles: Candles) -> None:
        """Store closed candles (idempotent: a candle stored again replaces itself)."""
        ...

    def mark_first(self, market: PositionType, symbol: str, timeframe: str, opened: int) -> None:
        """Record the series' first candle (a fetch got fewer than it asked: the listing)."""
        ...

    def first_open_time(self, market: PositionType, symbol: str, timeframe: str) -> int | None:
        """The series' first candle ever, when known."""
        ...

    def last_open_time(self, market: PositionType, symbol: str, timeframe: str) -> int | None:
        """The open time of the newest stored candle, or None for an empty series."""
        ...

    def read(
        self, market: PositionType, symbol: str, timeframe: str, last_open: int, limit: int
    ) -> Candles:
        """Up to `limit` stored candles opened at or before `last_open`, oldest first."""
        ...


class StreamCandleBook:
    """The closed candles of each followed series, in Redis (see the module)."""

    def __init__(self, client: redis.Redis, names: Names, keep: int = DEFAULT_KEEP) -> None:
        self._redis = client
        self._names = names
        self.keep = keep

    def key(self, market: PositionType, symbol: str, timeframe: str) -> str:
        return self._names.key("stream", market.value, symbol, timeframe)

    @property
    def channel(self) -> str:
        """Where each closed candle is announced as `MARKET:SYMBOL:TIMEFRAME:OPEN_TIME`."""
        return self._names.key("stream", "closed")

    def add(self, market: PositionType, symbol: str, timeframe: str, candles: Candles) -> None:
        """Store closed candles (idempotent: a candle stored again replaces itself)."""
        if not len(candles):
            return
        key = self.key(market, symbol, timeframe)
        pipe = self._redis.pipeline(transaction=True)
        for i in range(len(candles)):
            opened = int(candles.open_time[i])
            pipe.zremrangebyscore(key, opened, opened)
            pipe.zadd(key, {pack_row(candles, i): opened})
        pipe.zremrangebyrank(key, 0, -(self.keep + 1))
        last = int(candles.open_time[-1])
        pipe.publish(self.channel, f"{market.value}:{symbol}:{timeframe}:{last}")
        pipe.execute()

    def mark_first(self, market: PositionType, symbol: str, timeframe: str, opened: int) -> None:
        """Record the series' first candle (a fetch got fewer than it asked: the listing)."""
        self._redis.hset(self._names.key("stream", "first"), f"{market.value}:{symbol}:{timeframe}",
                         opened)  # fmt: skip

    def first_open_time(self, market: PositionType, symbol: str, timeframe: str) -> int | None:
        """The series' first candle ever, when known."""
        value = self._redis.hget(
            self._names.key("stream", "first"), f"{market.value}:{symbol}:{timeframe}"
        )
        return None if value is None else int(value)

    def last_open_time(self, market: PositionType, symbol: str, timeframe: str) -> int | None:
        """The open time of the newest stored candle, or None for an empty series."""
        newest = self._redis.zrange(self.key(market, symbol, timeframe), -1, -1, withscores=True)
        return int(newest[0][1]) if newest else None

    def read(
        self, market: PositionType, symbol: str, timeframe: str, last_open: int, limit: int
    ) -> Candles:
        """Up to `limit` stored candles opened at or before `last_open`, oldest first."""
        rows: list[bytes] = self._redis.zrevrangebyscore(  # type: ignore[assignment]
            self.key(market, symbol, timeframe), last_open, "-inf", start=0, num=limit
        )
        return rows_to_candles(list(reversed(rows)))


def newest(candles: Candles, count: int) -> Candles:
    """The last `count` candles."""
    start = max(0, len(candles) - count)
    return Candles(
        candles.open_time[start:],
        candles.open[start:],
        candles.high[start:],
        candles.low[start:],
        candles.close[start:],
        candles.volume[start:],
    )


def contiguous(candles: Candles, width: int) -> bool:
    """Tell whether no candle is missing between the first and the last."""
    return len(candles) < 2 or bool(np.all(np.diff(candles.open_time) == width))


class StreamMarketData:
    """`MarketData` over the stream book, with REST behind it (see the module)."""

    def __init__(self, book: CandleBook, rest: MarketData) -> None:
        self._book = book
        self._rest = rest
        self.book_reads = 0  # slots answered by the book alone, for benchmarks and tests
        self.rest_reads = 0

    def closed_candles(
        self, symbol: Symbol, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        """Return up to `limit` candles that closed at or before `until`, oldest first."""
        width = timeframe_seconds(timeframe)
        last_open = until - until % width - width
        try:
            stored = self._book.read(position_type, symbol, timeframe, last_open, limit)
        except redis.RedisError as e:
            log.warning("stream candles unavailable, reading REST: %s", e)
            self.rest_reads += 1
            return self._rest.closed_candles(symbol, timeframe, position_type, until, limit)
        if self._whole(stored, position_type, symbol, timeframe, last_open, limit):
            self.book_reads += 1
            return stored
        self.rest_reads += 1
        candles = self._rest.closed_candles(symbol, timeframe, position_type, until, limit)
        try:
            self._book.add(position_type, symbol, timeframe, newest(candles, self._book.keep))
            # Short at the old end only (it ends with the slot's candle): the listing.
            if 0 < len(candles) < limit and int(candles.open_time[-1]) == last_open:
                self._book.mark_first(position_type, symbol, timeframe, int(candles.open_time[0]))
        except redis.RedisError as e:
            log.warning("stream candles unavailable, not shared: %s", e)
        return candles

    def _whole(
        self,
        stored: Candles,
        market: PositionType,
        symbol: str,
        timeframe: str,
        last_open: int,
        limit: int,
    ) -> bool:
        """Tell whether the book's answer is the one REST would give: it ends with the
        slot's candle, has no hole, and holds `limit` candles or all since the listing."""
        width = timeframe_seconds(timeframe)
        if not len(stored) or int(stored.open_time[-1]) != last_open:
            return False
        if not contiguous(stored, width):
            return False
        if len(stored) == limit:
            return True
        first = self._book.first_open_time(market, symbol, timeframe)
        return first is not None and int(stored.open_time[0]) == first

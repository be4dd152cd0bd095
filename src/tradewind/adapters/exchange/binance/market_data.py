"""Closed candles from Binance klines, kept per (market, symbol, timeframe) and topped up.

Every bot on a symbol and timeframe asks for the same candles at the same slot. The first
ask of a series fetches its history (in pages of Binance's most per call, up to
`CANDLE_HISTORY_LIMIT`); later asks fetch only the candles that closed since
(usually one, the lightest klines call there is), under a lock per series, so concurrent
ticks never fetch in parallel and the weight spent per slot does not grow with the bots.
Only candles that had closed at the asked time are returned.
"""

from __future__ import annotations

import threading

import numpy as np

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport
from tradewind.domain.candles import Candles
from tradewind.domain.strategies.base import CANDLE_HISTORY_LIMIT
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import PositionType, Symbol

_MAX_LIMIT = {PositionType.SPOT: 1000, PositionType.FUTURES: 1500}
_Key = tuple[PositionType, str, str]


def klines_weight(position_type: PositionType, limit: int) -> int:
    """Return the request weight Binance charges for a klines call."""
    if position_type is PositionType.SPOT:
        return 2
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def _concat(one: Candles, two: Candles) -> Candles:
    return Candles(*(np.concatenate([getattr(one, f), getattr(two, f)]) for f in _FIELDS))


def _slice(candles: Candles, begin: int, end: int) -> Candles:
    return Candles(*(getattr(candles, f)[begin:end] for f in _FIELDS))


_FIELDS = ("open_time", "open", "high", "low", "close", "volume")


class BinanceMarketData:
    """The `MarketData` port on Binance's public klines (no API key needed)."""

    def __init__(self, transport: BinanceTransport) -> None:
        self._transport = transport
        self._guard = threading.Lock()
        self._series: dict[_Key, Candles] = {}
        self._locks: dict[_Key, threading.Lock] = {}
        self._wanted: dict[_Key, int] = {}
        self.fetches = 0  # klines calls made, for benchmarks and tests

    def closed_candles(
        self, symbol: Symbol, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        """Return up to `limit` candles that closed at or before `until`, oldest first."""
        limit = max(1, min(limit, CANDLE_HISTORY_LIMIT))
        width = timeframe_seconds(timeframe)
        key = (position_type, symbol, timeframe)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
            # The longest history asked of the series is kept, so a bot that reads fewer
            # candles never trims what a longer-reading bot fetched (each would refetch).
            wanted = self._wanted[key] = max(self._wanted.get(key, 0), limit)
        with lock:
            have = self._series.get(key)
            last_wanted = until - width  # the open time of the candle closing at `until`
            first_wanted = last_wanted - (limit - 1) * width
            if have is None or len(have) == 0 or int(have.open_time[0]) > first_wanted:
                have = self._fetch(symbol, timeframe, position_type, until, limit)
            elif int(have.open_time[-1]) < last_wanted:
                missing = (last_wanted - int(have.open_time[-1])) // width
                if missing >= limit:
                    have = self._fetch(symbol, timeframe, position_type, until, limit)
                else:
                    newer = self._fetch(symbol, timeframe, position_type, until, missing + 1)
                    first_new = int(np.searchsorted(newer.open_time, have.open_time[-1], "right"))
                    have = _concat(have, _slice(newer, first_new, len(newer)))
            keep = max(len(have) - 2 * max(wanted, _MAX_LIMIT[position_type]), 0)
            self._series[key] = have = _slice(have, keep, len(have))
        end = int(np.searchsorted(have.open_time, last_wanted, side="right"))
        return _slice(have, max(0, end - limit), end)

    def _fetch(
        self, symbol: str, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        """Fetch the last `limit` candles closed by `until`: pages of Binance's most per
        call, newest first, until `limit` are in hand or Binance has no older ones."""
        page = _MAX_LIMIT[position_type]
        pages: list[Candles] = []
        got, end = 0, until
        while got < limit:
            ask = min(page, limit - got)
            candles = self._fetch_page(symbol, timeframe, position_type, end, ask)
            if len(candles) == 0:
                break
            pages.append(candles)
            got += len(candles)
            if len(candles) < ask:
                break  # the symbol's listing: nothing older
            end = int(candles.open_time[0])  # the next page closes where this one opened
        if not pages:
            nothing = np.empty(0)
            return Candles(np.empty(0, dtype=np.int64), nothing, nothing, nothing, nothing, nothing)
        joined = pages[-1]
        for newer in reversed(pages[:-1]):
            joined = _concat(joined, newer)
        return joined

    def _fetch_page(
        self, symbol: str, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        api = Api.SPOT_PUBLIC if position_type is PositionType.SPOT else Api.FUTURES_PUBLIC
        params = {
            "symbol": symbol,
            "interval": timeframe,
            "endTime": until * 1000 - 1,  # the candle that closes at `until` is the last
            "limit": limit,
        }
        answer = self._transport.call(
            api, "GET", "klines", params, weight=klines_weight(position_type, limit)
        )
        self.fetches += 1
        if not isinstance(answer, list):
            raise parsing.unreadable("klines is not a list")
        width = timeframe_seconds(timeframe)
        rows = [r for r in answer if isinstance(r, list) and len(r) >= 6]
        rows = [r for r in rows if int(r[0]) // 1000 + width <= until]
        return Candles(
            open_time=np.array([int(r[0]) // 1000 for r in rows], dtype=np.int64),
            open=np.array([float(r[1]) for r in rows]),
            high=np.array([float(r[2]) for r in rows]),
            low=np.array([float(r[3]) for r in rows]),
            close=np.array([float(r[4]) for r in rows]),
            volume=np.array([float(r[5]) for r in rows]),
        )

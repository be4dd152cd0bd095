"""Closed candles from Binance klines, fetched once per (market, symbol, timeframe, slot).

Every bot on a symbol and timeframe asks for the same candles at the same slot; the first
fetches them and the others get that answer (a lock per key keeps concurrent ticks from
fetching in parallel). Only candles that had closed at the asked time are returned.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport
from tradewind.domain.candles import Candles
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import PositionType

_MAX_LIMIT = {PositionType.SPOT: 1000, PositionType.FUTURES: 1500}
_CACHED = 512  # answers kept: a few slots of every (symbol, timeframe) a process trades
_Key = tuple[PositionType, str, str, int, int]


def klines_weight(position_type: PositionType, limit: int) -> int:
    """Return the request weight Binance charges for a klines call."""
    if position_type is PositionType.SPOT:
        return 2
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


class BinanceMarketData:
    """The `MarketData` port on Binance's public klines (no API key needed)."""

    def __init__(self, transport: BinanceTransport) -> None:
        self._transport = transport
        self._answers: OrderedDict[_Key, Candles] = OrderedDict()
        self._guard = threading.Lock()
        self._fetching: dict[_Key, threading.Lock] = {}
        self.fetches = 0  # klines calls made, for benchmarks and tests

    def closed_candles(
        self, symbol: str, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        """Return up to `limit` candles that closed at or before `until`, oldest first."""
        limit = max(1, min(limit, _MAX_LIMIT[position_type]))
        key = (position_type, symbol, timeframe, until, limit)
        with self._guard:
            known = self._answers.get(key)
            if known is not None:
                return known
            fetching = self._fetching.setdefault(key, threading.Lock())
        with fetching:
            with self._guard:
                known = self._answers.get(key)
            if known is None:
                known = self._fetch(symbol, timeframe, position_type, until, limit)
                with self._guard:
                    self._answers[key] = known
                    while len(self._answers) > _CACHED:
                        self._answers.popitem(last=False)
            with self._guard:
                self._fetching.pop(key, None)
        return known

    def _fetch(
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

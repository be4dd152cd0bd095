"""The simulated venue's market on Binance's public 1m klines: paper trading on the real market.

The paper venue fills MARKET orders at the open of the 1m candle forming at the order's
moment and moves protective orders on the 1m candles that closed since (see the simulated
venue's `feed` module); here both come from Binance's klines, the same candles the bots
decide on. No API key is needed. The market's clock is its newest candle: `market_minute`
is the open time of the 1m candle forming now, which `tradewind run` ticks by.
"""

from __future__ import annotations

import numpy as np

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.market_data import klines_weight
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType

MINUTE = 60
_PAGE = {PositionType.SPOT: 1000, PositionType.FUTURES: 1500}


class BinanceMinuteFeed:
    """A `PriceFeed` (and the market's clock) on Binance's 1m klines."""

    def __init__(self, transport: BinanceTransport) -> None:
        self._transport = transport
        self.fetches = 0  # klines calls made, for tests

    def minute_candles(
        self, symbol: str, position_type: PositionType, start: int, end: int
    ) -> Candles:
        """Return the 1m candles of `symbol` with open time in [start, end), oldest first
        (the one forming now included, as Binance gives it, when it lies in the range)."""
        pages: list[Candles] = []
        while start < end:
            limit = min(_PAGE[position_type], -(-(end - start) // MINUTE))
            page = self._klines(
                symbol, position_type, {"startTime": start * 1000, "endTime": end * 1000 - 1},
                limit,
            )  # fmt: skip
            if len(page) == 0:
                break
            pages.append(page)
            start = int(page.open_time[-1]) + MINUTE
        if not pages:
            return _empty()
        return Candles(*(np.concatenate([getattr(p, f) for p in pages]) for f in _FIELDS))

    def market_minute(self, symbol: str, position_type: PositionType = PositionType.SPOT) -> int:
        """Return the open time of the market's newest 1m candle: the minute forming now."""
        newest = self._klines(symbol, position_type, {}, 1)
        if len(newest) == 0:
            raise parsing.unreadable(f"klines of {symbol} is empty")
        return int(newest.open_time[-1])

    def _klines(
        self, symbol: str, position_type: PositionType, window: dict[str, int], limit: int
    ) -> Candles:
        api = Api.SPOT_PUBLIC if position_type is PositionType.SPOT else Api.FUTURES_PUBLIC
        params: dict[str, object] = {"symbol": symbol, "interval": "1m", "limit": limit, **window}
        answer = self._transport.call(
            api, "GET", "klines", params, weight=klines_weight(position_type, limit)
        )
        self.fetches += 1
        if not isinstance(answer, list):
            raise parsing.unreadable("klines is not a list")
        rows = [r for r in answer if isinstance(r, list) and len(r) >= 6]
        return Candles(
            open_time=np.array([int(r[0]) // 1000 for r in rows], dtype=np.int64),
            open=np.array([float(r[1]) for r in rows]),
            high=np.array([float(r[2]) for r in rows]),
            low=np.array([float(r[3]) for r in rows]),
            close=np.array([float(r[4]) for r in rows]),
            volume=np.array([float(r[5]) for r in rows]),
        )


_FIELDS = ("open_time", "open", "high", "low", "close", "volume")


def _empty() -> Candles:
    nothing = np.empty(0)
    return Candles(np.empty(0, dtype=np.int64), nothing, nothing, nothing, nothing, nothing)

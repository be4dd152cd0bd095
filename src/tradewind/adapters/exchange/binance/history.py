"""Binance's public candle history for downloads: klines by start time, the symbol's rules.

Pages of 1,000 candles: on spot every klines call weighs 2 whatever its limit up to 1,000;
on USDⓈ-M 1,000 weigh 5 and 1,500 weigh 10, so 1,000 is the cheapest per candle on both
(`klines_weight`). Every call goes through the transport's weight governor and retry rule,
so a long download paces itself under the venue's per-minute limit and waits out a 429.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.market_data import klines_weight
from tradewind.adapters.exchange.binance.rules import RulesCache
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport
from tradewind.adapters.exchange.builtin_rules import BUILTIN_MAX_LEVERAGE
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import PositionType
from tradewind.ports.research import SeriesKey

PAGE = 1_000


def _api(market: PositionType) -> Api:
    return Api.SPOT_PUBLIC if market is PositionType.SPOT else Api.FUTURES_PUBLIC


class BinanceCandleHistory:
    """The `CandleHistory` port on Binance's public REST API."""

    def __init__(self, transport: BinanceTransport, rules: RulesCache) -> None:
        self._transport = transport
        self._rules = rules
        self.requests = 0  # klines calls made, for tests

    def server_time(self) -> int:
        answer = self._transport.call(Api.SPOT_PUBLIC, "GET", "time", weight=1)
        if not isinstance(answer, dict) or not isinstance(answer.get("serverTime"), int):
            raise parsing.unreadable("time has no serverTime")
        return int(answer["serverTime"]) // 1000

    def rules(self, symbol: str, market: PositionType) -> MarketRules:
        try:
            rules = self._rules.rules(self._transport, symbol, market)
        except ConfigurationError as e:
            raise ConfigurationError(
                f"symbol: Binance lists no {market.value} symbol {symbol!r} ({e})"
            ) from e
        if market is PositionType.FUTURES and not rules.max_leverage:
            # exchangeInfo carries no leverage; the bracket call needs an API key.
            return replace(rules, max_leverage=BUILTIN_MAX_LEVERAGE.get(symbol, 0))
        return rules

    def candles(self, key: SeriesKey, start: int, end: int) -> Candles:
        width = timeframe_seconds(key.timeframe)
        limit = max(1, min(PAGE, (end - start + width - 1) // width))
        params = {
            "symbol": key.symbol,
            "interval": key.timeframe,
            "startTime": start * 1000,
            "endTime": end * 1000 - 1,
            "limit": limit,
        }
        answer = self._transport.call(
            _api(key.market), "GET", "klines", params, weight=klines_weight(key.market, limit)
        )
        self.requests += 1
        if not isinstance(answer, list):
            raise parsing.unreadable("klines is not a list")
        rows = [r for r in answer if isinstance(r, list) and len(r) >= 6]
        try:
            times = np.array([int(r[0]) // 1000 for r in rows], dtype=np.int64)
            columns = [np.array([float(r[i]) for r in rows]) for i in range(1, 6)]
        except (TypeError, ValueError) as e:
            raise parsing.unreadable(f"klines row is malformed: {e}") from e
        inside = (times >= start) & (times < end)
        return Candles(times[inside], *(c[inside] for c in columns))

"""Binance's kline streams into the stream book: one feeder for every series bots need.

The feeder opens combined streams (`/stream?streams=a@kline_1m/b@kline_5m…`, at most
`STREAMS_PER_CONNECTION` per connection, well under Binance's 1,024) and writes each kline
that closes (`"x": true`) into the stream book (`CandleBook`). After every (re)connect it first
fills from REST klines what closed while it was away, so the book never has a hole that a
reader would mistake for the market; the stream is opened before the fill, so a candle
closing in between arrives by one path or the other (storing it twice is harmless).

A dropped connection, or Binance's REST or Redis away while filling or writing, is logged
once with its cause (not again while the cause stays the same) and retried with a capped
backoff (`websocket_loop`, shared with the user data streams), never a traceback; the
feeder stops when `stop` is set. Run one feeder per installation: `run_feeder` takes a
leadership lock first (the caller's; the workers use the PostgreSQL advisory lock the
scheduler uses), so a second one stands by.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import redis
from websockets.sync.client import ClientConnection

from tradewind.adapters.exchange.binance.websocket_loop import RECEIVE_TIMEOUT_S, keep_connected
from tradewind.adapters.marketdata.stream_book import CandleBook
from tradewind.domain.candles import Candles
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports import MarketData

log = logging.getLogger(__name__)

STREAMS_PER_CONNECTION = 200


@dataclass(frozen=True, slots=True)
class Series:
    """One series the bots need: symbol and timeframe of one market."""

    symbol: Symbol
    timeframe: str

    @property
    def stream(self) -> str:
        return f"{self.symbol.lower()}@kline_{self.timeframe}"


@dataclass
class FeederStats:
    """What a feeder did, for logs, benchmarks and tests."""

    messages: int = 0  # kline events received, forming ones included
    candles: int = 0  # closed candles written from the stream
    backfilled: int = 0  # candles written from REST after a (re)connect
    connects: int = 0


@dataclass(frozen=True, slots=True)
class Kline:
    """One kline event: its series, whether it closed, and the candle."""

    series: Series
    closed: bool
    candle: Candles

    @property
    def open_time(self) -> int:
        return int(self.candle.open_time[0])


def kline_event(message: object) -> Kline | None:
    """The kline of a (combined) stream message, None for anything else."""
    data = message.get("data", message) if isinstance(message, dict) else None
    if not isinstance(data, dict) or data.get("e") != "kline":
        return None
    k = data.get("k")
    if not isinstance(k, dict):
        return None
    candle = Candles(
        np.array([int(k["t"]) // 1000], dtype=np.int64),
        *(np.array([float(k[f])]) for f in ("o", "h", "l", "c", "v")),
    )
    return Kline(Series(Symbol(str(k["s"])), str(k["i"])), k.get("x") is True, candle)


class KlineFeeder:
    """Follows the kline streams of `series` on one market (see the module)."""

    def __init__(
        self,
        stream_base: str,
        market: PositionType,
        series: Sequence[Series],
        rest: MarketData,
        book: CandleBook,
        now: Callable[[], int],
        backfill: int = 1_000,
    ) -> None:
        self._base = stream_base.rstrip("/")
        self._market = market
        self._series = list(dict.fromkeys(series))
        self._rest = rest
        self._book = book
        self._now = now
        self._backfill = backfill
        self.stats = FeederStats()
        self._newest: dict[Series, int] = {}  # open time of the newest candle in the book
        self._guard = threading.Lock()

    def run(self, stop: threading.Event) -> None:
        """Follow every series until `stop` is set (a thread per connection)."""
        chunks = [
            self._series[i : i + STREAMS_PER_CONNECTION]
            for i in range(0, len(self._series), STREAMS_PER_CONNECTION)
        ]
        threads = [
            threading.Thread(target=self._follow, args=(chunk, stop), daemon=True)
            for chunk in chunks
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _follow(self, chunk: list[Series], stop: threading.Event) -> None:
        url = f"{self._base}/stream?streams={'/'.join(s.stream for s in chunk)}"

        def session(ws: ClientConnection, up: Callable[[], None]) -> None:
            with self._guard:
                self.stats.connects += 1
            for series in chunk:
                self._fill(series)
            up()
            self._receive(ws, stop)

        keep_connected(
            lambda: url,
            session,
            stop,
            f"kline stream {self._market.value}",
            also=(redis.RedisError,),  # the book away while filling or writing
        )

    def _receive(self, ws: ClientConnection, stop: threading.Event) -> None:
        seen: set[Series] = set()  # series whose first event on this connection came
        while not stop.is_set():
            try:
                raw = ws.recv(timeout=RECEIVE_TIMEOUT_S)
            except TimeoutError:
                continue
            kline = kline_event(json.loads(raw))
            if kline is None:
                continue
            with self._guard:
                self.stats.messages += 1
            width = timeframe_seconds(kline.series.timeframe)
            # The candle before this one must be in the book: a close can fall between the
            # fill and the moment the subscription took effect, and the stream never resends.
            before = kline.open_time - width
            gap = self._newest.get(kline.series, before) < before
            if gap and (kline.closed or kline.series not in seen):
                self._fill(kline.series)
            seen.add(kline.series)
            if kline.closed:
                self._book.add(self._market, kline.series.symbol, kline.series.timeframe,
                               kline.candle)  # fmt: skip
                self._newest[kline.series] = kline.open_time
                with self._guard:
                    self.stats.candles += 1

    def _fill(self, series: Series) -> None:
        """Write from REST the candles closed since the book's newest (or a backfill)."""
        width = timeframe_seconds(series.timeframe)
        now = self._now()
        until = now - now % width
        last = self._book.last_open_time(self._market, series.symbol, series.timeframe)
        missing = self._backfill if last is None else (until - width - last) // width
        if missing <= 0:
            self._newest[series] = last if last is not None else until - width
            return
        count = min(missing, self._backfill)
        candles = self._rest.closed_candles(
            series.symbol, series.timeframe, self._market, until, count
        )
        self._book.add(self._market, series.symbol, series.timeframe, candles)
        ends = len(candles) > 0 and int(candles.open_time[-1]) == until - width
        if ends and len(candles) < count:  # short at the old end: the series' listing
            self._book.mark_first(
                self._market, series.symbol, series.timeframe, int(candles.open_time[0])
            )
        self._newest[series] = int(candles.open_time[-1]) if len(candles) else until - width
        with self._guard:
            self.stats.backfilled += len(candles)

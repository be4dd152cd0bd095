"""Klines of every Binance interval, built from the venue's 1m candles.

Klines end with the candle that contains the venue's now, forming: the closed minutes so
far plus the open of the current minute (the price a MARKET order gets now). Trade
counts and taker volumes are made up (a minute's candle counts as one trade; takers
bought half the volume).

Intervals as Binance cuts them, in UTC: fixed lengths from the Unix epoch (1m … 3d), weeks
from Monday 00:00, months from the first of the month. Below a minute (`1s`, spot only)
the server knows no price path, so a closed minute is sixty one-second candles: flat at
the minute's open, but for its last second, which carries the minute's high, low, close
and volume (sixty of them add up to the minute again). With `startTime` before the
first candle the answer starts at the earliest candle, as Binance's does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradewind.adapters.exchange.simulated.feed import PriceFeed
from tradewind.domain.candles import Candles, IntArray, to_decimal
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server.render import plain, spot_text

_MONDAY = 4 * 86_400  # the epoch was a Thursday


@dataclass(frozen=True, slots=True)
class Interval:
    """A kline interval: `seconds` long (a month: 0), counted from `offset` seconds."""

    seconds: int
    offset: int = 0

    @property
    def monthly(self) -> bool:
        return self.seconds == 0

    def floor(self, at: int) -> int:
        """Return the open time of the kline containing `at` (Unix seconds)."""
        if self.monthly:
            month = np.datetime64(at, "s").astype("datetime64[M]")
            return int(month.astype("datetime64[s]").astype(np.int64))
        return at - (at - self.offset) % self.seconds

    def shift(self, start: int, count: int) -> int:
        """Return the open time `count` klines after (or before) the one opening at `start`."""
        if self.monthly:
            month = np.datetime64(start, "s").astype("datetime64[M]") + count
            return int(month.astype("datetime64[s]").astype(np.int64))
        return start + count * self.seconds

    def floor_all(self, times: IntArray) -> IntArray:
        """Return the open times of the klines containing each of `times`."""
        if self.monthly:
            months = times.astype("datetime64[s]").astype("datetime64[M]")
            floors: IntArray = months.astype("datetime64[s]").astype(np.int64)
            return floors
        return times - (times - self.offset) % self.seconds


INTERVALS = {
    name: Interval(seconds)
    for name, seconds in {
        "1s": 1, "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1_800, "1h": 3_600,
        "2h": 7_200, "4h": 14_400, "6h": 21_600, "8h": 28_800, "12h": 43_200, "1d": 86_400,
        "3d": 259_200,
    }.items()
} | {"1w": Interval(604_800, _MONDAY), "1M": Interval(0)}  # fmt: skip
FUTURES_INTERVALS = {name: i for name, i in INTERVALS.items() if name != "1s"}


def klines(
    feed: PriceFeed,
    rules: MarketRules,
    interval: Interval | int,
    now: int,
    start_ms: int | None,
    end_ms: int | None,
    limit: int,
) -> list[list[object]]:
    """Return kline rows, oldest first, the last one the candle forming at `now`."""
    step = interval if isinstance(interval, Interval) else Interval(interval)
    symbol, kind = rules.symbol, rules.position_type
    minute = now - now % 60
    forming = step.floor(now)
    last = forming if end_ms is None else min(forming, step.floor(end_ms // 1000))
    if start_ms is not None:
        start = -(-start_ms // 1000)
        first = step.floor(start)
        first = first if first >= start else step.shift(first, 1)  # the first open >= start
    else:
        first = step.shift(last, -(limit - 1))
    if first > last:
        return []
    end = step.shift(min(last, step.shift(first, limit - 1)), 1)
    candles = _minutes(feed, symbol, kind, first, end, minute)
    if start_ms is not None and (not len(candles) or candles.open_time[0] >= step.shift(first, 1)):
        # Nothing in the first kline: when startTime lies before the data, Binance answers
        # from the earliest candle on.
        earliest = feed.minute_candles(symbol, kind, first, minute + 60).open_time[:1]
        if len(earliest) and step.floor(int(earliest[0])) > first:
            first = step.floor(int(earliest[0]))
            end = step.shift(min(last, step.shift(first, limit - 1)), 1)
            candles = _minutes(feed, symbol, kind, first, end, minute)
    last = step.shift(end, -1)
    if step.seconds and step.seconds < 60:
        candles = _seconds(candles, now)
        keep = (candles.open_time >= first) & (candles.open_time <= last)
        candles = _only(candles, keep)
    return _rows(candles, step, kind)


def _only(c: Candles, keep: np.ndarray) -> Candles:
    return Candles(c.open_time[keep], c.open[keep], c.high[keep], c.low[keep], c.close[keep],
                   c.volume[keep])  # fmt: skip


def _minutes(
    feed: PriceFeed, symbol: str, kind: PositionType, start: int, end: int, minute: int
) -> Candles:
    """The closed minutes in [start, end) and, if it lies there, the forming one's open."""
    closed = feed.minute_candles(symbol, kind, start, min(end, minute))
    if end <= minute:
        return closed
    current = feed.minute_candles(symbol, kind, minute, minute + 60)
    if not len(current):
        return closed
    price = current.open[:1]
    opens, highs, lows, closes = (
        np.concatenate([a, price]) for a in (closed.open, closed.high, closed.low, closed.close)
    )
    return Candles(
        np.concatenate([closed.open_time, current.open_time[:1]]),
        opens,
        highs,
        lows,
        closes,
        np.concatenate([closed.volume, np.zeros(1)]),
    )


def _seconds(minutes: Candles, now: int) -> Candles:
    """Cut each minute into sixty 1s candles (see the module docstring)."""
    count = len(minutes)
    times = (minutes.open_time[:, None] + np.arange(60)[None, :]).ravel()
    flat = np.repeat(minutes.open, 60)
    last = np.tile(np.arange(60) == 59, count)  # each minute's last second
    high, low, close = (
        np.where(last, np.repeat(a, 60), flat) for a in (minutes.high, minutes.low, minutes.close)
    )
    volume = np.where(last, np.repeat(minutes.volume, 60), 0.0)
    # The forming minute is known only to its open, and only up to now.
    return _only(Candles(times, flat, high, low, close, volume), times <= now)


def _rows(candles: Candles, step: Interval, kind: PositionType) -> list[list[object]]:
    times = candles.open_time
    if not len(times):
        return []
    buckets = step.floor_all(times)
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    ends = np.r_[starts[1:], len(buckets)] - 1
    volumes, closes = candles.volume, candles.close
    volume = np.add.reduceat(volumes, starts)
    quote = np.add.reduceat(volumes * closes, starts)
    if step.seconds and step.seconds < 60:  # a trade in the one second that has volume
        trades = np.add.reduceat((volumes > 0).astype(np.int64), starts)
    else:  # a trade per minute
        trades = np.diff(np.r_[starts, len(buckets)])
    text = spot_price_text if kind is PositionType.SPOT else plain_price_text
    opened = buckets[starts]
    following = (
        step.floor_all(opened + 32 * 86_400) if step.monthly else opened + step.seconds
    )  # a month later than its first day lies in the next month
    columns = zip(
        opened.tolist(),
        (following * 1000 - 1).tolist(),
        candles.open[starts].tolist(),
        np.maximum.reduceat(candles.high, starts).tolist(),
        np.minimum.reduceat(candles.low, starts).tolist(),
        closes[ends].tolist(),
        volume.tolist(),
        quote.tolist(),
        trades.tolist(),
        strict=True,
    )
    return [
        [open_s * 1000, text(o), text(h), text(lo), text(c), _amount(v), close_ms,
         _amount(q), int(n), _amount(v / 2), _amount(q / 2), "0"]
        for open_s, close_ms, o, h, lo, c, v, q, n in columns
    ]  # fmt: skip


def spot_price_text(value: float) -> str:
    """Write a candle price as `spot_text(to_decimal(value))` does, with string steps only.

    `repr` is the shortest decimal that reads back as the float, which is what
    `to_decimal` returns; padding it to eight places is exact. Klines write thousands of
    prices, and Decimal arithmetic per price made a 500-candle answer take ~30 ms.
    """
    written = repr(value)
    point = written.find(".")
    if "e" in written or "E" in written or point < 0 or len(written) - point - 1 > 8:
        return spot_text(to_decimal(value))
    return written + "0" * (8 - (len(written) - point - 1))


def plain_price_text(value: float) -> str:
    """Write a candle price as `plain(to_decimal(value))` does."""
    written = repr(value)
    if "e" in written or "E" in written:
        return plain(to_decimal(value))
    return written.removesuffix(".0")


def _amount(value: float) -> str:
    return f"{value:.8f}"

"""What the backtester walks on: the bot's candles, and the finer candles exits fill on.

Paper and live trading check a position's exits on every 1-minute candle between the bot's
closes (docs/strategy.md, "Exits at 1-minute resolution"). The backtester does the same
when it is given 1m candles: it builds the bot's candles from them for the signals, as
Binance builds its klines (aligned to the Unix epoch, UTC), and checks exits on the
minutes. Given only coarser candles (a 1h file for a 1h bot), it checks exits on those:
an approximation, which the report says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradewind.domain.candles import Candles, IntArray, aggregate, bucket_starts
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.timeframes import EXIT_CHECK_SECONDS, TIMEFRAME_SECONDS


@dataclass(frozen=True, slots=True)
class BacktestFeed:
    """The bot's candles and the candles of the data, which its exits are checked on.

    `starts[j]` is the index in `fine` of bot candle j's first candle; `starts[-1]` is
    `len(fine)`. `closed` counts the bot candles that closed within the data: the last
    one may still be forming when the data ends, and gives no signal (a replay never
    sees it close), though exits are still checked on its minutes.
    """

    bot: Candles
    fine: Candles
    starts: IntArray
    closed: int

    @property
    def exit_seconds(self) -> int:
        """The length of the candles exits are checked on."""
        return self.fine.interval_seconds if len(self.fine) > 1 else self.bot_seconds

    @property
    def bot_seconds(self) -> int:
        return self.bot.interval_seconds

    @property
    def exits_exact(self) -> bool:
        """True when exits are checked on 1m candles, as paper and live check them."""
        return self.exit_seconds == EXIT_CHECK_SECONDS

    def window(self, start: int, end: int) -> BacktestFeed:
        """Return the feed of bot candles [start, end), with their candles of the data."""
        lo, hi = int(self.starts[start]), int(self.starts[end])
        return BacktestFeed(
            _rows(self.bot, start, end),
            _rows(self.fine, lo, hi),
            self.starts[start : end + 1] - lo,
            max(0, min(self.closed, end) - start),
        )


def _rows(c: Candles, lo: int, hi: int) -> Candles:
    return Candles(
        c.open_time[lo:hi], c.open[lo:hi], c.high[lo:hi], c.low[lo:hi], c.close[lo:hi],
        c.volume[lo:hi],
    )  # fmt: skip


def same_candles(candles: Candles) -> BacktestFeed:
    """Return a feed whose bot candles are the data's own (exits on the bot's candles)."""
    n = len(candles)
    return BacktestFeed(candles, candles, np.arange(n + 1, dtype=np.int64), n)


def backtest_feed(data: Candles, timeframe_seconds: int) -> BacktestFeed:
    """Return the feed of a bot of `timeframe_seconds` on `data`, finer candles or its own.

    ConfigurationError when the data's candles are coarser than the bot's, or do not
    divide them.
    """
    seconds = data.interval_seconds
    if len(data) < 2 or seconds == timeframe_seconds:
        return same_candles(data)
    if timeframe_seconds < seconds or timeframe_seconds % seconds:
        raise ConfigurationError(
            f"timeframe: a {timeframe_name(timeframe_seconds)} bot cannot be built from candles "
            f"{timeframe_name(seconds)} apart (1m candles feed a bot of any timeframe)"
        )
    bot = aggregate(data, timeframe_seconds)
    starts = np.r_[bucket_starts(data.open_time, timeframe_seconds), len(data)].astype(np.int64)
    # The last bot candle closed when the data reaches its close (its last candle ends there).
    data_end = int(data.open_time[-1]) + seconds
    closed = len(bot) - int(int(bot.open_time[-1]) + timeframe_seconds > data_end)
    return BacktestFeed(bot, data, starts, closed)


def timeframe_name(seconds: int) -> str:
    for name, length in TIMEFRAME_SECONDS.items():
        if length == seconds:
            return name
    return f"{seconds} s"

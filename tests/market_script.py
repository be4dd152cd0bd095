"""Hand-written 1m markets and a clock a test moves, for the simulated exchange's tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType

T0 = 1_704_067_200  # 2024-01-01 00:00 UTC, a minute boundary
MINUTE = 60


class ManualClock:
    """A Clock that stands still until the test moves it."""

    def __init__(self, now: int = T0) -> None:
        self.time = now

    def now(self) -> int:
        return self.time

    def at_minute(self, index: int, second: int = 0) -> None:
        """Go to `second` seconds into minute `index` after T0."""
        self.time = T0 + index * MINUTE + second


def minute_candles(rows: Sequence[tuple[str, str, str, str]], start: int = T0) -> Candles:
    """Build 1m candles from (open, high, low, close) decimal strings, from `start` on."""
    prices = np.array([[float(v) for v in row] for row in rows], dtype=np.float64).reshape(-1, 4)
    return Candles(
        open_time=start + MINUTE * np.arange(len(rows), dtype=np.int64),
        open=prices[:, 0].copy(),
        high=prices[:, 1].copy(),
        low=prices[:, 2].copy(),
        close=prices[:, 3].copy(),
        volume=np.ones(len(rows)),
    )


def flat_candles(price: str, count: int, start: int = T0) -> Candles:
    """Build `count` 1m candles that all open, close and range at `price`."""
    return minute_candles([(price, price, price, price)] * count, start)


def same_candles_for_both_markets(
    symbol: str, candles: Candles
) -> dict[tuple[str, PositionType], Candles]:
    """Map the spot and the futures market of `symbol` to the same candles."""
    return {(symbol, PositionType.SPOT): candles, (symbol, PositionType.FUTURES): candles}

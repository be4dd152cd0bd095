"""Shared by the anchor scripts: the strategy's parameters, the CSV reader and the signals.

Both anchors take their signals from here so they trade on exactly the same decisions;
the indicators are TA-Lib's, which is how STRATEGY.md defines EMA and RSI.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
import talib

EMA_FAST = 8
EMA_SLOW = 21
RSI_PERIOD = 7
RSI_OVERBOUGHT = 65.0
RSI_OVERSOLD = 35.0
STOP_LOSS = 0.02
TAKE_PROFIT = 0.04
FEE_RATE = 0.001
POSITION_QUOTE = 25.0
INITIAL_BALANCE = 10_000.0
# BTCUSDT spot LOT_SIZE step: tradewind floors every quantity to it, so the anchors do too.
QTY_STEP = 1e-5


def parse_args() -> argparse.Namespace:
    """Read the anchor's command line: the CSV path and, for vectorbt, the engine."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", required=True)
    parser.add_argument("--engine", choices=["auto", "rust", "numba"], default="auto")
    return parser.parse_args()


def read_candles(path: str) -> pd.DataFrame:
    """Read `open_time,open,high,low,close,volume` into a frame with a tz-naive UTC index."""
    frame = pd.read_csv(path, engine="pyarrow")
    open_time = frame.pop("open_time")
    if pd.api.types.is_numeric_dtype(open_time):
        unit = "ms" if open_time.iloc[0] > 100_000_000_000 else "s"
        index = pd.to_datetime(open_time, unit=unit)
    elif isinstance(open_time.dtype, pd.DatetimeTZDtype):
        index = open_time.dt.tz_convert(None)
    else:
        index = pd.to_datetime(open_time, utc=True, format="ISO8601").dt.tz_convert(None)
    # tz-naive on purpose: vectorbt is 20-55x slower on a tz-aware index.
    frame.index = pd.DatetimeIndex(index)
    frame.columns = [str(name).capitalize() for name in frame.columns]
    return frame


def signals(close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (buy, sell) booleans decided at each candle's close, per STRATEGY.md."""
    fast = talib.EMA(close, EMA_FAST)
    slow = talib.EMA(close, EMA_SLOW)
    rsi = talib.RSI(close, RSI_PERIOD)
    buy = np.zeros(close.shape[0], dtype=np.bool_)
    sell = np.zeros(close.shape[0], dtype=np.bool_)
    # NaN (undefined) compares False, so no signal fires before every indicator is defined.
    with np.errstate(invalid="ignore"):
        buy[1:] = (fast[:-1] <= slow[:-1]) & (fast[1:] > slow[1:]) & (rsi[1:] < RSI_OVERBOUGHT)
        sell[1:] = (fast[:-1] >= slow[:-1]) & (fast[1:] < slow[1:]) & (rsi[1:] > RSI_OVERSOLD)
    return buy, sell


def quantity_steps(close: np.ndarray) -> np.ndarray:
    """Return 25 USDT at each close as a whole number of QTY_STEP (tradewind's spot sizing)."""
    # The tiny epsilon keeps 25/price that is an exact multiple from flooring one step low.
    return np.floor(POSITION_QUOTE / close / QTY_STEP + 1e-9).astype(np.int64)


class Stopwatch:
    """Collect named phase durations in seconds."""

    def __init__(self, start: float) -> None:
        self.phases: dict[str, float] = {}
        self._last = start

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = round(now - self._last, 6)
        self._last = now


def emit(payload: dict[str, Any]) -> None:
    """Print the one JSON line the harness reads."""
    clean = {
        key: (None if isinstance(value, float) and not math.isfinite(value) else value)
        for key, value in payload.items()
    }
    sys.stdout.write(json.dumps(clean) + "\n")
    sys.stdout.flush()

"""Time tradewind's EMA and RSI against TA-Lib on 1,000,000 closes and print a table.

The backtester must get through a million candles in under a second, whole process, so
each vectorized indicator has to stay far below ~40 ms here. Every figure is the best and
the median of several runs on the same generated random walk (0.01 tick, so unchanged
closes occur as in real minute data). The incremental classes are timed per update.
Run: `.venv/bin/python bench/indicators.py [--size N] [--repeat R]`.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from tradewind.domain.candles import FloatArray
from tradewind.domain.indicators import EmaState, RsiState, ema, rsi


def load_talib() -> Any | None:
    """TA-Lib is a dev dependency; without it the table just says n/a."""
    try:
        return importlib.import_module("talib")
    except ImportError:
        return None


def random_walk(size: int, seed: int = 7) -> FloatArray:
    steps = np.random.default_rng(seed).normal(0.0, 2e-4, size)
    return np.round(30_000.0 * np.exp(np.cumsum(steps)), 2)


def timings_ms(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Return (best, median) wall time in milliseconds after one warm-up call."""
    run()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1e3)
    return min(samples), statistics.median(samples)


def incremental_us(state: EmaState | RsiState, close: FloatArray) -> float:
    """Microseconds per `update` call over the given closes."""
    prices = close.tolist()
    start = time.perf_counter()
    for price in prices:
        state.update(price)
    return (time.perf_counter() - start) * 1e6 / len(prices)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    close = random_walk(args.size)
    per_million = 1_000_000 / args.size

    print(f"{args.size:,} closes, numpy {np.__version__}, {platform.processor() or 'cpu?'}")
    print(f"ms per 1M values (best / median of {args.repeat})")
    print(f"{'indicator':<14}{'tradewind':>20}{'TA-Lib':>20}{'ratio':>8}")
    cases = [("ema", ema, "EMA", p) for p in (8, 21, 2, 200)]
    cases += [("rsi", rsi, "RSI", p) for p in (7, 2, 200)]
    talib = load_talib()
    for name, ours, theirs, period in cases:
        best, median = timings_ms(partial(ours, close, period), args.repeat)
        line = f"{name}({period})".ljust(14)
        line += f"{best * per_million:9.1f} / {median * per_million:6.1f}"
        if talib is None:
            print(f"{line}{'n/a':>20}")
            continue
        ref_best, ref_median = timings_ms(
            partial(getattr(talib, theirs), close, period), args.repeat
        )
        ref = f"{ref_best * per_million:11.1f} / {ref_median * per_million:6.1f}"
        print(f"{line}{ref}{best / ref_best:8.1f}x")

    sample = close[:200_000]
    print("\nincremental (live bot), µs per update")
    print(f"  EmaState(21)  {incremental_us(EmaState(21), sample):6.2f}")
    print(f"  RsiState(7)   {incremental_us(RsiState(7), sample):6.2f}")


if __name__ == "__main__":
    main()

"""Benchmark a parameter grid of EMA/RSI: tradewind's optimizer engine against vectorbt's
own grid run (`Portfolio.from_signals` over a column per parameter set).

Both run the same sets on the same generated 1m candles: EMA fast × EMA slow with the
RSI filter, 25 USDT per entry floored to the BTCUSDT lot step, 0.1 % fees, entries and
exits by signal at the next open (no stops: vectorbt watches stops from the candle after
the fill, tradewind from the fill candle, so only signal exits can agree trade for trade).
tradewind evaluates each set with its exact Decimal backtest on every core, set up as
`tradewind optimize` sets up its workers (forked with the candles, each with an indicator
memo: every distinct EMA or RSI period computed once per process) and without the equity
curve, as a search ranking by return runs it (vectorbt's call does not build one either).
vectorbt gets TA-Lib's indicators (the definition in docs/strategy.md) for each period
once and simulates the columns `--chunk` sets per `from_signals` call: one call for 1,000
sets on 1M candles would need 8 GB per array. A sample of sets is then compared trade by
trade (entry and exit candle of every position). Besides wall time, the CPU time of each
side is reported (all of tradewind's worker processes; vectorbt's process): on a shared
machine it is the steadier figure.

Run: `.venv-bench/bin/python bench/optimize.py [--candles N] [--sets N] [--workers N]
[--chunk N] [--sample N]`.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from typing import Any

import numpy as np

from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain import indicator_memo
from tradewind.domain.candles import Candles
from tradewind.domain.params import SizingRule
from tradewind.domain.strategies import StrategyChoice
from tradewind.domain.strategies.ema_rsi import EMA_RSI, EmaRsiParams
from tradewind.domain.types import PositionType
from tradewind.services.backtest.engine import BacktestSpec, run_backtest
from tradewind.services.optimize.evaluate import memo_bytes

RSI_PERIOD = 7
POSITION_QUOTE = 25
FEE_RATE = Decimal("0.001")
QTY_STEP = 1e-5
_CANDLES: Candles | None = None
Trades = list[tuple[int, int | None]]  # entry and exit candle of every position


def grid(count: int) -> list[tuple[int, int]]:
    """Return `count` (fast, slow) pairs: fast 5.. by slow 30.., fast < slow always."""
    fasts = list(range(5, 25))
    slows = list(range(30, 30 + -(-count // len(fasts))))
    return [(f, s) for f in fasts for s in slows][:count]


def _spec(fast: int, slow: int) -> BacktestSpec:
    return BacktestSpec(
        position_type=PositionType.SPOT,
        rules=rules_for("BTCUSDT", PositionType.SPOT),
        strategy=StrategyChoice(EMA_RSI, EmaRsiParams(ema_fast=fast, ema_slow=slow,
                                                      rsi_period=RSI_PERIOD)),
        sizing=SizingRule(fixed_quote=Decimal(POSITION_QUOTE)),
        fee_rate=FEE_RATE,
    )  # fmt: skip


def _init(candles: Candles, memo_size: int) -> None:
    global _CANDLES  # noqa: PLW0603 - one grid per worker process
    _CANDLES = candles
    indicator_memo.install(indicator_memo.IndicatorMemo(memo_size))


def _tradewind_one(job: tuple[tuple[int, int], bool]) -> tuple[int, Trades | None]:
    """Backtest one set; return its positions' count, and its trades when sampled."""
    pair, keep = job
    assert _CANDLES is not None
    result = run_backtest(_CANDLES, _spec(*pair), with_equity=False)  # as optimize's `return`
    return len(result.trades), [
        (t.entry_index, t.exit_index) for t in result.trades
    ] if keep else None


def run_tradewind(
    candles: Candles, sets: list[tuple[int, int]], workers: int, sample: set[int]
) -> list[tuple[int, Trades | None]]:
    jobs = [(pair, i in sample) for i, pair in enumerate(sets)]
    with ProcessPoolExecutor(
        workers, initializer=_init, initargs=(candles, memo_bytes(workers))
    ) as pool:
        return list(pool.map(_tradewind_one, jobs, chunksize=max(1, len(sets) // (workers * 8))))


def import_vectorbt() -> float:
    """Import vectorbt (and pandas, TA-Lib) and return how long it took."""
    started = time.perf_counter()
    import pandas  # noqa: F401
    import talib  # noqa: F401
    import vectorbt  # noqa: F401

    return time.perf_counter() - started


def run_vectorbt(
    candles: Candles, sets: list[tuple[int, int]], chunk: int, sample: set[int]
) -> tuple[dict[int, Trades], float, tuple[float, float]]:
    """Run the grid `chunk` sets per `from_signals` call; return the sampled sets' trades,
    the time spent inside the calls and the (wall, CPU) seconds of the collections."""
    import talib

    close = candles.close
    ema = {w: talib.EMA(close, w) for w in sorted({w for pair in sets for w in pair})}
    rsi = talib.RSI(close, RSI_PERIOD)
    n = close.shape[0]
    size = np.empty(n)
    size[0] = np.nan
    size[1:] = np.floor(POSITION_QUOTE / close[:-1] / QTY_STEP + 1e-9) * QTY_STEP
    trades: dict[int, Trades] = {}
    calls = 0.0
    collected = [0.0, 0.0]  # wall and CPU seconds of the collections between calls
    for first in range(0, len(sets), chunk):
        part = sets[first : first + chunk]
        entries = np.zeros((n, len(part)), dtype=np.bool_)
        exits = np.zeros((n, len(part)), dtype=np.bool_)
        with np.errstate(invalid="ignore"):
            for col, (fast, slow) in enumerate(part):
                f, s = ema[fast], ema[slow]
                buy = (f[:-1] <= s[:-1]) & (f[1:] > s[1:]) & (rsi[1:] < 65) & ~np.isnan(rsi[:-1])
                sell = (f[:-1] >= s[:-1]) & (f[1:] < s[1:]) & (rsi[1:] > 35) & ~np.isnan(rsi[:-1])
                entries[2:, col] = buy[:-1]  # decided at i's close, filled at i + 1's open
                exits[2:, col] = sell[:-1]
        portfolio, call = _from_signals(candles, entries, exits, size)
        calls += call
        records = portfolio.trades.values  # the structured array (`.records` is a frame)
        for i in sorted(sample & set(range(first, first + len(part)))):
            trades[i] = vectorbt_trades(records, i - first)
        del portfolio, records, entries, exits
        # Without a collection the portfolios' reference cycles keep some 4 GB per call
        # alive at 1M candles (measured: 13 GB after three calls).
        collecting = time.perf_counter(), time.process_time()
        gc.collect()
        collected[0] += time.perf_counter() - collecting[0]
        collected[1] += time.process_time() - collecting[1]
        print(f"  vectorbt: {first + len(part):,} of {len(sets):,} sets; peak memory "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB",
              flush=True)  # fmt: skip
    return trades, calls, (collected[0], collected[1])


def _from_signals(candles: Candles, entries: Any, exits: Any, size: Any) -> tuple[Any, float]:
    import pandas as pd
    import vectorbt as vbt
    from vectorbt._engine import is_rust_available

    index = pd.DatetimeIndex(candles.open_time.astype("datetime64[s]"))
    started = time.perf_counter()
    portfolio = vbt.Portfolio.from_signals(
        pd.Series(candles.close, index=index), entries=entries, exits=exits,
        price=candles.open[:, None], size=size[:, None], size_type="amount",
        direction="longonly", accumulate=False, fees=float(FEE_RATE), init_cash=10_000.0,
        freq="1min", engine="rust" if is_rust_available() else "numba",  # its fastest
    )  # fmt: skip
    return portfolio, time.perf_counter() - started


def vectorbt_trades(records: Any, col: int) -> Trades:
    mine = records[records["col"] == col]
    out: Trades = []
    for r in mine:
        open_ = int(r["status"]) == 0  # TradeStatus.Open
        out.append((int(r["entry_idx"]), None if open_ else int(r["exit_idx"])))
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candles", type=int, default=1_000_000)
    parser.add_argument("--sets", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk", type=int, default=100, help="sets per vectorbt call")
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    candles = generate_market(args.candles, 60, seed=11)
    sets = grid(args.sets)
    rng = np.random.default_rng(1)
    sample = {
        int(i) for i in rng.choice(len(sets), size=min(args.sample, len(sets)), replace=False)
    }
    calls = -(-len(sets) // args.chunk)
    print(f"{len(sets):,} EMA/RSI sets on {args.candles:,} generated 1m candles; load average "
          f"{os.getloadavg()[0]:.1f} at the start", flush=True)  # fmt: skip
    row = "{:<40}{:>9.2f}{:>8.1f}{:>8.1f}{:>11.1f}"

    started, cpu = time.perf_counter(), _children_cpu()
    ours = run_tradewind(candles, sets, args.workers, sample)
    ours_s, ours_cpu = time.perf_counter() - started, _children_cpu() - cpu
    print(f"{'tool':<40}{'whole s':>9}{'sets/s':>8}{'CPU s':>8}{'CPU sets/s':>11}")
    print(row.format(f"tradewind ({args.workers} processes, Decimal)", ours_s,
                     len(sets) / ours_s, ours_cpu, len(sets) / ours_cpu), flush=True)  # fmt: skip

    import_s = import_vectorbt()
    started, cpu = time.perf_counter(), time.process_time()
    theirs, call_s, (gc_s, gc_cpu) = run_vectorbt(candles, sets, args.chunk, sample)
    # The collections between calls are the benchmark's housekeeping: left out.
    theirs_s = time.perf_counter() - started - gc_s
    theirs_cpu = time.process_time() - cpu - gc_cpu
    print(row.format(f"vectorbt ({calls} calls of {args.chunk} sets)", theirs_s,
                     len(sets) / theirs_s, theirs_cpu, len(sets) / theirs_cpu))  # fmt: skip

    same = [i for i in sorted(sample) if ours[i][1] == theirs[i]]
    print(f"tradewind positions in all: {sum(count for count, _ in ours):,}; load average "
          f"{os.getloadavg()[0]:.1f} at the end")  # fmt: skip
    print(f"vectorbt's import: {import_s:.2f} s and the collections between its calls: "
          f"{gc_s:.2f} s (neither counted above); its from_signals calls alone: "
          f"{call_s:.2f} s")  # fmt: skip
    print(f"tradewind takes {ours_s / theirs_s:.2f}× vectorbt's wall time for the grid, "
          f"{ours_cpu / theirs_cpu:.2f}× its CPU time")  # fmt: skip
    print(f"identical trades (entry and exit candle of every position): {len(same)} of "
          f"{len(sample)} sampled sets")  # fmt: skip
    for i in sorted(sample):
        if i not in same:
            print(f"  differs: fast {sets[i][0]}, slow {sets[i][1]}: tradewind "
                  f"{ours[i][0]} positions, vectorbt {len(theirs[i])}")  # fmt: skip


if __name__ == "__main__":
    main()

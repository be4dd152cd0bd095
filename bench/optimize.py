"""Benchmark a parameter grid of EMA/RSI: tradewind's optimizer engine against vectorbt's
own grid run (one `Portfolio.from_signals` over a column per parameter set).

Both run the same sets on the same generated 1m candles: EMA fast × EMA slow with the
RSI filter, 25 USDT per entry floored to the BTCUSDT lot step, 0.1 % fees, entries and
exits by signal at the next open (no stops: vectorbt watches stops from the candle after
the fill, tradewind from the fill candle, so only signal exits can agree trade for trade).
tradewind evaluates each set with its exact Decimal backtest on every core (processes,
as `tradewind optimize` does); vectorbt gets TA-Lib's indicators (the definition in
docs/strategy.md) for each window once and simulates every column in one call. A sample
of sets is then compared trade by trade (entry and exit candle of every position).

Run: `.venv-bench/bin/python bench/optimize.py [--candles N] [--sets N] [--workers N]`.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from typing import Any

import numpy as np

from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.candles import Candles
from tradewind.domain.params import SizingRule
from tradewind.domain.strategies import StrategyChoice
from tradewind.domain.strategies.ema_rsi import EMA_RSI, EmaRsiParams
from tradewind.domain.types import PositionType
from tradewind.services.backtest.engine import BacktestSpec, run_backtest

RSI_PERIOD = 7
POSITION_QUOTE = 25
FEE_RATE = Decimal("0.001")
QTY_STEP = 1e-5
_CANDLES: Candles | None = None


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


def _init(candles: Candles) -> None:
    global _CANDLES  # noqa: PLW0603 - one grid per worker process
    _CANDLES = candles


def _tradewind_one(pair: tuple[int, int]) -> list[tuple[int, int | None]]:
    assert _CANDLES is not None
    result = run_backtest(_CANDLES, _spec(*pair))
    return [(t.entry_index, t.exit_index) for t in result.trades]


def run_tradewind(candles: Candles, sets: list[tuple[int, int]], workers: int) -> Any:
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(candles,)) as pool:
        return list(pool.map(_tradewind_one, sets, chunksize=max(1, len(sets) // (workers * 8))))


def import_vectorbt() -> float:
    """Import vectorbt (and pandas, TA-Lib) and return how long it took."""
    started = time.perf_counter()
    import pandas  # noqa: F401
    import talib  # noqa: F401
    import vectorbt  # noqa: F401

    return time.perf_counter() - started


def run_vectorbt(candles: Candles, sets: list[tuple[int, int]]) -> Any:
    import pandas as pd
    import talib
    import vectorbt as vbt
    from vectorbt._engine import is_rust_available

    close = candles.close
    ema = {w: talib.EMA(close, w) for w in sorted({w for pair in sets for w in pair})}
    rsi = talib.RSI(close, RSI_PERIOD)
    n, m = close.shape[0], len(sets)
    entries = np.zeros((n, m), dtype=np.bool_)
    exits = np.zeros((n, m), dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        for col, (fast, slow) in enumerate(sets):
            f, s = ema[fast], ema[slow]
            buy = (f[:-1] <= s[:-1]) & (f[1:] > s[1:]) & (rsi[1:] < 65) & ~np.isnan(rsi[:-1])
            sell = (f[:-1] >= s[:-1]) & (f[1:] < s[1:]) & (rsi[1:] > 35) & ~np.isnan(rsi[:-1])
            entries[2:, col] = buy[:-1]  # decided at i's close, filled at i + 1's open
            exits[2:, col] = sell[:-1]
    size = np.empty(n)
    size[0] = np.nan
    size[1:] = np.floor(POSITION_QUOTE / close[:-1] / QTY_STEP + 1e-9) * QTY_STEP
    index = pd.DatetimeIndex(candles.open_time.astype("datetime64[s]"))
    started = time.perf_counter()
    portfolio = vbt.Portfolio.from_signals(
        pd.Series(close, index=index), entries=entries, exits=exits, price=candles.open[:, None],
        size=size[:, None], size_type="amount", direction="longonly", accumulate=False,
        fees=float(FEE_RATE), init_cash=10_000.0, freq="1min",
        engine="rust" if is_rust_available() else "numba",  # its fastest, as bench/backtest.py
    )  # fmt: skip
    call = time.perf_counter() - started
    return portfolio, call


def vectorbt_trades(portfolio: Any, col: int) -> list[tuple[int, int | None]]:
    records = portfolio.trades.values  # the structured array (`.records` is a frame)
    mine = records[records["col"] == col]
    out = []
    for r in mine:
        open_ = int(r["status"]) == 0  # TradeStatus.Open
        out.append((int(r["entry_idx"]), None if open_ else int(r["exit_idx"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candles", type=int, default=100_000)
    parser.add_argument("--sets", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    candles = generate_market(args.candles, 60, seed=11)
    sets = grid(args.sets)

    started = time.perf_counter()
    ours = run_tradewind(candles, sets, args.workers)
    ours_s = time.perf_counter() - started

    import_s = import_vectorbt()
    started = time.perf_counter()
    portfolio, call_s = run_vectorbt(candles, sets)
    theirs_s = time.perf_counter() - started

    rng = np.random.default_rng(1)
    sample = sorted(rng.choice(len(sets), size=min(args.sample, len(sets)), replace=False))
    same = [i for i in sample if ours[i] == vectorbt_trades(portfolio, int(i))]
    trades = sum(len(t) for t in ours)
    print(f"{len(sets):,} EMA/RSI sets on {args.candles:,} generated 1m candles "
          f"({trades:,} tradewind positions in all)")  # fmt: skip
    print(f"{'tool':<34}{'whole s':>10}{'sets/s':>10}")
    print(f"{'tradewind (' + str(args.workers) + ' processes, Decimal)':<34}"
          f"{ours_s:>10.2f}{len(sets) / ours_s:>10.1f}")  # fmt: skip
    print(f"{'vectorbt (indicators + one call)':<34}{theirs_s:>10.2f}"
          f"{len(sets) / theirs_s:>10.1f}")  # fmt: skip
    print(f"vectorbt's import: {import_s:.2f} s (not counted above); its from_signals call "
          f"alone (JIT included): {call_s:.2f} s")  # fmt: skip
    print(f"tradewind takes {ours_s / theirs_s:.2f}× vectorbt's time for the grid")
    print(f"identical trades (entry and exit candle of every position): {len(same)} of "
          f"{len(sample)} sampled sets")  # fmt: skip
    for i in sample:
        if i not in same:
            print(
                f"  differs: fast {sets[i][0]}, slow {sets[i][1]}: tradewind "
                f"{len(ours[i])} positions, vectorbt {len(vectorbt_trades(portfolio, int(i)))}"
            )


if __name__ == "__main__":
    main()

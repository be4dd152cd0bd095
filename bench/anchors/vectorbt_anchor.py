"""Anchor: the strategy in vectorbt's `Portfolio.from_signals`, its fastest honest set-up.

Signals are decided at candle i's close, so they are shifted one candle and filled at the
next open (`price=open`); stops start from the fill price. The Rust engine is used when
`vectorbt-rust` is installed, else vectorbt's Numba engine; the line printed says which.
"""

from __future__ import annotations

import time

IMPORT_START = time.perf_counter()

import numpy as np  # noqa: E402
import vectorbt as vbt  # noqa: E402
from _common import (  # noqa: E402
    FEE_RATE,
    INITIAL_BALANCE,
    QTY_STEP,
    STOP_LOSS,
    TAKE_PROFIT,
    Stopwatch,
    emit,
    parse_args,
    quantity_steps,
    read_candles,
    signals,
)
from vectorbt._engine import is_rust_available  # noqa: E402

ORDER_SIDE_SELL = 1


def shift_one(values: np.ndarray, fill: object) -> np.ndarray:
    """Move each decision to the candle after it, where it fills."""
    shifted = np.empty_like(values)
    shifted[0] = fill
    shifted[1:] = values[:-1]
    return shifted


def main() -> None:
    watch = Stopwatch(IMPORT_START)
    args = parse_args()
    engine = args.engine
    if engine == "auto":
        engine = "rust" if is_rust_available() else "numba"
    watch.lap("import_s")

    candles = read_candles(args.csv)
    watch.lap("read_s")

    close = candles["Close"].to_numpy(dtype=np.float64)
    buy, sell = signals(close)
    entries = shift_one(buy, False)
    exits = shift_one(sell, False)
    size = shift_one(quantity_steps(close).astype(np.float64) * QTY_STEP, np.nan)
    watch.lap("signals_s")

    portfolio = vbt.Portfolio.from_signals(
        candles["Close"],
        entries=entries,
        exits=exits,
        price=candles["Open"].to_numpy(dtype=np.float64),
        open=candles["Open"].to_numpy(dtype=np.float64),
        high=candles["High"].to_numpy(dtype=np.float64),
        low=candles["Low"].to_numpy(dtype=np.float64),
        size=size,
        size_type="amount",
        direction="longonly",
        accumulate=False,
        fees=FEE_RATE,
        sl_stop=STOP_LOSS,
        tp_stop=TAKE_PROFIT,
        stop_entry_price="fillprice",
        stop_exit_price="stopmarket",
        init_cash=INITIAL_BALANCE,
        freq="1min",
        engine=engine,
    )
    watch.lap("backtest_s")

    orders = portfolio.order_records
    closed = int(np.count_nonzero(orders["side"] == ORDER_SIDE_SELL))
    opened = int(orders.shape[0]) - closed
    return_pct = float(portfolio.total_return()) * 100.0
    watch.lap("report_s")

    emit(
        {
            "tool": "vectorbt",
            "version": vbt.__version__,
            "engine": engine,
            "candles": int(close.shape[0]),
            "trades": closed,
            "open_at_end": opened - closed,
            "return_pct": return_pct,
            **watch.phases,
        }
    )


if __name__ == "__main__":
    main()

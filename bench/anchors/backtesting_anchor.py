"""Anchor: the strategy in backtesting.py, its fastest honest set-up.

`trade_on_close=False` fills an order decided at candle i's close at candle i+1's open.
`FractionalBacktest` with one unit = 0.00001 BTC (the BTCUSDT lot step) lets the order
carry tradewind's own quantity: 25 USDT at the decision close, floored to the step.
Signals are precomputed with TA-Lib (vectorized, causal), so `next()` only looks them up.
"""

from __future__ import annotations

import time

IMPORT_START = time.perf_counter()

import numpy as np  # noqa: E402
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
from backtesting import Strategy, __version__  # noqa: E402
from backtesting.lib import FractionalBacktest  # noqa: E402


class EmaRsiSpot(Strategy):
    """Long only: BUY opens when flat, SELL closes; SL/TP ride on the entry order."""

    # Filled in by main() before the run: per-candle arrays indexed by candle number.
    buy_signal: np.ndarray = np.zeros(0, dtype=np.bool_)
    sell_signal: np.ndarray = np.zeros(0, dtype=np.bool_)
    units: np.ndarray = np.zeros(0, dtype=np.int64)
    scaled_close: np.ndarray = np.zeros(0)
    last_index = -1
    open_at_end = False

    def init(self) -> None:
        self.reanchor_levels = False

    def next(self) -> None:
        index = len(self.data) - 1
        if self.reanchor_levels:
            # The entry price is only known once filled: the entry candle used levels from
            # the decision close; from the next candle on they hang off the real fill.
            self.reanchor_levels = False
            if self.trades:
                trade = self.trades[-1]
                trade.sl = trade.entry_price * (1.0 - STOP_LOSS)
                trade.tp = trade.entry_price * (1.0 + TAKE_PROFIT)
        if self.position:
            if self.sell_signal[index]:
                self.position.close()
        elif self.buy_signal[index] and self.units[index] > 0:
            decision_close = self.scaled_close[index]
            self.buy(
                size=int(self.units[index]),
                sl=decision_close * (1.0 - STOP_LOSS),
                tp=decision_close * (1.0 + TAKE_PROFIT),
            )
            self.reanchor_levels = True
        if index == self.last_index:
            type(self).open_at_end = bool(self.position)


def main() -> None:
    watch = Stopwatch(IMPORT_START)
    args = parse_args()
    watch.lap("import_s")

    candles = read_candles(args.csv)
    watch.lap("read_s")

    close = candles["Close"].to_numpy(dtype=np.float64)
    buy, sell = signals(close)
    EmaRsiSpot.buy_signal = buy
    EmaRsiSpot.sell_signal = sell
    EmaRsiSpot.units = quantity_steps(close)
    # FractionalBacktest shows the strategy prices per unit of QTY_STEP.
    EmaRsiSpot.scaled_close = close * QTY_STEP
    EmaRsiSpot.last_index = close.shape[0] - 1
    watch.lap("signals_s")

    backtest = FractionalBacktest(
        candles,
        EmaRsiSpot,
        cash=INITIAL_BALANCE,
        commission=FEE_RATE,
        trade_on_close=False,
        finalize_trades=True,
        fractional_unit=QTY_STEP,
    )
    stats = backtest.run()
    watch.lap("backtest_s")

    all_trades = int(stats["# Trades"])
    open_at_end = int(EmaRsiSpot.open_at_end)
    emit(
        {
            "tool": "backtesting.py",
            "version": __version__,
            "candles": int(close.shape[0]),
            # finalize_trades closes the last open position at the end; it is not a real exit.
            "trades": all_trades - open_at_end,
            "open_at_end": open_at_end,
            "return_pct": float(stats["Return [%]"]),
            **watch.phases,
        }
    )


if __name__ == "__main__":
    main()

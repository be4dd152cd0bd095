"""The backtester makes exactly the trades of a plain per-candle loop on real candles.

The reference below is written from docs/strategy.md alone: its own indicators, its own
signal, exit, sizing, limit and PnL rules, one candle at a time. Only the candle reader
and the symbol rules are shared with the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pytest

from tests.conftest import shared_file
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.domain.candles import Candles
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.params import DailyLimits, ExitRules, SizingRule
from tradewind.domain.types import PositionType
from tradewind.services.backtest import BacktestSpec, run_backtest

D = Decimal


def tick_toward(price: Decimal, entry: Decimal, tick: Decimal) -> Decimal:
    """The page's rule: a stop-loss or take-profit level rounded to the tick toward the entry."""
    rounding = ROUND_CEILING if price < entry else ROUND_FLOOR
    return (price / tick).to_integral_value(rounding) * tick


def ref_ema(xs: list[float], n: int) -> list[float | None]:
    out: list[float | None] = [None] * len(xs)
    if len(xs) < n:
        return out
    a = 2 / (n + 1)
    value = sum(xs[:n]) / n
    out[n - 1] = value
    for i in range(n, len(xs)):
        value = a * xs[i] + (1 - a) * value
        out[i] = value
    return out


def ref_rsi(xs: list[float], n: int) -> list[float | None]:
    out: list[float | None] = [None] * len(xs)
    if len(xs) <= n:
        return out
    d = [xs[i] - xs[i - 1] for i in range(1, len(xs))]
    gain = sum(max(x, 0.0) for x in d[:n]) / n
    loss = sum(max(-x, 0.0) for x in d[:n]) / n

    def value(g: float, lo: float) -> float:
        if lo == 0:
            return 100.0 if g > 0 else 50.0
        return 100 - 100 / (1 + g / lo)

    out[n] = value(gain, loss)
    for i in range(n + 1, len(xs)):
        x = d[i - 1]
        gain = (gain * (n - 1) + max(x, 0.0)) / n
        loss = (loss * (n - 1) + max(-x, 0.0)) / n
        out[i] = value(gain, loss)
    return out


@dataclass
class Pos:
    side: str
    entry_i: int
    entry: Decimal
    qty: Decimal  # bought or sold short
    fee: Decimal  # in quote
    peak: Decimal
    held: Decimal  # what the exit sells: a spot buy's quantity less its fee in base
    leftover: Decimal  # the base a spot buy left beside it, paid for and never sold


def reference_trades(
    c: Candles, spec: BacktestSpec, fixed: Decimal, rules: MarketRules
) -> list[tuple[object, ...]]:
    dec = [[D(repr(float(v))) for v in arr] for arr in (c.open, c.high, c.low, c.close)]
    o, h, lo, cl = dec
    closes = [float(x) for x in c.close]
    fast, slow = ref_ema(closes, 8), ref_ema(closes, 21)
    rs = ref_rsi(closes, 7)
    ex, lim, rate, lev = spec.exits, spec.limits, spec.taker_rate, spec.leverage
    futures = spec.position_type is PositionType.FUTURES
    trades: list[tuple[object, ...]] = []
    pos: Pos | None = None
    pending: tuple[str, ...] | None = None
    balance = spec.initial_balance
    entries_by_day: dict[int, int] = {}
    pnl_by_day: dict[int, Decimal] = {}

    def close_pos(i: int, price: Decimal, reason: str) -> None:
        nonlocal pos, balance
        assert pos is not None
        fee = price * pos.held * rate
        move = price - pos.entry if pos.side == "long" else pos.entry - price
        pnl = move * pos.held - pos.fee - fee
        day = int(c.open_time[i]) // 86400
        pnl_by_day[day] = pnl_by_day.get(day, D(0)) + pnl
        balance += pnl - pos.leftover * pos.entry  # the quote the account holds
        trades.append((pos.side, int(c.open_time[pos.entry_i]), pos.entry, pos.qty, pos.held,
                       pos.fee, int(c.open_time[i]), price, fee, reason, pnl))  # fmt: skip
        pos = None

    for i in range(len(c)):
        if pending is not None:  # the order decided at the last close fills at this open
            kind = pending[0]
            if kind == "exit":
                close_pos(i, o[i], "signal")
            elif kind == "watched":  # the bot saw its watched stop reached last minute
                close_pos(i, o[i], "trailing_stop")
            else:
                side, qty = pending[1], D(pending[2])
                fee = o[i] * qty * rate
                held, leftover, cost = qty, D(0), o[i] * qty / lev + fee
                if not futures:  # the fee is taken from the BTC bought, paid for in full
                    held = ((qty - qty * rate) // rules.step) * rules.step
                    leftover, cost = qty - qty * rate - held, o[i] * qty
                if cost <= balance:
                    pos = Pos(side, i, o[i], qty, fee, o[i], held, leftover)
                    day = int(c.open_time[i]) // 86400
                    entries_by_day[day] = entries_by_day.get(day, 0) + 1
            pending = None
        watching = False  # a spot trailing stop wider than the stop-loss: one stop rests
        if pos is not None:  # protective exits inside this candle
            long = pos.side == "long"
            stops = []
            sl_level = None
            if ex.stop_loss is not None:
                lvl = pos.entry * (1 - ex.stop_loss) if long else pos.entry * (1 + ex.stop_loss)
                sl_level = tick_toward(lvl, pos.entry, rules.tick_size)
                stops.append((sl_level, "stop_loss"))
            # Spot: the trailing stop is watched when its level at entry is below the stop's.
            watching = not futures and sl_level is not None and ex.trailing_stop is not None
            watching = watching and pos.entry * (1 - ex.trailing_stop) < sl_level  # type: ignore[operator]
            if ex.trailing_stop is not None:
                lvl = (
                    pos.peak * (1 - ex.trailing_stop) if long else pos.peak * (1 + ex.trailing_stop)
                )
                if watching:  # the bot's to watch, after what rests has had its minute
                    watched = lvl
                else:
                    stops.append((lvl, "trailing_stop"))
            stop = None
            if stops:
                stop = max(stops, key=lambda s: s[0]) if long else min(stops, key=lambda s: s[0])
            tp = None
            if ex.take_profit is not None:
                tp = pos.entry * (1 + ex.take_profit) if long else pos.entry * (1 - ex.take_profit)
                tp = tick_toward(tp, pos.entry, rules.tick_size)
            if stop and (o[i] <= stop[0] if long else o[i] >= stop[0]):
                close_pos(i, o[i], stop[1])
            elif tp and (o[i] >= tp if long else o[i] <= tp):
                close_pos(i, o[i], "take_profit")
            elif stop and (lo[i] <= stop[0] if long else h[i] >= stop[0]):
                close_pos(i, stop[0], stop[1])
            elif tp and (h[i] >= tp if long else lo[i] <= tp):
                close_pos(i, tp, "take_profit")
            elif watching and lo[i] <= watched:  # closed by MARKET order at the next open
                if i + 1 < len(c):
                    pending = ("watched",)
                continue  # checked before the signal, which this close replaces
            else:
                pos.peak = max(pos.peak, h[i]) if long else min(pos.peak, lo[i])
        if i + 1 >= len(c) or i < 1:
            continue
        f0, s0, f1, s1, r1 = fast[i - 1], slow[i - 1], fast[i], slow[i], rs[i]
        if None in (f0, s0, f1, s1, r1) or rs[i - 1] is None:
            continue
        assert f0 is not None
        assert s0 is not None
        assert f1 is not None
        assert s1 is not None
        assert r1 is not None
        sig = None
        if f0 <= s0 and f1 > s1 and r1 < 65:
            sig = "buy"
        elif f0 >= s0 and f1 < s1 and r1 > 35:
            sig = "sell"
        if sig is None:
            continue
        if pos is not None:
            if (pos.side == "long") == (sig == "sell"):
                pending = ("exit",)
            continue
        if sig == "sell" and not futures:
            continue
        day = int(c.open_time[i + 1]) // 86400
        if lim.max_trades is not None and entries_by_day.get(day, 0) >= lim.max_trades:
            continue
        if lim.max_loss is not None and pnl_by_day.get(day, D(0)) <= -lim.max_loss:
            continue
        if lim.profit_target is not None and pnl_by_day.get(day, D(0)) >= lim.profit_target:
            continue
        price = cl[i]
        qty = fixed * lev / price
        qty = (qty // rules.step) * rules.step
        if qty < rules.min_qty or qty * price < rules.min_notional or fixed > balance:
            continue
        pending = ("entry", "long" if sig == "buy" else "short", str(qty))
    if pos is not None:
        trades.append((pos.side, int(c.open_time[pos.entry_i]), pos.entry, pos.qty, pos.held,
                       pos.fee, None, None, None, None, None))  # fmt: skip
    return trades


SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
CASES = {
    "spot with stop, target, trailing and a daily trade cap": (
        SPOT,
        1,
        ExitRules(D("0.01"), D("0.015"), D("0.008")),
        DailyLimits(max_trades=12),
    ),
    "spot with a trailing stop wider than the stop-loss (the bot watches it)": (
        SPOT,
        1,
        ExitRules(D("0.005"), D("0.015"), D("0.008")),
        DailyLimits(),
    ),
    "spot with signals only": (SPOT, 1, ExitRules(), DailyLimits()),
    "futures 10x long and short with stop and target and a daily loss cap": (
        FUTURES,
        10,
        ExitRules(D("0.006"), D("0.01")),
        DailyLimits(max_loss=D("40")),
    ),
    "futures 3x with a trailing stop and a daily profit target": (
        FUTURES,
        3,
        ExitRules(trailing_stop=D("0.005")),
        DailyLimits(profit_target=D("2")),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_backtest_makes_the_same_trades_as_a_plain_candle_loop(case: str) -> None:
    candles = read_candles_csv(shared_file("BTCUSDT-1m-binanceus-2023-03.csv"))
    position_type, leverage, exits, limits = CASES[case]
    rules = rules_for("BTCUSDT", position_type)
    fixed = D(100)
    spec = BacktestSpec(
        position_type=position_type, rules=rules, exits=exits, limits=limits,
        sizing=SizingRule(fixed_quote=fixed), leverage=leverage,
    )  # fmt: skip
    result = run_backtest(candles, spec)
    got = [
        (t.side.value, t.entry_time, t.entry_price, t.quantity, t.position_quantity,
         t.entry_fee, t.exit_time, t.exit_price, t.exit_fee,
         t.exit_reason.value if t.exit_reason else None, t.pnl)
        for t in result.trades
    ]  # fmt: skip
    expected = reference_trades(candles, spec, fixed, rules)
    assert len(got) > 100
    if position_type is SPOT:  # each buy's fee came out of the BTC it bought
        assert all(t.position_quantity < t.quantity for t in result.trades)
    assert got == expected

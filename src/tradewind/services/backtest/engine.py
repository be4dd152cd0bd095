"""The backtester: signals on whole arrays, then a walk from one event to the next.

It decides as the live bot does, with the same code: at every event candle (a signal that
could open a position, the signal that closes one) it asks the domain's `decide` and
sizes an entry as `size_order` does (`entry_sizer`: its `size_entry` with the fixed
settings worked out once), given its balance as the free funds. Protective exits fill by
`first_exit` (which defers to `exit_in_candle`, the simulated exchange's rule too; with
fixed levels, `fixed_exit_candidates` finds each position's first candidate candle in a
few array passes, confirmed exactly) and PnL by `realized_pnl`. Money is Decimal; the float
arrays only locate events.

Timing (docs/strategy.md, "Fills"): an order decided at the close of candle i is sized at
close[i] and fills at open[i+1]. Exits are watched from the entry candle on; a closing
signal at candle s fills at open[s+1] and that tick opens nothing. A spot exit the
exchange cannot rest is the bot's to watch and fills at the next minute's open
(`watched`).

Signals come from the bot's candles; exits are checked on the data's candles between the
bot's closes (`BacktestFeed`): each minute when the data is 1m, as paper and live check
them. With the bot's own candles as the data, both are the same candles.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from tradewind.domain.candles import Candles, FloatArray, to_decimal
from tradewind.domain.decide import (
    Close,
    Enter,
    Pause,
    Reading,
    TradingRules,
    decide,
)
from tradewind.domain.exit_search import fixed_exit_candidates
from tradewind.domain.exits import exit_in_candle, first_exit
from tradewind.domain.limits import DayTally, utc_day
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import NoOrder
from tradewind.domain.params import (
    DEFAULT_TAKER_FEE,
    DailyLimits,
    ExitRules,
    SizingRule,
)
from tradewind.domain.pnl import base_fee, held_after_buy, realized_pnl, taker_fee
from tradewind.domain.sizing import entry_sizer
from tradewind.domain.strategies import StrategyChoice
from tradewind.domain.strategies.ema_rsi import EMA_RSI, EmaRsiParams
from tradewind.domain.types import ExitReason, PositionSide, PositionType, Signal
from tradewind.services.backtest.feed import BacktestFeed, same_candles
from tradewind.services.backtest.openings import find_openings
from tradewind.services.backtest.result import BacktestResult, RoundTrip, round_trip
from tradewind.services.backtest.watched import first_exit_watching, watched_stop

SECONDS_PER_DAY = 86_400
_ZERO = Decimal(0)
_NO_TALLY = DayTally(day=date.min)  # without daily limits, no day is ever counted
# What the candles say at a closing signal; its price is only ever used to size entries.
_CLOSING = {PositionSide.LONG: Reading(Signal.SELL), PositionSide.SHORT: Reading(Signal.BUY)}
ProgressCallback = Callable[[int], None]
_Hit = tuple[int, Decimal, ExitReason]  # exit data candle, fill price, reason


@dataclass(frozen=True, slots=True)
class BacktestSpec:
    """One bot's settings as the backtester needs them (leverage already effective)."""

    position_type: PositionType
    rules: MarketRules
    strategy: StrategyChoice[Any] = field(
        default_factory=lambda: StrategyChoice(EMA_RSI, EmaRsiParams())
    )
    exits: ExitRules = field(default_factory=ExitRules)
    sizing: SizingRule = field(default_factory=SizingRule)
    limits: DailyLimits = field(default_factory=DailyLimits)
    leverage: int = 1
    fee_rate: Decimal | None = None  # None = the default taker rate of the market
    initial_balance: Decimal = Decimal(10_000)

    @property
    def taker_rate(self) -> Decimal:
        return self.fee_rate if self.fee_rate is not None else DEFAULT_TAKER_FEE[self.position_type]

    def trading_rules(self) -> TradingRules:
        """Return the settings as the domain's decisions take them."""
        return TradingRules(
            strategy=self.strategy,
            exits=self.exits,
            sizing=self.sizing,
            limits=self.limits,
            position_type=self.position_type,
            leverage=self.leverage,
        )


def run_backtest(
    candles: Candles | BacktestFeed,
    spec: BacktestSpec,
    on_progress: ProgressCallback | None = None,
    *,
    with_equity: bool = True,
) -> BacktestResult:
    """Replay the strategy over closed candles and return every round trip.

    Given candles, they are the bot's and its exits are checked on them; given a feed, the
    bot's candles are its `bot` and exits are checked on its finer `fine` candles. Without
    `with_equity` the equity curve is left empty: a search whose objective never reads it
    saves a tenth of each backtest.
    """
    feed = candles if isinstance(candles, BacktestFeed) else same_candles(candles)
    walk = _Walk(feed, spec, on_progress)
    walk.run()
    return BacktestResult(
        trades=walk.trades,
        open_position=walk.trades[-1] if walk.trades and walk.trades[-1].is_open else None,
        initial_balance=spec.initial_balance,
        final_balance=walk.balance,
        equity=(
            equity_curve(feed.bot.close, spec.initial_balance, walk.trades)
            if with_equity
            else np.empty(0)
        ),
        skipped=walk.skipped,
        exit_seconds=feed.exit_seconds,
    )


@dataclass(slots=True)
class _Entry:
    """An entry fill whose exit is not known yet."""

    side: PositionSide
    index: int  # the bot candle of the fill
    fine: int  # the data candle of the fill
    time: int
    entry_price: Decimal
    quantity: Decimal  # bought (or sold short)
    fee: Decimal  # in the quote: a spot BUY's base fee valued at the fill price
    held: Decimal  # what the position holds and its exit sells (docs/strategy.md, "Fees")
    # The base a spot BUY leaves in the account beside the position (under one step, after
    # the fee): paid for, never sold, so the quote balance is short of its cost.
    leftover: Decimal = Decimal(0)


class _Walk:
    """The event walk's state; `run` reads like the tick: limits, size, fill, exit."""

    def __init__(
        self, feed: BacktestFeed, spec: BacktestSpec, on_progress: ProgressCallback | None
    ) -> None:
        self.c = feed.bot
        self.f = feed.fine
        self.starts = feed.starts
        # The stop-loss and take-profit levels on the market's tick, as the exchange holds
        # them (docs/strategy.md, "Exits").
        spec = replace(spec, exits=spec.exits.on_tick(spec.rules.tick_size))
        self.spec = spec
        self.rules = spec.trading_rules()
        self.rate = spec.taker_rate
        self.spot = spec.position_type is PositionType.SPOT
        self.on_progress = on_progress
        self.balance = spec.initial_balance
        self.trades: list[RoundTrip] = []
        self.skipped: Counter[str] = Counter()
        self.days: dict[int, DayTally] = {}
        limits = spec.limits
        # `size_order`'s `size_entry` with the fixed settings worked out once.
        self.size = entry_sizer(spec.sizing, spec.leverage, spec.rules)
        self.has_limits = (
            limits.max_trades is not None
            or limits.max_loss is not None
            or limits.profit_target is not None
        )
        sig = spec.strategy.signals(feed.bot)
        if feed.closed < len(feed.bot):  # a candle still forming when the data ends
            sig = sig.copy()
            sig[feed.closed :] = Signal.NONE
        # Every candle where a flat bot may open, and what the walk reads there.
        self.openings = find_openings(feed, sig, spec.position_type)
        # Fixed levels (no trailing stop): every opening's first candidate exit at once.
        self.candidates: list[int] | None = None
        if spec.exits.trailing_stop is None:
            self.candidates = self._exit_candidates()

    def _exit_candidates(self) -> list[int]:
        """Per opening, the first data candle from its fill to the close of its closing
        signal's candle where a level may fire (float filter, confirmed exactly in
        `_hold`), or -1."""
        o, f = self.openings, self.f
        found = np.full(len(o), -1, dtype=np.int64)
        at = np.array(o.index, dtype=np.int64)
        sides = np.array(o.side)
        start, end = np.array(o.fill, dtype=np.int64), np.array(o.window_end, dtype=np.int64)
        fill_open = np.array(o.fill_open)
        for side in PositionSide:
            chosen = np.flatnonzero((sides == side) & (at + 1 < len(self.c)))
            if chosen.shape[0] == 0:
                continue
            long = side is PositionSide.LONG
            found[chosen] = fixed_exit_candidates(
                long, self.spec.exits, fill_open[chosen], start[chosen], end[chosen], f.high, f.low
            )
        result: list[int] = found.tolist()
        return result

    def run(self) -> None:
        n = len(self.c)
        at = self.openings.index
        count = len(at)
        cursor = 0
        next_report = 0
        while True:
            if self.on_progress is not None and cursor >= next_report:
                self.on_progress(cursor)
                next_report = cursor + max(n // 100, 1)
            k = bisect_left(at, cursor)
            if k == count or at[k] + 1 >= n:
                break
            i = at[k]
            entry = self._enter(k)
            if entry is None:
                cursor = i + 1
                continue
            cursor = self._hold(entry, k)
            if cursor >= n:
                break
        if self.on_progress is not None:
            self.on_progress(n)

    def _tally(self, unix_seconds: int) -> DayTally:
        day = unix_seconds // SECONDS_PER_DAY
        tally = self.days.get(day)
        if tally is None:
            tally = self.days[day] = DayTally(day=utc_day(unix_seconds))
        return tally

    def _enter(self, k: int) -> _Entry | None:
        """Decide, size and fill opening k; None when no position opens there."""
        spec, o = self.spec, self.openings
        i, f = o.index[k], o.fill[k]
        fill_time = o.fill_time[k]  # the decision moment: close of i = open of i+1
        tally = self._tally(fill_time) if self.has_limits else _NO_TALLY
        reading = Reading(o.signal[k], to_decimal(o.decision_close[k]))
        decision = decide(self.rules, None, tally, reading)
        if isinstance(decision, Pause):
            self.skipped[f"paused: {decision.limit.value}"] += 1
            return None
        if not isinstance(decision, Enter):
            return None
        sized = self.size(self.balance, decision.price)
        if isinstance(sized, NoOrder):
            self.skipped[f"no order: {sized.reason.value}"] += 1
            return None
        price = to_decimal(o.fill_open[k])
        fee = taker_fee(price, sized, self.rate)
        held, leftover, cost = sized, _ZERO, price * sized / spec.leverage + fee
        if self.spot:  # a BUY's fee is paid in the base
            in_base = base_fee(sized, self.rate)
            held = held_after_buy(sized, in_base, spec.rules.step)
            leftover, cost = sized - in_base - held, price * sized
        # The fill may be dearer than the price the order was sized at; the exchange would
        # refuse an order the free balance cannot pay for (margin, for futures).
        if cost > self.balance:
            self.skipped["no order: insufficient_balance_at_fill"] += 1
            return None
        if self.has_limits:
            tally.entries += 1
        return _Entry(decision.side, i + 1, f, fill_time, price, sized, fee, held, leftover)

    def _hold(self, entry: _Entry, opening: int) -> int:
        """Close the position at its first exit; return the first candle a new entry may use.

        Exits are checked on the data's candles from the fill to the close of the closing
        signal's candle (to the data's end without one); bot candle indices place them.
        """
        o, n, e = self.openings, len(self.c), entry.index
        first, last = entry.fine, o.window_end[opening]
        if self.candidates is None:
            hit = self._first_exit(entry, first, last)
        else:
            hit = self._confirmed_exit(entry, self.candidates[opening], last)
        if hit is not None:
            xf, price, reason = hit
            # Flat again before the close of the bot candle it fell in, which may open anew.
            x = resume = int(np.searchsorted(self.starts, xf, side="right")) - 1
            exit_time = int(self.f.open_time[xf])
        elif o.closes[opening]:
            decision = decide(self.rules, entry, _NO_TALLY, _CLOSING[entry.side])
            assert isinstance(decision, Close)
            x = resume = o.close_index[opening]
            reason, exit_time = decision.reason, o.close_time[opening]
            price = to_decimal(o.close_open[opening])
        else:  # still open when the data ends: reported as open
            self.trades.append(
                round_trip(
                    entry.side, e, entry.time, entry.entry_price, entry.quantity, entry.fee,
                    None, None, None, None, None, None, entry.held, _ZERO,
                )
            )  # fmt: skip
            return n
        fee = taker_fee(price, entry.held, self.rate)
        pnl = realized_pnl(entry.side, entry.entry_price, price, entry.held, entry.fee + fee)
        self.trades.append(
            round_trip(
                entry.side, e, entry.time, entry.entry_price, entry.quantity, entry.fee,
                x, exit_time, price, fee, reason, pnl, entry.held, entry.leftover,
            )
        )  # fmt: skip
        # The quote balance, as the exchange's: the leftover base was paid for, not sold.
        self.balance += pnl - entry.leftover * entry.entry_price
        if self.has_limits:
            self._tally(exit_time).realized_pnl += pnl
        return resume

    def _first_exit(self, entry: _Entry, start: int, end: int) -> _Hit | None:
        """The first exit in data candles start..end (inclusive), or None."""
        f = self.f
        watched = watched_stop(self.spec.position_type, entry.entry_price, self.spec.exits)
        if watched is not None:  # spot: one stop rests, the bot watches the other
            return first_exit_watching(entry.entry_price, self.spec.exits, watched, f, start, end)
        hit = first_exit(
            entry.side, entry.entry_price, entry.entry_price, self.spec.exits,
            f.open[start : end + 1], f.high[start : end + 1], f.low[start : end + 1],
        )  # fmt: skip
        return None if hit is None else (start + hit.index, hit.price, hit.reason)

    def _confirmed_exit(self, entry: _Entry, candidate: int, end: int) -> _Hit | None:
        """The first exit from the precomputed candidate on: exact at the candidate, and
        a search of the rest of the window when the float filter proposed a false one."""
        if candidate < 0:
            return None
        f = self.f
        found = exit_in_candle(
            entry.side, entry.entry_price, entry.entry_price, self.spec.exits,
            to_decimal(float(f.open[candidate])), to_decimal(float(f.high[candidate])),
            to_decimal(float(f.low[candidate])),
        )  # fmt: skip
        if found is not None:
            return candidate, found[0], found[1]
        return self._first_exit(entry, candidate + 1, end)


def equity_curve(close: FloatArray, initial: Decimal, trades: list[RoundTrip]) -> FloatArray:
    """Mark the account to market at every close: balance, plus open PnL when in position.

    Built from segments without a per-candle loop: each candle's equity is
    `base + slope × (close − entry)`, with slope 0 while flat and ±quantity in a position.
    """
    n = int(close.shape[0])
    bases, slopes, entries, lengths = [], [], [], []
    balance = float(initial)
    prev = 0
    for t in trades:
        end = n if t.exit_index is None else t.exit_index
        sign = 1.0 if t.side is PositionSide.LONG else -1.0
        bases += [balance, balance - float(t.entry_fee)]
        slopes += [0.0, sign * float(t.position_quantity)]
        entries += [0.0, float(t.entry_price)]
        lengths += [t.entry_index - prev, end - t.entry_index]
        if t.pnl is not None:
            balance += float(t.pnl - t.leftover * t.entry_price)
        prev = end
    bases.append(balance)
    slopes.append(0.0)
    entries.append(0.0)
    lengths.append(n - prev)
    counts = np.array(lengths)
    equity: FloatArray = close - np.repeat(np.array(entries), counts)
    equity *= np.repeat(np.array(slopes), counts)
    equity += np.repeat(np.array(bases), counts)
    return equity

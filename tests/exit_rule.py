"""The protective-exit rule of docs/strategy.md, written again from the page alone.

The exit tests compare the code with this, never with the code's own helpers: the levels
come from the page's formulas, and one candle is judged by listing what the candle reached
and taking what happened first. Sides are the strings "long" and "short" here, so nothing
of `tradewind.domain.exits` is reused, not even its enums.

From "Protective exits" and "Fills":
- stop-loss: long entry·(1 − sl), short entry·(1 + sl); take-profit: long entry·(1 + tp),
  short entry·(1 − tp); trailing: long peak·(1 − ts), short trough·(1 + ts), with the peak
  known at the end of the previous candle (the entry price in the entry candle).
- the stop-loss and take-profit levels on the price tick, rounded toward the entry (the
  multiple of the tick nearest the formula's value on the entry's side of it, or the value
  itself when it is a multiple); a tick of 0 leaves them exact.
- a level reached inside a candle fills at the level; a candle that opened at or beyond it
  fills at the open, and that comes before anything inside the candle;
- a stop and the take-profit both reached: the stop first; of two stops, the nearer one
  (the stop-loss when they are equal).
"""

from __future__ import annotations

from decimal import Decimal

Hit = tuple[Decimal, str]  # (fill price, "stop_loss" | "take_profit" | "trailing_stop")


def toward(value: Decimal, entry: Decimal, tick: Decimal) -> Decimal:
    """`value` moved onto the tick, toward `entry` (whole ticks counted with `//`)."""
    if tick == 0:
        return value
    below = (value // tick) * tick  # value > 0: `//` truncates, i.e. floors
    if below == value:
        return value
    return below + tick if value < entry else below


def stop_loss_at(
    side: str, entry: Decimal, sl: Decimal | None, tick: Decimal = Decimal(0)
) -> Decimal | None:
    if sl is None:
        return None
    return toward(entry * (1 - sl) if side == "long" else entry * (1 + sl), entry, tick)


def take_profit_at(
    side: str, entry: Decimal, tp: Decimal | None, tick: Decimal = Decimal(0)
) -> Decimal | None:
    if tp is None:
        return None
    return toward(entry * (1 + tp) if side == "long" else entry * (1 - tp), entry, tick)


def trailing_at(side: str, peak: Decimal, ts: Decimal | None) -> Decimal | None:
    if ts is None:
        return None
    return peak * (1 - ts) if side == "long" else peak * (1 + ts)


def exit_at(
    side: str,
    stop_loss: Decimal | None,
    take_profit: Decimal | None,
    trailing: Decimal | None,
    open_: Decimal,
    high: Decimal,
    low: Decimal,
) -> Hit | None:
    """Judge one candle against absolute levels: what fills first, at what price."""
    against = (lambda price, level: price <= level) if side == "long" else (
        lambda price, level: price >= level
    )  # fmt: skip
    towards = (lambda price, level: price >= level) if side == "long" else (
        lambda price, level: price <= level
    )  # fmt: skip
    worst = low if side == "long" else high  # the candle's extreme against the position
    best = high if side == "long" else low
    # How near each stop is: the higher stop of a long, the lower stop of a short.
    nearness = (lambda level: level) if side == "long" else (lambda level: -level)
    reached = []  # (at the open?, a stop?, nearness, stop-loss first on a tie, price, reason)
    for level, reason, is_stop in (
        (stop_loss, "stop_loss", True),
        (trailing, "trailing_stop", True),
        (take_profit, "take_profit", False),
    ):
        if level is None:
            continue
        hit_by = against if is_stop else towards
        if hit_by(open_, level):
            at_open, price = True, open_
        elif hit_by(worst if is_stop else best, level):
            at_open, price = False, level
        else:
            continue
        near = nearness(level) if is_stop else Decimal(0)
        reached.append((not at_open, not is_stop, -near, reason != "stop_loss", price, reason))
    if not reached:
        return None
    first = min(reached, key=lambda r: r[:4])
    return first[4], first[5]


def first_exit_by_hand(
    side: str,
    entry: Decimal,
    rules: tuple[Decimal | None, Decimal | None, Decimal | None],
    candles: list[tuple[Decimal, Decimal, Decimal]],
    tick: Decimal = Decimal(0),
) -> tuple[int, Decimal, str] | None:
    """Walk (open, high, low) candles from the entry candle on; return the first exit."""
    sl, tp, ts = rules
    peak = entry
    for index, (open_, high, low) in enumerate(candles):
        hit = exit_at(
            side,
            stop_loss_at(side, entry, sl, tick),
            take_profit_at(side, entry, tp, tick),
            trailing_at(side, peak, ts),
            open_,
            high,
            low,
        )
        if hit is not None:
            return index, hit[0], hit[1]
        peak = max(peak, high) if side == "long" else min(peak, low)
    return None

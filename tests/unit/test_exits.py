"""Protective exits behave as docs/strategy.md says, and the fast scan equals the definition."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.domain.exits import ExitHit, exit_in_candle, first_exit, peak_after, updated_peak
from tradewind.domain.params import ExitRules
from tradewind.domain.types import ExitReason, PositionSide

D = Decimal
LONG, SHORT = PositionSide.LONG, PositionSide.SHORT


def test_a_long_stop_loss_fills_at_its_level_inside_the_candle() -> None:
    rules = ExitRules(stop_loss=D("0.02"))
    assert exit_in_candle(LONG, D(100), D(100), rules, D(99), D(100), D(97)) == (
        D("98.00"),
        ExitReason.STOP_LOSS,
    )


def test_a_candle_that_opens_beyond_the_stop_fills_at_its_open() -> None:
    rules = ExitRules(stop_loss=D("0.02"))
    assert exit_in_candle(LONG, D(100), D(100), rules, D(95), D(96), D(94)) == (
        D(95),
        ExitReason.STOP_LOSS,
    )


def test_a_short_take_profit_gap_fills_at_the_open() -> None:
    rules = ExitRules(take_profit=D("0.03"))
    assert exit_in_candle(SHORT, D(100), D(100), rules, D(96), D(97), D(95)) == (
        D(96),
        ExitReason.TAKE_PROFIT,
    )


def test_when_stop_and_target_lie_in_one_candle_the_stop_comes_first() -> None:
    rules = ExitRules(stop_loss=D("0.02"), take_profit=D("0.02"))
    assert exit_in_candle(LONG, D(100), D(100), rules, D(100), D(103), D(97)) == (
        D("98.00"),
        ExitReason.STOP_LOSS,
    )


def test_of_two_stops_the_one_nearer_the_price_counts() -> None:
    rules = ExitRules(stop_loss=D("0.05"), trailing_stop=D("0.02"))
    # Peak 110 puts the trailing stop at 107.8, far above the stop-loss at 95.
    assert exit_in_candle(LONG, D(100), D(110), rules, D(108), D(109), D(100)) == (
        D("107.80"),
        ExitReason.TRAILING_STOP,
    )
    short = exit_in_candle(SHORT, D(100), D(90), rules, D(91), D(93), D(90))
    assert short == (D("91.80"), ExitReason.TRAILING_STOP)


def test_the_trailing_peak_inside_a_candle_is_the_one_known_before_it() -> None:
    rules = ExitRules(trailing_stop=D("0.10"))
    # The candle rises to 200 then falls to 95: the stop is 90 (from peak 100), not 180.
    o, h, lo = np.array([100.0]), np.array([200.0]), np.array([95.0])
    assert first_exit(LONG, D(100), D(100), rules, o, h, lo) is None
    peak = peak_after(LONG, D(100), h, lo)
    assert peak == D(200)
    hit = first_exit(
        LONG, D(100), peak, rules, np.array([190.0]), np.array([191.0]), np.array([179.0])
    )
    assert hit == ExitHit(0, D("180.0"), ExitReason.TRAILING_STOP)


def test_no_exit_rules_means_no_exit() -> None:
    o = np.array([1.0, 2.0, 0.5])
    assert first_exit(LONG, D(1), D(1), ExitRules(), o, o * 2, o / 2) is None


percent = st.none() | st.decimals(min_value=D("0.001"), max_value=D("0.2"), places=3)


@st.composite
def windows(draw: st.DrawFn) -> tuple[list[float], list[float], list[float]]:
    n = draw(st.integers(1, 40))
    price = draw(st.integers(5_000, 20_000))
    opens, highs, lows = [], [], []
    for _ in range(n):
        op = price + draw(st.integers(-300, 300))
        up, down = draw(st.integers(0, 400)), draw(st.integers(0, 400))
        cl = op + draw(st.integers(-down, up))
        opens.append(op / 100)
        highs.append(max(op, cl) / 100 + up / 1000)
        lows.append(min(op, cl) / 100 - down / 1000)
        price = cl
    return opens, highs, lows


@settings(max_examples=300, deadline=None)
@given(
    side=st.sampled_from([LONG, SHORT]),
    sl=percent,
    tp=percent,
    ts=percent,
    data=windows(),
)
def test_the_fast_scan_finds_the_same_exit_as_the_candle_by_candle_definition(
    side: PositionSide,
    sl: Decimal | None,
    tp: Decimal | None,
    ts: Decimal | None,
    data: tuple[list[float], list[float], list[float]],
) -> None:
    rules = ExitRules(sl, tp, ts)
    opens, highs, lows = data
    entry = Decimal(repr(opens[0]))
    expected: ExitHit | None = None
    peak = entry
    for j, (o, h, lo) in enumerate(zip(opens, highs, lows, strict=True)):
        dh, dl = Decimal(repr(h)), Decimal(repr(lo))
        hit = exit_in_candle(side, entry, peak, rules, Decimal(repr(o)), dh, dl)
        if hit is not None:
            expected = ExitHit(j, hit[0], hit[1])
            break
        peak = updated_peak(side, peak, dh, dl)
    got = first_exit(side, entry, entry, rules, np.array(opens), np.array(highs), np.array(lows))
    assert got == expected

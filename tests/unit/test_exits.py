"""Protective exits behave as docs/strategy.md says: exact touches, both sides, long and short.

The properties compare the code with the page's rule restated in tests/exit_rule.py, never
with the code's own helpers (`first_exit` calls `exit_in_candle`; the two agreeing proved
nothing about either).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.exit_rule import exit_at, first_exit_by_hand, stop_loss_at, take_profit_at, trailing_at
from tradewind.domain.exits import (
    ExitHit,
    exit_in_candle,
    first_exit,
    peak_after,
    stop_loss_level,
    take_profit_level,
    trailing_level,
    updated_peak,
)
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


# --- every level touched exactly, both sides, long and short --------------------------------
#
# Entry 100. Stop-loss 2 %: a long's at 98, a short's at 102. Take-profit 3 %: a long's at
# 103, a short's at 97. Trailing 5 %: a long's at 114 after a peak of 120, a short's at 84
# after a trough of 80. Each level is reached exactly (it fills), or missed by 0.01 (no
# exit). Hand-computed from docs/strategy.md, "Protective exits" and "Fills".

SL, TP, TS = ExitReason.STOP_LOSS, ExitReason.TAKE_PROFIT, ExitReason.TRAILING_STOP
STOP_2 = ExitRules(stop_loss=D("0.02"))
TARGET_3 = ExitRules(take_profit=D("0.03"))
TRAIL_5 = ExitRules(trailing_stop=D("0.05"))
BOTH = ExitRules(stop_loss=D("0.02"), take_profit=D("0.03"))
TRAIL_AND_TARGET = ExitRules(take_profit=D("0.03"), trailing_stop=D("0.05"))

# name: (side, exit rules, peak, "open high low", "fill price and reason", or "" for none)
TOUCHES: dict[str, tuple[PositionSide, ExitRules, str, str, str]] = {
    "a long's stop-loss touched exactly": (LONG, STOP_2, "100", "99 100 98", "98 stop_loss"),
    "a long's stop-loss missed by a cent": (LONG, STOP_2, "100", "99 100 98.01", ""),
    "a short's stop-loss touched exactly": (SHORT, STOP_2, "100", "101 102 100", "102 stop_loss"),
    "a short's stop-loss missed by a cent": (SHORT, STOP_2, "100", "101 101.99 100", ""),
    "a long's target touched exactly": (LONG, TARGET_3, "100", "101 103 100", "103 take_profit"),
    "a long's target missed by a cent": (LONG, TARGET_3, "100", "101 102.99 100", ""),
    "a short's target touched exactly": (SHORT, TARGET_3, "100", "99 100 97", "97 take_profit"),
    "a short's target missed by a cent": (SHORT, TARGET_3, "100", "99 100 97.01", ""),
    "a long's trailing stop touched": (LONG, TRAIL_5, "120", "115 116 114", "114 trailing_stop"),
    "a long's trailing stop missed by a cent": (LONG, TRAIL_5, "120", "115 116 114.01", ""),
    "a short's trailing stop touched": (SHORT, TRAIL_5, "80", "83 84 82", "84 trailing_stop"),
    "a short's trailing stop missed by a cent": (SHORT, TRAIL_5, "80", "83 83.99 82", ""),
    # A candle that opens beyond a level fills at the open.
    "a long opening below its stop": (LONG, STOP_2, "100", "97 97.5 96", "97 stop_loss"),
    "a short opening above its stop": (SHORT, STOP_2, "100", "103 104 102.5", "103 stop_loss"),
    "a long opening above its target": (LONG, TARGET_3, "100", "104 105 103.5", "104 take_profit"),
    "a short opening below its target": (SHORT, TARGET_3, "100", "96 96.5 95", "96 take_profit"),
    # Opening exactly at the target fills there, before the stop reached later in the candle.
    "a long opening at its target": (LONG, BOTH, "100", "103 103 98", "103 take_profit"),
    "a short opening at its target": (SHORT, BOTH, "100", "97 102 97", "97 take_profit"),
    # Opening exactly at a stop that lies beyond the target (after a run) fills as the stop.
    "a long opening at a stop above its target": (
        LONG, TRAIL_AND_TARGET, "120", "114 115 113", "114 trailing_stop",
    ),
    "a short opening at a stop below its target": (
        SHORT, TRAIL_AND_TARGET, "80", "84 85 83", "84 trailing_stop",
    ),
    # Both inside one candle: the stop comes first.
    "a long candle through stop and target": (LONG, BOTH, "100", "100 103 98", "98 stop_loss"),
    "a short candle through stop and target": (SHORT, BOTH, "100", "100 102 97", "102 stop_loss"),
}  # fmt: skip


def _fill(expected: str) -> tuple[Decimal, ExitReason] | None:
    if not expected:
        return None
    price, reason = expected.split()
    return D(price), ExitReason(reason)


@pytest.mark.parametrize("case", list(TOUCHES))
def test_each_level_fills_when_touched_exactly_and_not_a_cent_short(case: str) -> None:
    side, rules, peak, candle, expected = TOUCHES[case]
    o, h, lo = map(D, candle.split())
    assert exit_in_candle(side, D(100), D(peak), rules, o, h, lo) == _fill(expected)


@pytest.mark.parametrize("case", list(TOUCHES))
def test_the_fast_scan_fills_each_exact_touch_too(case: str) -> None:
    side, rules, peak, candle, expected = TOUCHES[case]
    arrays = [np.array([float(v)]) for v in candle.split()]
    fill = _fill(expected)
    want = None if fill is None else ExitHit(0, *fill)
    assert first_exit(side, D(100), D(peak), rules, *arrays) == want


def test_the_levels_sit_where_the_strategy_page_puts_them() -> None:
    rules = ExitRules(D("0.02"), D("0.03"), D("0.05"))
    assert stop_loss_level(LONG, D(100), rules) == D(98)
    assert stop_loss_level(SHORT, D(100), rules) == D(102)
    assert take_profit_level(LONG, D(100), rules) == D(103)
    assert take_profit_level(SHORT, D(100), rules) == D(97)
    assert trailing_level(LONG, D(120), rules) == D(114)
    assert trailing_level(SHORT, D(80), rules) == D(84)
    for level in (stop_loss_level, take_profit_level, trailing_level):
        assert level(LONG, D(100), ExitRules()) is None
        assert level(SHORT, D(100), ExitRules()) is None


@pytest.mark.parametrize(
    ("side", "peak", "candle", "expected"),
    [
        # Stop-loss at 98 (long) or 102 (short); trailing 5 % of 105 or of 95 is at 99.75,
        # nearer the price: it fills.
        (LONG, "105", ("100", "101", "99"), ("99.75", TS)),
        (SHORT, "95", ("99.5", "100", "99"), ("99.75", TS)),
        # Trailing 5 % of 100 is at 95 (long) or 105 (short), farther: the stop-loss fills.
        (LONG, "100", ("100", "101", "97"), ("98", SL)),
        (SHORT, "100", ("100", "103", "99"), ("102", SL)),
    ],
)
def test_of_two_stops_the_nearer_one_fills(
    side: PositionSide, peak: str, candle: tuple[str, str, str], expected: tuple[str, ExitReason]
) -> None:
    rules = ExitRules(stop_loss=D("0.02"), trailing_stop=D("0.05"))
    o, h, lo = map(D, candle)
    assert exit_in_candle(side, D(100), D(peak), rules, o, h, lo) == (D(expected[0]), expected[1])


@pytest.mark.parametrize(
    ("side", "candle"), [(LONG, ("94", "95", "93")), (SHORT, ("106", "107", "105"))]
)
def test_two_stops_at_one_price_fill_as_the_stop_loss(
    side: PositionSide, candle: tuple[str, str, str]
) -> None:
    # Stop-loss 5 % of the entry and trailing 5 % of a peak equal to the entry: one level.
    rules = ExitRules(stop_loss=D("0.05"), trailing_stop=D("0.05"))
    o, h, lo = map(D, candle)
    assert exit_in_candle(side, D(100), D(100), rules, o, h, lo) == (D(o), SL)
    level = D(95) if side is LONG else D(105)
    inside = (D(100), D(101), D(95)) if side is LONG else (D(100), D(105), D(99))
    assert exit_in_candle(side, D(100), D(100), rules, *inside) == (level, SL)


def test_a_near_miss_of_the_fast_scan_is_passed_over_for_the_next_candle() -> None:
    # The float filter is wider than the rule by 1e-9: a low of 98.00000001 passes it but
    # is not a touch of 98; the next candle's low of 97.5 is, and fills at 98.
    rules = STOP_2
    opens, highs = np.array([99.0, 99.0, 99.0]), np.array([100.0, 100.0, 100.0])
    lows = np.array([98.00000001, 99.0, 97.5])
    assert first_exit(LONG, D(100), D(100), rules, opens, highs, lows) == ExitHit(2, D(98), SL)
    short = first_exit(SHORT, D(100), D(100), rules, opens, np.array([101.99999999, 100, 102.5]),
                       np.array([99.0, 99.0, 99.0]))  # fmt: skip
    assert short == ExitHit(2, D(102), SL)


def test_a_near_miss_right_before_the_touch_does_not_hide_it() -> None:
    # The candle after a near miss is looked at too: here it is the one that fills.
    opens, highs = np.array([99.0, 99.0]), np.array([100.0, 100.0])
    lows = np.array([98.00000001, 97.5])
    assert first_exit(LONG, D(100), D(100), STOP_2, opens, highs, lows) == ExitHit(1, D(98), SL)


def test_a_near_miss_in_the_last_candle_is_no_exit() -> None:
    candle = np.array([99.0]), np.array([100.0]), np.array([98.00000001])
    assert first_exit(LONG, D(100), D(100), STOP_2, *candle) is None


def test_the_best_price_after_candles_is_the_highest_high_of_a_long_and_lowest_low_of_a_short() -> (
    None
):
    high, low = np.array([101.0, 105.0, 103.0]), np.array([95.0, 97.0, 96.0])
    assert peak_after(LONG, D(100), high, low) == D(105)
    assert peak_after(LONG, D(110), high, low) == D(110)
    assert peak_after(SHORT, D(100), high, low) == D(95)
    assert peak_after(SHORT, D(90), high, low) == D(90)
    assert peak_after(SHORT, D(90), np.array([]), np.array([])) == D(90)
    assert updated_peak(LONG, D(100), D(104), D(96)) == D(104)
    assert updated_peak(SHORT, D(100), D(104), D(96)) == D(96)


# --- the rule at any numbers: the code against the page, restated in tests/exit_rule.py ----

percent = st.none() | st.decimals(min_value=D("0.001"), max_value=D("0.2"), places=3)
prices = st.decimals(min_value=D(50), max_value=D(150), places=2)


@given(
    side=st.sampled_from([LONG, SHORT]),
    entry=prices,
    peak=prices,
    sl=percent,
    tp=percent,
    ts=percent,
    a=prices,
    b=prices,
    c=prices,
)
def test_one_candle_exits_as_the_strategy_page_says(
    side: PositionSide,
    entry: Decimal,
    peak: Decimal,
    sl: Decimal | None,
    tp: Decimal | None,
    ts: Decimal | None,
    a: Decimal,
    b: Decimal,
    c: Decimal,
) -> None:
    low, open_, high = sorted((a, b, c))
    got = exit_in_candle(side, entry, peak, ExitRules(sl, tp, ts), open_, high, low)
    s = side.value
    expected = exit_at(
        s,
        stop_loss_at(s, entry, sl),
        take_profit_at(s, entry, tp),
        trailing_at(s, peak, ts),
        open_,
        high,
        low,
    )
    assert got == (None if expected is None else (expected[0], ExitReason(expected[1])))


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
def test_the_fast_scan_finds_the_first_exit_the_strategy_page_gives(
    side: PositionSide,
    sl: Decimal | None,
    tp: Decimal | None,
    ts: Decimal | None,
    data: tuple[list[float], list[float], list[float]],
) -> None:
    opens, highs, lows = data
    entry = D(repr(opens[0]))
    candles = [
        (D(repr(o)), D(repr(h)), D(repr(lo))) for o, h, lo in zip(opens, highs, lows, strict=True)
    ]
    by_hand = first_exit_by_hand(side.value, entry, (sl, tp, ts), candles)
    expected = None if by_hand is None else ExitHit(by_hand[0], by_hand[1], ExitReason(by_hand[2]))
    got = first_exit(
        side, entry, entry, ExitRules(sl, tp, ts), np.array(opens), np.array(highs), np.array(lows)
    )
    assert got == expected

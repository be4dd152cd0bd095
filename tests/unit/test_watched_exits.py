"""The bot's own watch over exits the exchange cannot rest follows the rule book, minute by
minute, checked against the rule written again from docs/strategy.md (tests/exit_rule.py)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tests.exit_rule import exit_at, stop_loss_at, trailing_at
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.params import ExitRules
from tradewind.domain.types import ExitReason, PositionSide
from tradewind.domain.watched_exits import Minute, Watch, look

D = Decimal
T0 = 1_704_067_200
TS = frozenset({OrderPurpose.TRAILING_STOP})
EXITS = ExitRules(stop_loss=D("0.01"), trailing_stop=D("0.02"))  # the trailing one watched

prices = st.integers(min_value=9_000, max_value=11_000).map(lambda n: D(n) / 100)
minutes = st.lists(st.tuples(prices, prices, prices), min_size=1, max_size=30)


def as_minutes(rows: list[tuple[Decimal, Decimal, Decimal]]) -> list[Minute]:
    """(open, high, low) of consecutive minutes from T0, whatever order they were drawn in."""
    out: list[Minute] = []
    for n, (a, b, c) in enumerate(rows):
        low, open_, high = sorted((a, b, c))
        out.append((T0 + 60 * n, open_, high, low))
    return out


@given(rows=minutes)
def test_a_watched_trailing_stop_is_reached_where_the_page_says_and_nowhere_else(
    rows: list[tuple[Decimal, Decimal, Decimal]],
) -> None:
    entry = D(100)
    watch = Watch.from_entry(TS, entry, T0 + 17)  # the entry minute counts
    series = as_minutes(rows)
    moved, reached = look(watch, PositionSide.LONG, entry, EXITS, series)
    # By the page: the trailing level alone (the stop-loss rests on the exchange), the peak
    # known at the end of the previous minute, the entry price within the entry minute.
    peak, expected_at = entry, None
    for index, (_, open_, high, low) in enumerate(series):
        if exit_at("long", None, None, trailing_at("long", peak, D("0.02")), open_, high, low):
            expected_at = index
            break
        peak = max(peak, high)
    if expected_at is None:
        assert reached is None
        assert (moved.peak, moved.until) == (peak, T0 + 60 * len(series))
    else:
        assert reached is ExitReason.TRAILING_STOP
        assert (moved.peak, moved.until) == (peak, T0 + 60 * expected_at)  # not moved past it


def test_minutes_looked_at_already_are_not_read_again_and_the_stop_loss_is_not_watched() -> None:
    entry = D(100)
    watch = Watch(TS, D(105), T0 + 120)
    assert watch.minutes_to_read(T0 + 300) == 3
    old = (T0 + 60, D(100), D(100), D(50))  # would break both stops, but was looked at
    quiet = (T0 + 120, D(104), D(105), D(103))  # above 102.9, 2 % under the 105 peak
    moved, reached = look(watch, PositionSide.LONG, entry, EXITS, [old, quiet])
    assert reached is None
    assert (moved.peak, moved.until) == (D(105), T0 + 180)
    # 98.9 breaks the resting stop-loss (99) and the trailing level (102.9): only the
    # trailing one is the bot's, and it is what the bot reports.
    _, reached = look(
        moved, PositionSide.LONG, entry, EXITS, [(T0 + 180, D(103), D(104), D("98.9"))]
    )
    assert reached is ExitReason.TRAILING_STOP
    stop_only = Watch(frozenset({OrderPurpose.STOP_LOSS}), D(105), T0 + 180)
    level = stop_loss_at("long", entry, D("0.01"))
    assert level == D(99)
    _, reached = look(
        stop_only, PositionSide.LONG, entry, EXITS, [(T0 + 180, D(103), D(104), D(100))]
    )
    assert reached is None  # 100 is above the stop-loss; the trailing level is not watched

"""The backtester's copy of the bot's watch over the stop a spot OCO cannot hold
(docs/strategy.md, "Exits the exchange cannot rest"), on scripted minutes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.market_script import minute_candles
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.params import ExitRules
from tradewind.domain.types import ExitReason, PositionType
from tradewind.domain.watched_exits import spot_watched
from tradewind.services.backtest.watched import first_exit_watching, watched_stop

D = Decimal
SL, TS = OrderPurpose.STOP_LOSS, OrderPurpose.TRAILING_STOP
# A 2 % stop-loss rests (at 98 from 100); a 5 % trailing stop is the bot's to watch.
WIDE = ExitRules(stop_loss=D("0.02"), take_profit=D("0.30"), trailing_stop=D("0.05"))
ENTRY = D(100)


def exit_of(rows: list[tuple[str, str, str, str]]) -> tuple[int, Decimal, ExitReason] | None:
    candles = minute_candles(rows)
    return first_exit_watching(ENTRY, WIDE, TS, candles, 0, len(rows) - 1)


def test_only_a_spot_trailing_stop_wider_than_the_stop_loss_is_watched() -> None:
    assert watched_stop(PositionType.SPOT, ENTRY, WIDE) is TS
    narrow = ExitRules(stop_loss=D("0.02"), trailing_stop=D("0.01"))
    assert watched_stop(PositionType.SPOT, ENTRY, narrow) is SL
    as_wide = ExitRules(stop_loss=D("0.02"), trailing_stop=D("0.02"))
    assert watched_stop(PositionType.SPOT, ENTRY, as_wide) is SL  # never below the stop
    assert watched_stop(PositionType.FUTURES, ENTRY, WIDE) is None  # futures rest all three
    assert watched_stop(PositionType.SPOT, ENTRY, ExitRules(trailing_stop=D("0.05"))) is None


@pytest.mark.parametrize(
    ("entry", "stop", "rate", "watched"),
    [("100", "98", "0.05", TS), ("100", "98", "0.02", SL), ("100", None, "0.05", None)],
)
def test_spot_watched_compares_the_trailing_level_at_entry_with_the_stop(
    entry: str, stop: str | None, rate: str, watched: OrderPurpose | None
) -> None:
    assert spot_watched(D(entry), None if stop is None else D(stop), D(rate)) is watched


def test_the_watched_stop_fills_at_the_open_of_the_next_minute_not_at_its_level() -> None:
    # Up to 120 (trailing level 114), then down to 113 in minute 2: filled at minute 3's open.
    rows = [
        ("100", "100", "100", "100"),
        ("100", "120", "100", "119"),
        ("119", "119", "113", "113.5"),
        ("112", "112", "111", "111"),
    ]
    assert exit_of(rows) == (3, D(112), ExitReason.TRAILING_STOP)


def test_a_resting_exit_reached_in_the_same_minute_fills_first_even_the_target() -> None:
    # Minute 2 reaches the take-profit (130) and the watched trailing level (118.75 after
    # a 125 peak): the target rests on the exchange and fills at its level.
    rows = [
        ("100", "100", "100", "100"),
        ("100", "125", "100", "124"),
        ("124", "130", "118", "120"),
        ("120", "120", "120", "120"),
    ]
    assert exit_of(rows) == (2, D(130), ExitReason.TAKE_PROFIT)


def test_a_resting_stop_loss_and_the_watched_stop_in_one_minute_the_resting_one_fills() -> None:
    # Minute 1: the peak is still 100, the trailing level 95; the stop at 98 fires there.
    rows = [("100", "100", "100", "100"), ("100", "100", "94", "95"), ("95", "95", "95", "95")]
    assert exit_of(rows) == (1, D(98), ExitReason.STOP_LOSS)


def test_reached_in_the_last_minute_the_position_stays_open() -> None:
    rows = [
        ("100", "100", "100", "100"),
        ("100", "120", "100", "119"),
        ("119", "119", "113", "113"),
    ]
    assert exit_of(rows) is None

"""Klines of every Binance interval from 1m candles: calendar buckets, seconds, early starts."""

from __future__ import annotations

import numpy as np

from tests.market_script import MINUTE, T0, minute_candles
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.exchange.simulated import CandlesPriceFeed
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server.klines import FUTURES_INTERVALS, INTERVALS, klines

SPOT = PositionType.SPOT
RULES = rules_for("BTCUSDT", SPOT)
DAY = 86_400


def hourly_feed(start: int, hours: int) -> CandlesPriceFeed:
    """The first two minutes of each hour (open 100 + hour, high +1, low -1, close +0.5)."""
    times = (start + np.arange(hours, dtype=np.int64)[:, None] * 3_600 + [0, 60]).ravel()
    opens = np.repeat(100.0 + np.arange(hours, dtype=np.float64), 2)
    candles = Candles(times, opens, opens + 1, opens - 1, opens + 0.5, np.ones(2 * hours))
    return CandlesPriceFeed({("BTCUSDT", SPOT): candles})


def open_days(rows: list[list[object]]) -> list[int]:
    return [(int(str(r[0])) // 1000 - T0) // DAY for r in rows]


def test_weeks_open_on_monday_and_months_on_the_first() -> None:
    # 2024-01-01 is a Monday; 70 days of hourly candles reach into March.
    feed = hourly_feed(T0, 70 * 24)
    now = T0 + 70 * DAY - 1
    weeks = klines(feed, RULES, INTERVALS["1w"], now, None, None, 500)
    assert open_days(weeks) == [7 * w for w in range(10)]
    assert weeks[0][6] == (T0 + 7 * DAY) * 1000 - 1
    months = klines(feed, RULES, INTERVALS["1M"], now, None, None, 500)
    assert open_days(months) == [0, 31, 31 + 29]  # January, February (2024 leaps), March
    assert months[1][6] == (T0 + 60 * DAY) * 1000 - 1  # the last ms of February
    assert months[0][8] == 31 * 24 * 2  # two candles an hour in January
    three_days = klines(feed, RULES, INTERVALS["3d"], now, None, None, 2)
    opens = [int(str(r[0])) // 1000 for r in three_days]
    assert all(t % (3 * DAY) == 0 for t in opens)
    assert opens[1] - opens[0] == 3 * DAY


def test_a_start_before_the_first_candle_answers_the_earliest_candles() -> None:
    feed = CandlesPriceFeed(
        {("BTCUSDT", SPOT): minute_candles([("1", "2", "0.5", "1.5")] * 5, start=T0)}
    )
    rows = klines(feed, RULES, INTERVALS["1m"], T0 + 5 * MINUTE, (T0 - 30 * DAY) * 1000, None, 3)
    assert [int(str(r[0])) // 1000 for r in rows] == [T0, T0 + MINUTE, T0 + 2 * MINUTE]


def test_one_second_klines_add_up_to_their_minute() -> None:
    feed = CandlesPriceFeed(
        {
            ("BTCUSDT", SPOT): minute_candles(
                [("100", "103", "98", "101"), ("101", "102", "100", "101")]
            )
        }
    )
    rows = klines(feed, RULES, INTERVALS["1s"], T0 + MINUTE + 10, T0 * 1000, None, 1000)
    assert len(rows) == 60 + 11  # a closed minute and the forming one up to now
    first_minute = rows[:60]
    assert first_minute[0][1] == "100.00000000"
    assert max(float(str(r[2])) for r in first_minute) == 103
    assert min(float(str(r[3])) for r in first_minute) == 98
    assert first_minute[-1][4] == "101.00000000"
    assert sum(float(str(r[5])) for r in first_minute) == 1
    assert {r[1] for r in rows[60:]} == {"101.00000000"}


def test_futures_have_no_one_second_klines() -> None:
    assert "1s" not in FUTURES_INTERVALS
    assert {"3d", "1w", "1M"} <= set(FUTURES_INTERVALS)

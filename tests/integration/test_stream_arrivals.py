"""A slot's groups start as their candles land: the real feeder on the project's Binance
server, the real Redis.

The venue's clock is the test's manual clock; moving it closes klines on the streams. The
planner's watch (`CandleArrivals`) must tell each series' arrival once its closed candle
is in the book, not before, and name the series still missing when its deadline comes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from tests.binance_wire import ServerEnv, running_server
from tests.integration.test_kline_feeder import BTC, SPOT, feeding, newest, walk
from tests.market_script import MINUTE, T0
from tests.waiting import SAFETY_S, wait_until
from tradewind.adapters.exchange.binance.kline_feeder import Series
from tradewind.adapters.marketdata.stream_arrivals import CandleArrivals, SeriesAt
from tradewind.adapters.marketdata.stream_book import StreamCandleBook
from tradewind.adapters.shared.redis_store import Names


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server(walk(40)) as running:
        yield running


class Watch:
    """`CandleArrivals.follow` in a thread, with a deadline the test sets."""

    def __init__(self, arrivals: CandleArrivals, wanted: dict[str, SeriesAt]) -> None:
        self.arrived: list[str] = []
        self.in_book_when_told: list[bool] = []
        self.missing: list[str] | None = None
        self.deadline = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(arrivals, wanted), daemon=True
        )  # fmt: skip
        self._thread.start()

    def _run(self, arrivals: CandleArrivals, wanted: dict[str, SeriesAt]) -> None:
        self.missing = arrivals.follow(wanted, self.arrived.append, self.deadline.is_set)

    def end(self) -> list[str]:
        self.deadline.set()
        self._thread.join(SAFETY_S)
        assert self.missing is not None
        return self.missing


def test_each_series_is_told_as_its_closed_candle_lands_and_a_missing_one_is_named(
    env: ServerEnv, redis_client: redis.Redis, names: Names
) -> None:
    book = StreamCandleBook(redis_client, names)
    arrivals = CandleArrivals(book, redis_client, poll_s=0.05)
    env.clock.at_minute(4, 30)
    with feeding(env, book, [Series(BTC, "1m"), Series(BTC, "5m")]):
        wait_until(lambda: newest(book) == T0 + 3 * MINUTE, "the backfill")
        slot = T0 + 5 * MINUTE  # closes minute 4 and the first 5m candle
        watch = Watch(
            arrivals,
            {
                "1m": SeriesAt(SPOT, BTC, "1m", slot),
                "5m": SeriesAt(SPOT, BTC, "5m", slot),
                "15m": SeriesAt(SPOT, BTC, "15m", slot),  # nobody feeds it
            },
        )
        # Nothing of the slot is in: nothing is told, however long the watch looks.
        wait_until(lambda: newest(book) == T0 + 3 * MINUTE, "the book as it was")
        assert watch.arrived == []

        env.clock.at_minute(5, 1)  # the minute (and the 5m candle) close on the streams
        wait_until(lambda: sorted(watch.arrived) == ["1m", "5m"], "both series told")
        assert newest(book) == T0 + 4 * MINUTE
        assert newest(book, "5m") == T0
        assert watch.end() == ["15m"]


def test_a_candle_in_the_book_before_the_watch_is_told_at_once_and_redis_away_names_all(
    env: ServerEnv, redis_client: redis.Redis, names: Names
) -> None:
    book = StreamCandleBook(redis_client, names)
    env.clock.at_minute(6)
    with feeding(env, book, [Series(BTC, "1m")]):
        wait_until(lambda: newest(book) == T0 + 5 * MINUTE, "the backfill")
    told: list[str] = []
    wanted = {"1m": SeriesAt(SPOT, BTC, "1m", T0 + 6 * MINUTE)}
    missing = CandleArrivals(book, redis_client).follow(wanted, told.append, lambda: True)
    assert (told, missing) == (["1m"], [])

    away = redis.Redis(port=1, socket_connect_timeout=1)  # nothing listens there
    missing = CandleArrivals(StreamCandleBook(away, names), away).follow(
        wanted, told.append, lambda: False
    )
    assert (told, missing) == (["1m"], ["1m"])

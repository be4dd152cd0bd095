"""The kline stream feeder on the project's Binance server and the real Redis.

The venue's clock is the test's manual clock: moving it closes klines on the streams. The
book must then hold exactly what Binance's REST klines say closed, with no hole after a
dropped connection or a feeder restart, and a slot answered from it costs no REST call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
import redis

from tests.binance_wire import ServerEnv, running_server
from tests.market_script import MINUTE, T0, minute_candles
from tests.waiting import SAFETY_S, wait_until
from tradewind.adapters.exchange.binance.kline_feeder import KlineFeeder, Series
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.marketdata.stream_book import StreamCandleBook, StreamMarketData
from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType, Symbol
from tradewind.testkit.binance_server import Fault, FaultMode

SPOT = PositionType.SPOT
# The feeder follows its streams through the shared websocket loop, which logs the drops.
STREAM_LOGGER = "tradewind.adapters.exchange.binance.websocket_loop"
BTC = Symbol("BTCUSDT")


def walk(minutes: int) -> Candles:
    rng = np.random.default_rng(3)
    closes = 40_000 + np.cumsum(rng.normal(0, 40, minutes)).round(2)
    opens = np.concatenate([[40_000.0], closes[:-1]])
    rows = [
        (f"{o:.2f}", f"{max(o, c) + 5:.2f}", f"{min(o, c) - 5:.2f}", f"{c:.2f}")
        for o, c in zip(opens, closes, strict=True)
    ]
    return minute_candles(rows)


@pytest.fixture
def env() -> Iterator[ServerEnv]:
    with running_server(walk(40)) as running:
        yield running


@contextmanager
def feeding(env: ServerEnv, book: StreamCandleBook, series: list[Series]) -> Iterator[KlineFeeder]:
    rest = BinanceExchanges(BinanceOptions(url=env.server.base_url, timeout=30)).market_data()
    feeder = KlineFeeder(
        env.server.stream_url, SPOT, series, rest, book, env.clock.now, backfill=1_000
    )
    stop = threading.Event()
    thread = threading.Thread(target=feeder.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield feeder
    finally:
        stop.set()
        thread.join(timeout=SAFETY_S)


def rest_candles(env: ServerEnv, timeframe: str, until: int, limit: int) -> Candles:
    rest = BinanceExchanges(BinanceOptions(url=env.server.base_url, timeout=30)).market_data()
    return rest.closed_candles(BTC, timeframe, SPOT, until, limit)


def same(one: Candles, two: Candles) -> bool:
    return len(one) == len(two) and all(
        np.array_equal(getattr(one, f), getattr(two, f))
        for f in ("open_time", "open", "high", "low", "close", "volume")
    )


def newest(book: StreamCandleBook, timeframe: str = "1m") -> int | None:
    return book.last_open_time(SPOT, BTC, timeframe)


def test_closed_klines_reach_the_book_and_a_drop_leaves_no_hole(
    env: ServerEnv, redis_client: redis.Redis, names: Names
) -> None:
    book = StreamCandleBook(redis_client, names)
    env.clock.at_minute(5)
    with feeding(env, book, [Series(BTC, "1m"), Series(BTC, "5m")]) as feeder:
        # The start fills from REST what closed already: minutes 0–4, and the 5m candle 0.
        wait_until(lambda: newest(book) == T0 + 4 * MINUTE, "the backfill")
        wait_until(lambda: newest(book, "5m") == T0, "the 5m backfill")
        # The stream has spoken (its forming klines) before the minute closes on it.
        wait_until(lambda: feeder.stats.messages >= 2, "the forming klines")
        env.clock.at_minute(6, 1)
        wait_until(lambda: newest(book) == T0 + 5 * MINUTE, "the stream's closed kline")
        wait_until(lambda: feeder.stats.candles >= 1, "the count of streamed candles")

        assert env.control("POST", "streams/drop").json() == {"dropped": True}
        env.clock.at_minute(12, 1)
        wait_until(lambda: newest(book) == T0 + 11 * MINUTE, "the minutes after the drop")
        wait_until(lambda: newest(book, "5m") == T0 + 5 * MINUTE, "the 5m after the drop")
        assert feeder.stats.connects >= 2

    until = T0 + 12 * MINUTE
    stored = book.read(SPOT, BTC, "1m", until - MINUTE, 100)
    assert same(stored, rest_candles(env, "1m", until, 100))  # every minute, none twice
    assert same(book.read(SPOT, BTC, "5m", T0 + 5 * MINUTE, 10), rest_candles(env, "5m", until, 10))


def test_a_restarted_feeder_fills_exactly_what_closed_while_it_was_away(
    env: ServerEnv, redis_client: redis.Redis, names: Names
) -> None:
    book = StreamCandleBook(redis_client, names)
    env.clock.at_minute(3)
    with feeding(env, book, [Series(BTC, "1m")]):
        wait_until(lambda: newest(book) == T0 + 2 * MINUTE, "the backfill")
    env.clock.at_minute(9)  # six minutes close with no feeder running
    with feeding(env, book, [Series(BTC, "1m")]) as again:
        wait_until(lambda: newest(book) == T0 + 8 * MINUTE, "the gap's fill")
        wait_until(lambda: again.stats.backfilled >= 6, "the fill's count")
        assert again.stats.backfilled == 6  # the six minutes it missed, nothing more
    until = T0 + 9 * MINUTE
    assert same(book.read(SPOT, BTC, "1m", until - MINUTE, 50), rest_candles(env, "1m", until, 50))


def test_a_slot_in_the_book_costs_no_rest_call_and_one_beyond_it_reads_rest(
    env: ServerEnv, redis_client: redis.Redis, names: Names
) -> None:
    book = StreamCandleBook(redis_client, names)
    env.clock.at_minute(20)
    with feeding(env, book, [Series(BTC, "1m")]):
        wait_until(lambda: newest(book) == T0 + 19 * MINUTE, "the backfill")
    rest = BinanceExchanges(BinanceOptions(url=env.server.base_url, timeout=30)).market_data()
    market = StreamMarketData(book, rest)

    until = T0 + 20 * MINUTE
    from_book = market.closed_candles(BTC, "1m", SPOT, until, 10)
    assert (market.book_reads, market.rest_reads, rest.fetches) == (1, 0, 0)
    assert same(from_book, rest_candles(env, "1m", until, 10))

    env.clock.at_minute(21)  # the book has not seen minute 20 close: read it from REST
    later = market.closed_candles(BTC, "1m", SPOT, until + MINUTE, 10)
    assert (market.rest_reads, int(later.open_time[-1])) == (1, T0 + 20 * MINUTE)
    assert newest(book) == T0 + 20 * MINUTE  # and shared in the book for the others

    # More than the market has: the book knows the series began at minute 0 (the feeder's
    # fill came short at the old end), so all 21 minutes are the whole answer, as on REST.
    whole = market.closed_candles(BTC, "1m", SPOT, until + MINUTE, 30)
    assert (market.book_reads, market.rest_reads) == (2, 1)
    assert same(whole, rest_candles(env, "1m", until + MINUTE, 30))


def test_rest_klines_away_at_a_fill_is_one_line_then_the_fill_when_they_are_back(
    env: ServerEnv, redis_client: redis.Redis, names: Names, caplog: pytest.LogCaptureFixture
) -> None:
    book = StreamCandleBook(redis_client, names)
    env.clock.at_minute(4)
    # More 503s than a fill's retries: the first fills fail, a later one gets through.
    env.server.add_fault(Fault(FaultMode.HTTP_503, count=12, paths=("GET /api/v3/klines",)))
    with (
        caplog.at_level(logging.WARNING, logger=STREAM_LOGGER),
        feeding(env, book, [Series(BTC, "1m")]) as feeder,
    ):
        wait_until(lambda: newest(book) == T0 + 3 * MINUTE, "the backfill once REST is back")
        assert feeder.stats.connects >= 2  # the follower lived through the outage
    said = [r.getMessage() for r in caplog.records if r.name == STREAM_LOGGER]
    assert len(said) == 1, said  # one line for the cause, not one per retry
    assert "kline stream" in said[0]
    assert "reconnecting" in said[0]
    assert all(r.exc_info is None for r in caplog.records)

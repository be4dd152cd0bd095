"""The stream book of one process (`tradewind run --exchange binance`): the same answers as
the Redis book, and a wait for a slot's candles that wakes as they land."""

from __future__ import annotations

import threading

import numpy as np

from tests.waiting import SAFETY_S
from tradewind.adapters.marketdata.memory_book import MemoryCandleArrivals, MemoryCandleBook
from tradewind.adapters.marketdata.stream_arrivals import SeriesAt
from tradewind.adapters.marketdata.stream_book import StreamMarketData
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType, Symbol

SPOT = PositionType.SPOT
T0 = 1_709_251_200  # a minute boundary


def minutes(first: int, count: int, price: float = 100.0) -> Candles:
    opens = np.arange(first, first + 60 * count, 60, dtype=np.int64)
    closes = price + np.arange(count, dtype=np.float64)
    return Candles(opens, closes, closes + 1, closes - 1, closes, np.ones(count))


def test_the_book_keeps_the_newest_candles_and_reads_up_to_an_open_time() -> None:
    book = MemoryCandleBook(keep=5)
    book.add(SPOT, "BTCUSDT", "1m", minutes(T0, 4))
    book.add(SPOT, "BTCUSDT", "1m", minutes(T0 + 180, 4, price=500.0))  # one stored again
    assert book.last_open_time(SPOT, "BTCUSDT", "1m") == T0 + 6 * 60
    every = book.read(SPOT, "BTCUSDT", "1m", T0 + 10_000, 100)
    assert list(every.open_time) == [T0 + 60 * i for i in range(2, 7)]  # the newest 5
    assert every.close[1] == 500.0  # the candle stored again replaced itself
    some = book.read(SPOT, "BTCUSDT", "1m", T0 + 5 * 60, 2)
    assert list(some.open_time) == [T0 + 4 * 60, T0 + 5 * 60]
    assert len(book.read(SPOT, "ETHUSDT", "1m", T0, 10)) == 0
    assert book.last_open_time(SPOT, "ETHUSDT", "1m") is None


class Rest:
    """REST klines that must not be asked."""

    def closed_candles(
        self, symbol: Symbol, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        raise AssertionError("REST asked for candles the book holds")


def test_market_data_over_the_memory_book_answers_from_it_alone() -> None:
    book = MemoryCandleBook()
    book.add(SPOT, "BTCUSDT", "1m", minutes(T0, 30))
    book.mark_first(SPOT, "BTCUSDT", "1m", T0)  # the listing: fewer than asked is whole
    market = StreamMarketData(book, Rest())
    candles = market.closed_candles(Symbol("BTCUSDT"), "1m", SPOT, T0 + 30 * 60, 1_000)
    assert len(candles) == 30
    assert market.book_reads == 1


def test_a_wait_wakes_as_a_candle_lands_and_names_the_one_that_never_came() -> None:
    book = MemoryCandleBook()
    arrivals = MemoryCandleArrivals(book, poll_s=SAFETY_S)  # only a landing wakes it early
    slot = T0 + 600
    wanted = {
        "btc": SeriesAt(SPOT, "BTCUSDT", "1m", slot),
        "eth": SeriesAt(SPOT, "ETHUSDT", "1m", slot),
    }
    book.add(SPOT, "ETHUSDT", "1m", minutes(T0, 9))  # up to the candle before: not enough
    came: list[str] = []
    landed = threading.Timer(0.05, lambda: book.add(SPOT, "BTCUSDT", "1m", minutes(slot - 60, 1)))
    landed.start()
    deadline = threading.Event()

    def arrived(key: str) -> None:
        came.append(key)
        deadline.set()  # once the first is in, the wait ends at its next look

    missing = arrivals.follow(wanted, arrived, deadline.is_set)
    landed.join()
    assert came == ["btc"]
    assert missing == ["eth"]

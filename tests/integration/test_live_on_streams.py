"""Live bots deciding on the kline streams: the real tick, the Binance adapter, the local
server's streams, the real Redis and PostgreSQL.

Each slot the venue's clock moves one minute, the server's streams close the minute, the
feeder writes it into the Redis book, and the bots tick. The book must answer every slot
(no klines call for any bot), with exactly the candles Binance's REST klines give, and the
bots' positions must be the server's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pytest
import redis
from sqlalchemy import Engine

from tests.integration.binance_fault_run import FaultRun, settled
from tests.waiting import SAFETY_S, wait_until
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.binance.kline_feeder import KlineFeeder, Series
from tradewind.adapters.marketdata.stream_book import StreamCandleBook, StreamMarketData
from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.types import PositionType, Symbol
from tradewind.services.scheduler import run_slot, slots_between

BTC = Symbol("BTCUSDT")
MARKETS = (PositionType.SPOT, PositionType.FUTURES)
MINUTES = 45


def in_book(book: StreamCandleBook, slot: int) -> bool:
    return all(book.last_open_time(kind, BTC, "1m") == slot - 60 for kind in MARKETS)


@contextmanager
def feeders(run: FaultRun, book: StreamCandleBook) -> Iterator[list[KlineFeeder]]:
    urls = {
        PositionType.SPOT: run.server.stream_url,
        PositionType.FUTURES: run.server.futures_stream_url,
    }
    started = [
        KlineFeeder(urls[m], m, [Series(BTC, "1m")], run.binance.market_data(), book, run.clock.now)
        for m in MARKETS
    ]
    stop = threading.Event()
    threads = [threading.Thread(target=f.run, args=(stop,), daemon=True) for f in started]
    for thread in threads:
        thread.start()
    try:
        yield started
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=SAFETY_S)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_live_bots_decide_on_stream_candles_with_no_klines_call(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    redis_client: redis.Redis,
    names: Names,
) -> None:
    run = FaultRun(engine, tick_uow, manage_uow, minutes=MINUTES)
    run.start(spot=3, futures=3)
    try:
        book = StreamCandleBook(redis_client, names)
        fallback = run.binance.market_data()  # REST, should the book fall short
        market = StreamMarketData(book, fallback)
        assert run.deps is not None
        deps = replace(run.deps, market_data=market)
        control = run.binance.market_data()  # what REST says, to compare with the book
        ids = [b.bot_id for b in run.bots]
        first = run.clock.now()
        compared = 0
        with feeders(run, book) as running:
            for slot in slots_between(first, first + MINUTES * 60):
                run.clock.set(slot)
                # The slot is planned once its candles are in.
                wait_until(lambda slot=slot: in_book(book, slot), f"the candles of {slot}")
                run_slot(deps, ids, slot)
                for kind in MARKETS:
                    streamed = market.closed_candles(BTC, "1m", kind, slot, 100)
                    rest = control.closed_candles(BTC, "1m", kind, slot, 100)
                    assert np.array_equal(streamed.open_time, rest.open_time), slot
                    assert np.array_equal(streamed.close, rest.close), slot
                    assert np.array_equal(streamed.high, rest.high), slot
                    assert np.array_equal(streamed.low, rest.low), slot
                    compared += 1
            closed_on_streams = sum(f.stats.candles for f in running)
        orders = run.orders()
        positions = {b.bot_id: (run.database_position(b), run.server_position(b)) for b in run.bots}
    finally:
        run.stop()

    assert compared == 2 * MINUTES
    # Every tick of every bot read the book: not one klines call on the bots' behalf.
    assert (market.rest_reads, fallback.fetches) == (0, 0)
    assert market.book_reads >= len(ids) * (MINUTES - 1)
    # The minutes reached the book from the streams (the fill at the start aside).
    assert closed_on_streams >= 2 * (MINUTES - 1)
    assert len(orders) > 10
    assert settled(orders)
    for bot_id, (mine, theirs) in positions.items():
        assert mine == theirs, bot_id

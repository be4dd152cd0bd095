"""A USD-M bot's resting exits (algo orders) read from the account's user data stream.

As test_binance_user_stream does for spot, on the same market: the futures bot buys, its
stop-loss and take-profit rest as algo orders, the take-profit fires. The stream's
`ALGO_UPDATE`s keep the exits current and the fired MARKET order's `ORDER_TRADE_UPDATE`
carries the fill: no algo order, order or trade is looked up by REST in the whole run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import redis
from sqlalchemy import Engine

from tests.integration.test_binance_user_stream import (
    JUMP,
    Run,
    following,
    in_position_with_resting_exits,
    market,
    open_run,
)
from tests.market_script import MINUTE, T0, minute_candles
from tests.waiting import wait_until
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.binance.order_updates import OrderUpdates
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.binance.user_stream import UserStream
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.types import PositionType
from tradewind.ports import AccountAccess
from tradewind.testkit.binance_server.server import BinanceServer


@pytest.fixture
def futures_run(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    redis_client: redis.Redis,
    names: Names,
) -> Iterator[Run]:
    with open_run(PositionType.FUTURES, engine, tick_uow, manage_uow, redis_client, names) as run:
        yield run


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_futures_exit_fired_is_booked_from_the_stream_with_no_look_up(
    futures_run: Run,
) -> None:
    run = futures_run
    with following(run.stream):
        assert in_position_with_resting_exits(run) == 0
        quiet = [run.slot(minute) for minute in range(14, JUMP)]
        assert quiet == [0] * len(quiet)
        assert run.slot(JUMP) == 0
        assert run.slot(JUMP + 1) == 0  # books the take-profit; cancels the stop-loss
        _, exit_ = run.trades()
        assert run.slot(JUMP + 2) == 0
    assert exit_.purpose is OrderPurpose.TAKE_PROFIT
    assert exit_.realized_pnl is not None
    assert exit_.realized_pnl > 0
    assert run.lookups() == 0
    requests = run.server.stats()["requests"]
    assert isinstance(requests, dict)
    assert requests["GET /fapi/v1/userTrades"] == 1  # the entry's fee, read as it was placed


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_without_the_stream_the_futures_exits_are_looked_up_and_the_fill_booked_once(
    futures_run: Run,
) -> None:
    run = futures_run
    with following(run.stream) as stop:
        in_position_with_resting_exits(run)
        stop.set()
        wait_until(lambda: run.stream.session is None, "the stream's end")
    looked_up = [run.slot(minute) for minute in range(14, JUMP + 2)]
    assert all(n >= 1 for n in looked_up)
    _, exit_ = run.trades()
    assert exit_.purpose is OrderPurpose.TAKE_PROFIT
    run.slot(JUMP + 3)
    assert len(run.trades()) == 2


def test_the_futures_listen_key_is_kept_alive(redis_client: redis.Redis, names: Names) -> None:
    clock = ReplayClock(T0 + MINUTE)
    candles = ReplayMarketData({"BTCUSDT": minute_candles(market())})
    server = BinanceServer(SimulatedVenue(candles, clock, seed=5), seed=5).start()
    try:
        server.add_account("key", "secret", futures={"USDT": Decimal(10_000)})
        binance = BinanceExchanges(BinanceOptions(url=server.base_url, timeout=5.0, seed=1))
        access = AccountAccess(1, ExchangeKind.BINANCE, "key", "secret")
        updates = OrderUpdates(redis_client, names, PositionType.FUTURES)
        stream = UserStream(
            binance.for_account(access).transport, 1, server.futures_stream_url, updates,
            keepalive_s=0.2,
        )  # fmt: skip
        with following(stream):
            wait_until(lambda: stream.stats.keepalives >= 2, "two keepalives")
            assert stream.stats.connects == 1
        requests = server.stats()["requests"]
        assert isinstance(requests, dict)
        assert requests["PUT /fapi/v1/listenKey"] >= 2
    finally:
        server.stop()

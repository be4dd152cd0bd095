"""Paper accounts kept in the real Redis: every process trades one and the same account."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import redis

from tests.market_script import ManualClock
from tests.waiting import SAFETY_S
from tradewind.adapters.exchange.simulated import CandlesPriceFeed, SimulatedVenue
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.adapters.shared.paper import SharedPaperVenues
from tradewind.adapters.shared.redis_store import Names, connect_redis
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.errors import TemporaryExchangeError
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderRequest, OrderStatus
from tradewind.domain.types import PositionType, Side
from tradewind.ports import AccountAccess

START = datetime(2024, 1, 1, tzinfo=UTC)
T0 = int(START.timestamp())
SPOT = PositionType.SPOT
ACCESS = AccountAccess(
    account_id=7, kind=ExchangeKind.PAPER, api_key="", api_secret="",
    paper_balances={SPOT: {"USDT": Decimal(10_000)}},
)  # fmt: skip


@pytest.fixture
def feed() -> CandlesPriceFeed:
    candles = generate_market(600, 60, seed=4, start_price=42_000, start_time=START)
    return CandlesPriceFeed.both_markets({"BTCUSDT": candles})


def buy(slot: int, n: int, quantity: str = "0.01") -> OrderRequest:
    return OrderRequest(
        client_order_id=ClientOrderId.for_slot(n, slot, OrderPurpose.ENTRY),
        symbol="BTCUSDT", position_type=SPOT, side=Side.BUY, quantity=Decimal(quantity),
    )  # fmt: skip


def test_an_order_placed_by_one_process_is_what_another_finds_and_sees_in_its_balance(
    redis_client: redis.Redis, names: Names, feed: CandlesPriceFeed
) -> None:
    clock = ManualClock(T0 + 60 * 60)
    here, there = (SharedPaperVenues(redis_client, names, feed, clock) for _ in range(2))
    placed = here.for_account(ACCESS).place_market_order(buy(clock.now(), 1))
    assert placed.status is OrderStatus.FILLED

    found = there.for_account(ACCESS).find_order("BTCUSDT", SPOT, placed.client_order_id)
    assert found == placed
    # A buy's fee is taken from the BTC it receives, as Binance takes it without BNB.
    assert placed.fee_asset == "BTC"
    assert there.for_account(ACCESS).free_balance("BTC", SPOT) == placed.executed_qty - placed.fee
    usdt = Decimal(10_000) - placed.quote_qty
    assert there.for_account(ACCESS).free_balance("USDT", SPOT) == usdt
    # And back: the first process sees the second's order on top of its own.
    clock.time += 60
    second = there.for_account(ACCESS).place_market_order(buy(clock.now(), 2))
    assert here.for_account(ACCESS).free_balance("BTC", SPOT) == (
        placed.executed_qty - placed.fee + second.executed_qty - second.fee
    )


def test_processes_racing_on_one_account_lose_no_order_and_no_cent(
    redis_client: redis.Redis, names: Names, feed: CandlesPriceFeed
) -> None:
    clock = ManualClock(T0 + 60 * 60)
    racers, orders_each = 4, 5
    start = threading.Barrier(racers)
    errors: list[BaseException] = []

    def race(n: int) -> None:
        venues = SharedPaperVenues(redis_client, names, feed, clock)  # a process of its own
        start.wait()
        try:
            for i in range(orders_each):
                venues.for_account(ACCESS).place_market_order(buy(clock.now(), n * 100 + i))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SAFETY_S)  # racers on a loaded machine: a bound, not a goal
    assert not any(t.is_alive() for t in threads), "a racer never finished"
    assert errors == []

    # One venue in one process, the same orders one after the other: the same account.
    alone = SimulatedVenue(feed, clock, seed=7).account(7, spot_balances={"USDT": Decimal(10_000)})
    for n in range(racers):
        for i in range(orders_each):
            alone.place_market_order(buy(clock.now(), n * 100 + i))
    shared = SharedPaperVenues(redis_client, names, feed, clock).for_account(ACCESS)
    for asset in ("USDT", "BTC"):
        assert shared.free_balance(asset, SPOT) == alone.free_balance(asset, SPOT)
    for n in range(racers):
        for i in range(orders_each):
            client_id = buy(clock.now(), n * 100 + i).client_order_id
            found = shared.find_order("BTCUSDT", SPOT, client_id)
            assert found is not None
            assert found.status is OrderStatus.FILLED


def test_with_redis_down_a_call_fails_as_a_temporary_exchange_error(
    names: Names, feed: CandlesPriceFeed
) -> None:
    down = connect_redis("redis://127.0.0.1:1/0")  # nothing listens there
    venues = SharedPaperVenues(down, names, feed, ManualClock(T0 + 3600))
    with pytest.raises(TemporaryExchangeError, match="paper exchange unavailable"):
        venues.for_account(ACCESS).free_balance("USDT", SPOT)

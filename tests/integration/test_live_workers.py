"""Live bots of several Binance accounts trading through real Celery workers.

Everything is a real process: `tradewind exchange serve` (its market replayed at SPEED
times real time), the kline feeder, a scheduler and two workers (celery_child.py adds only
the server's clock and the faults), on PostgreSQL, Redis and the broker. While the bots
trade, every task is delivered twice, a worker's pool process is SIGKILLed right after
the server took its first order, and every stream connection is dropped in the middle of
a slot. Then: no order twice at the server (by client id), every slot decided for every
bot on its own candle (no slot missed), and each bot's position is the server's.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, text

from tests.e2e.test_cli_feeder import Process, started
from tests.integration.binance_fault_run import fast_config, leftover, settled
from tests.integration.celery_cluster import (
    BROKERS,
    REDIS_BROKER_URL,
    Cluster,
    ClusterOf,
    wait_for,
)
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.decide import MARKET_DATA_BEHIND
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.records import OrderRecord
from tradewind.domain.types import PositionSide, PositionType
from tradewind.ports import NewAccount

pytestmark = [
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
    pytest.mark.slow,
]
SPEED = 5  # a minute of the server's market every 12 s
ACCOUNTS = 3  # each with a spot bot and a futures bot on BTCUSDT 1m
MIN_SLOTS = 6
AFTER_FAULTS = 3  # slots run after the kill and the drop, so both are settled
MAX_SLOTS = 30  # the run gives up when no bot ordered by then
D = Decimal
Position = tuple[PositionSide, Decimal] | None


@contextmanager
def exchange_server() -> Iterator[tuple[Process, dict[str, str]]]:
    """`tradewind exchange serve` at SPEED with every account; its URLs as settings."""
    accounts = [arg for n in range(ACCOUNTS) for arg in ("--account", f"key-{n}:secret-{n}")]
    serve = ["exchange", "serve", "--seed", "11", "--speed", str(SPEED), *accounts,
             "--balance", "USDT=10000", "--futures-balance", "USDT=10000"]  # fmt: skip
    with started(serve, dict(os.environ)) as server:
        url = server.wait_for("listening on").split()[-1]
        streams = server.wait_for("streams:").split()
        yield (
            server,
            {
                "TRADEWIND_BINANCE_URL": url,
                "TRADEWIND_BINANCE_STREAM_URL": streams[2],
                "TRADEWIND_BINANCE_FUTURES_STREAM_URL": streams[5],
            },
        )


def venue_clock(url: str) -> tuple[int, float]:
    """(venue seconds, wall seconds) at the moment the server's market begins a minute,
    read from its forming kline; the children extrapolate at SPEED."""

    def forming() -> int:
        params: dict[str, str | int] = {"symbol": "BTCUSDT", "interval": "1m", "limit": 1}
        answer = httpx.get(f"{url}/api/v3/klines", params=params, timeout=10)
        return int(answer.json()[-1][0]) // 1000

    first = forming()
    while True:
        before = time.time()
        opened = forming()
        if opened != first:
            return opened, (before + time.time()) / 2
        time.sleep(0.02)


def add_live_bots(manage_uow: Callable[[], SqlManageUnitOfWork], now: int) -> dict[int, str]:
    """Add one user per account, each with a spot and a futures bot; return bot -> key."""
    keys: dict[int, str] = {}
    with manage_uow() as uow:
        for n in range(ACCOUNTS):
            user = uow.users.add(f"live{n}@example.com", None, now)
            account = uow.accounts.add(
                NewAccount(
                    user_id=user.id, name=f"binance-{n}", kind=ExchangeKind.BINANCE,
                    api_key=SecretStr(f"key-{n}"), api_secret=SecretStr(f"secret-{n}"),
                    created_at=now,
                )
            )  # fmt: skip
            for kind in (PositionType.SPOT, PositionType.FUTURES):
                config = fast_config(f"{kind.value}-{n}", kind, protected=n == 0)
                bot = uow.bots.add(user.id, account.id, config, now)
                uow.bots.set_active(bot.id, True)
                keys[bot.id] = f"key-{n}"
        uow.commit()
    return keys


def claims_by_slot(engine: Engine) -> dict[int, int]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT slot, count(*) FROM tick_slots GROUP BY slot"))
        return {int(slot): int(count) for slot, count in rows}


def all_claimed(engine: Engine, slot: int, bots: int, first: int) -> bool:
    """Tell whether every bot claimed `slot` (one before the scheduler's first: no claims)."""
    return slot < first or claims_by_slot(engine).get(slot, 0) == bots


def ticks_ended(cluster: Cluster, slot: int, bots: int) -> bool:
    return decided_ticks(cluster.stats(slot)) >= bots


def past(now: Callable[[], int], moment: int) -> bool:
    return now() >= moment


def account_state(url: str, key: str) -> dict[str, object]:
    answer = httpx.get(f"{url}/_tradewind/accounts/{key}", timeout=10)
    answer.raise_for_status()
    state: dict[str, object] = answer.json()
    return state


def server_position(url: str, key: str, kind: PositionType) -> Position:
    """The bot's position as the server holds it (spot: the BTC its account holds)."""
    state = account_state(url, key)
    if kind is PositionType.SPOT:
        btc = state["spot"].get("BTC")  # type: ignore[attr-defined]
        held = D(0) if btc is None else D(btc["free"]) + D(btc["locked"])
        spot_orders = [o for o in state["orders"] if o["market"] == "spot"]  # type: ignore[attr-defined]
        held -= leftover(spot_orders)
        return None if held == 0 else (PositionSide.LONG, held)
    for position in state["positions"]:  # type: ignore[attr-defined]
        amount = D(position["positionAmt"])
        if amount:
            return (PositionSide.LONG if amount > 0 else PositionSide.SHORT, abs(amount))
    return None


def database_position(manage_uow: Callable[[], SqlManageUnitOfWork], bot_id: int) -> Position:
    with manage_uow() as uow:
        found = uow.bots.get(bot_id)
    assert found is not None
    position = found.state.position
    return None if position is None else (position.side, position.quantity)


def all_orders(manage_uow: Callable[[], SqlManageUnitOfWork]) -> list[OrderRecord]:
    with manage_uow() as uow:
        return list(uow.orders.recent(limit=1_000_000))


def decided_ticks(stats: dict[str, int]) -> int:
    """Ticks of a slot that ran to their end (not skipped as someone else's)."""
    skipped = ("outcome:busy", "outcome:slot_taken", "outcome:failed")
    return sum(v for k, v in stats.items() if k.startswith("outcome:") and k not in skipped)


@pytest.mark.parametrize("broker_url", BROKERS)
def test_live_bots_on_workers_order_once_miss_no_slot_and_hold_the_servers_positions(
    broker_url: str,
    cluster_of: ClusterOf,
    engine: Engine,
    manage_uow: Callable[[], SqlManageUnitOfWork],
    tmp_path: Path,
) -> None:
    with exchange_server() as (server, urls):
        url = urls["TRADEWIND_BINANCE_URL"]
        venue, wall = venue_clock(url)
        keys = add_live_bots(manage_uow, venue)
        cluster: Cluster = cluster_of(broker_url)
        cluster.env |= urls | {
            "TRADEWIND_WORKERS_TRADE_BINANCE": "1",
            "TRADEWIND_TICK_BATCH_SIZE": "2",
            # A whole minute of the market is 12 s here: wait for the streams 6 s of them.
            "TRADEWIND_STREAM_WAIT_S": "30",
            "TW_TEST_VENUE_CLOCK": f"{venue},{wall},{SPEED}",
        }

        def now() -> int:
            return int(venue + (time.time() - wall) * SPEED)

        feeder = cluster.start("feeder")
        cluster.start("worker", "--duplicate", "--kill-after-order")
        cluster.start("worker", "--duplicate")
        scheduler = cluster.start("scheduler", "--duplicate")
        killed_key = cluster.names.key("test", "killed")

        first = now() - now() % 60 + 60  # the first slot the scheduler sends
        dropped_at: int | None = None
        killed_at: int | None = None
        while True:
            slot = now() - now() % 60
            wait_for(partial(all_claimed, engine, slot, len(keys), first),
                     f"the claims of slot {slot}", timeout=120)  # fmt: skip
            if killed_at is None and cluster.redis.get(killed_key) is not None:
                killed_at = slot
            if dropped_at is None and killed_at is not None:
                # In the middle of the slot: the next minute's close comes by a new connection.
                wait_for(partial(past, now, slot + 30), "the middle of the slot", timeout=30)
                httpx.post(f"{url}/_tradewind/streams/drop", timeout=10).raise_for_status()
                dropped_at = slot
            done = dropped_at is not None and slot >= dropped_at + AFTER_FAULTS * 60
            if done and slot >= first + MIN_SLOTS * 60:
                break
            assert slot < first + MAX_SLOTS * 60, "no bot ordered: nothing was killed"
            wait_for(partial(past, now, slot + 60), "the next slot", timeout=60)

        os.killpg(scheduler.popen.pid, signal.SIGTERM)  # no slot after this one
        scheduler.popen.wait(timeout=120)
        last = max(claims_by_slot(engine))
        wait_for(lambda: claims_by_slot(engine)[last] == len(keys), "the last slot's claims",
                 timeout=120)  # fmt: skip
        wait_for(lambda: decided_ticks(cluster.stats(last)) >= len(keys),
                 "the last slot's ticks to end", timeout=120)  # fmt: skip
        wait_for(lambda: settled(all_orders(manage_uow)), "every order settled", timeout=120)
        feeder_log = feeder.text()

        # Every slot from the first to the last was decided by every bot, once.
        claims = claims_by_slot(engine)
        slots = range(first, last + 60, 60)
        assert {s: claims.get(s, 0) for s in slots} == dict.fromkeys(slots, len(keys))
        # Each slot's groups were sent: as their candles landed, or late from REST.
        figures = {s: cluster.stats(s) for s in slots}
        for s, found in figures.items():
            assert found.get("streamed_groups", 0) + found.get("late_groups", 0) >= 2, (s, found)
        on_time = sum(f.get("streamed_groups", 0) for f in figures.values())
        late = sum(f.get("late_groups", 0) for f in figures.values())
        assert on_time > late, figures

        # No order twice at the server, and every one the bots recorded is there, once.
        orders = all_orders(manage_uow)
        at_server: Counter[str] = Counter()
        for key in sorted(set(keys.values())):
            at_server.update(str(o["clientOrderId"]) for o in account_state(url, key)["orders"])  # type: ignore[attr-defined]
        assert all(n == 1 for n in at_server.values()), at_server.most_common(3)
        sent = [o for o in orders if o.exchange_order_id is not None]
        assert all(at_server[o.client_order_id] == 1 for o in sent)
        per_decision = Counter(
            (o.bot_id, o.slot, o.purpose)
            for o in orders
            if o.purpose in (OrderPurpose.ENTRY, OrderPurpose.CLOSE)
        )
        assert set(per_decision.values()) == {1}, per_decision
        assert len(sent) >= 4

        # The faults happened: the kill after an order, the drop (and the feeder came back).
        killed = cluster.redis.get(killed_key)
        assert killed is not None
        assert at_server[bytes(killed).decode()] == 1  # type: ignore[arg-type]
        assert "reconnecting" in feeder_log

        for bot_id, key in keys.items():
            kind = (
                PositionType.SPOT if "spot" in _name(manage_uow, bot_id) else PositionType.FUTURES
            )
            mine, theirs = database_position(manage_uow, bot_id), server_position(url, key, kind)
            assert mine == theirs, (
                bot_id,
                account_state(url, key)["orders"],
                _orders_of(orders, bot_id),
            )
        assert server.popen.poll() is None


def _orders_of(orders: list[OrderRecord], bot_id: int) -> list[tuple[object, ...]]:
    return [(o.client_order_id, o.side, o.purpose, o.status, o.filled_qty, o.fee, o.fee_asset)
            for o in orders if o.bot_id == bot_id]  # fmt: skip


def _name(manage_uow: Callable[[], SqlManageUnitOfWork], bot_id: int) -> str:
    with manage_uow() as uow:
        found = uow.bots.get(bot_id)
    assert found is not None
    return found.config.name


def test_with_no_feeder_each_slot_waits_its_bound_then_is_decided_from_rest(
    cluster_of: ClusterOf,
    engine: Engine,
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:
    with exchange_server() as (_, urls):
        url = urls["TRADEWIND_BINANCE_URL"]
        venue, wall = venue_clock(url)
        keys = add_live_bots(manage_uow, venue)
        cluster: Cluster = cluster_of(REDIS_BROKER_URL)
        cluster.env |= urls | {
            "TRADEWIND_WORKERS_TRADE_BINANCE": "1",
            "TRADEWIND_STREAM_WAIT_S": "10",
            "TW_TEST_VENUE_CLOCK": f"{venue},{wall},{SPEED}",
        }

        def now() -> int:
            return int(venue + (time.time() - wall) * SPEED)

        worker = cluster.start("worker")
        cluster.start("scheduler")
        first = now() - now() % 60 + 60
        slots = [first + 60 * k for k in range(3)]
        for slot in slots:
            wait_for(partial(all_claimed, engine, slot, len(keys), first),
                     f"the claims of slot {slot}", timeout=120)  # fmt: skip
            wait_for(partial(ticks_ended, cluster, slot, len(keys)),
                     f"the ticks of slot {slot}", timeout=120)  # fmt: skip
        klines = httpx.get(f"{url}/_tradewind/stats", timeout=10).json()["requests"]

    for slot in slots:
        figures = cluster.stats(slot)
        # No candle came by the streams: both groups were sent once the wait was over...
        assert (figures.get("streamed_groups", 0), figures["late_groups"]) == (0, 2), figures
        # ...and decided on the slot's candle, read from REST: no bot says the data is behind.
        assert figures["outcome:decided"] == len(keys), figures
    assert "not on the streams 10s after the minute" in worker.text()
    assert sum(int(v) for k, v in klines.items() if "klines" in k) >= 2 * len(slots)
    for bot_id in keys:
        with manage_uow() as uow:
            found = uow.bots.get(bot_id)
        assert found is not None
        assert (found.state.last_slot or 0) >= slots[-1]
        assert found.state.reason != MARKET_DATA_BEHIND

"""Real Celery workers and schedulers on the local broker, Redis and PostgreSQL.

Each (bot, slot) is decided at most once whatever the queue does: every task delivered
twice, two schedulers, a worker killed right after the exchange took its order (which
the next slot reconciles). The candles of a market are fetched once per slot, however
many bots trade it. The processes run the product's tasks (celery_child.py adds only the
test's clock and its faults); the test moves the clock and sends the slots.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from tests.integration.celery_cluster import (
    BROKERS,
    GROUPS,
    REDIS_BROKER_URL,
    SETTLE,
    ClusterOf,
    add_bots,
    claims,
    first_ticked_slot,
    orders_of,
    run_slot,
    trades_of,
    wait_for,
)
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.domain.bots import BotStatus
from tradewind.domain.orders import OrderPurpose, OrderStatus

pytestmark = [
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
    pytest.mark.slow,
]
COPIES = 4  # users, each with one bot of each kind: 12 bots in 3 market groups


@pytest.mark.parametrize("broker_url", BROKERS)
def test_with_every_task_delivered_twice_each_bot_is_decided_once_per_slot(
    broker_url: str,
    cluster_of: ClusterOf,
    engine: Engine,
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:
    bots = add_bots(manage_uow, COPIES, first_ticked_slot())
    cluster = cluster_of(broker_url)
    start = cluster.first_order_slot(bots, first_ticked_slot()) - 120
    cluster.set_time(start)
    cluster.start("worker", "--duplicate")
    slots = [start + 60 * k for k in range(1, 6)]  # the first orders come at the second
    for slot in slots:
        run_slot(cluster, engine, slot, len(bots), plans=2)
        # Two plans, each group sent twice by each, each batch twice by each group: every
        # batch is delivered 8 times. Wait for all of them before looking.
        wait_for(lambda s=slot: cluster.stats(s).get("ticks") == 8 * len(bots), "every copy")

    for slot in slots:
        stats = cluster.stats(slot)
        assert stats["outcome:decided"] == len(bots), stats
        assert stats.get("outcome:slot_taken", 0) + stats.get("outcome:busy", 0) == 7 * len(bots), (
            stats
        )
        # The candles of each market group were fetched once, for all its bots and copies.
        assert cluster.market_data_calls(slot) == GROUPS
    traded = 0
    for bot in bots:
        orders = orders_of(manage_uow, bot)
        per_slot = Counter(
            (o.slot, o.purpose)
            for o in orders
            if o.purpose in (OrderPurpose.ENTRY, OrderPurpose.CLOSE)
        )
        assert set(per_slot.values()) <= {1}, per_slot  # one decision, one order at most
        filled = [o for o in orders if o.status is OrderStatus.FILLED]
        trades = trades_of(manage_uow, bot)
        assert sorted(t.client_order_id for t in trades) == sorted(
            o.client_order_id for o in filled
        )
        traded += len(trades)
        with manage_uow() as uow:
            stored = uow.bots.get(bot.id)
        assert stored is not None
        assert stored.state.last_slot == slots[-1]
    assert traded > 0  # the run traded, so the duplicates had orders to double, and did not


def test_of_two_schedulers_one_sends_the_slots_and_the_other_takes_over_when_it_dies(
    cluster_of: ClusterOf,
    engine: Engine,
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:
    start = first_ticked_slot()
    bots = add_bots(manage_uow, 1, start)
    cluster = cluster_of(REDIS_BROKER_URL)
    cluster.set_time(start + 30)
    cluster.start("worker")
    schedulers = [cluster.start("scheduler") for _ in range(2)]
    wait_for(
        lambda: all("standing by" in s.text() or "leading" in s.text() for s in schedulers),
        "both schedulers to settle who leads",
    )
    (leader,) = [s for s in schedulers if "scheduler: leading" in s.text()]
    (standby,) = [s for s in schedulers if s is not leader]

    slots = [start + 60 * k for k in range(1, 4)]
    for slot in slots:
        cluster.set_time(slot + SETTLE)
        wait_for(lambda s=slot: claims(engine, s) == len(bots), f"claims of slot {slot}")
        wait_for(lambda s=slot: cluster.stats(s).get("batches") == GROUPS, f"batches of {slot}")
    assert leader.text().count("Sending due task plan-slot") == len(slots)
    assert "Sending due task" not in standby.text()

    os.killpg(leader.popen.pid, signal.SIGKILL)
    leader.popen.wait(timeout=120)  # SIGKILLed: only bounds a machine under load
    standby.wait_for_line("scheduler: leading")
    later = [slots[-1] + 60, slots[-1] + 120]
    for slot in later:
        cluster.set_time(slot + SETTLE)
        wait_for(lambda s=slot: claims(engine, s) == len(bots), f"claims of slot {slot}")
    for slot in [*slots, *later]:
        wait_for(lambda s=slot: cluster.stats(s).get("batches") == GROUPS, f"batches of {slot}")
        assert cluster.stats(slot)["outcome:decided"] == len(bots)
        assert cluster.stats(slot)["groups"] == GROUPS  # planned once


def test_a_worker_killed_right_after_the_exchange_took_its_order_is_reconciled_next_slot(
    cluster_of: ClusterOf,
    engine: Engine,
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:
    start = first_ticked_slot()
    bots = add_bots(manage_uow, 2, start)
    cluster = cluster_of(REDIS_BROKER_URL)
    buy = cluster.first_order_slot(bots, start)
    cluster.set_time(buy + SETTLE)
    worker = cluster.start("worker", "--kill-after-order")
    cluster.plan(buy)
    killed = cluster.redis
    wait_for(lambda: killed.get(cluster.names.key("test", "killed")) is not None, "the kill")
    client_id = bytes(killed.get(cluster.names.key("test", "killed"))).decode()
    wait_for(lambda: claims(engine, buy) == len(bots), "the slot's claims, redelivered batch")
    wait_for(lambda: "exited with 'signal 9 (SIGKILL)'" in worker.text(), "the pool process death")
    # The killed batch is delivered again, to another pool process: its claims stand, so
    # none of its bots is decided again (the killed bot's order waits for the next slot).
    wait_for(lambda: cluster.stats(buy).get("batches") == GROUPS, "the batch delivered again")
    assert cluster.stats(buy)["outcome:slot_taken"] == len(bots) // GROUPS
    (order,) = [o for b in bots for o in orders_of(manage_uow, b) if o.client_order_id == client_id]
    assert order.status is OrderStatus.SUBMITTING  # the intent, committed before sending
    owner = next(b for b in bots if b.id == order.bot_id)

    run_slot(cluster, engine, buy + 60, len(bots))
    wait_for(lambda: cluster.stats(buy + 60).get("ticks") == len(bots), "the next slot's ticks")
    (settled,) = [o for o in orders_of(manage_uow, owner) if o.client_order_id == client_id]
    assert settled.status is OrderStatus.FILLED  # the exchange had it: found by client id
    trades = trades_of(manage_uow, owner)
    (trade,) = [t for t in trades if t.client_order_id == client_id]  # recorded once
    assert trade.quantity == settled.filled_qty
    assert len({t.client_order_id for t in trades}) == len(trades)
    with manage_uow() as uow:
        stored = uow.bots.get(owner.id)
    assert stored is not None
    assert stored.state.status is not BotStatus.ERROR
    assert worker.alive()  # the worker replaced its pool process and went on

"""Ticks in many processes at once, and a tick killed mid-order, on PostgreSQL.

Each tick runs in a process of its own (tests/integration/tick_child.py) with its own
engine, bot lock and simulated venue, as workers on several machines would: the database
is all they share. SQLite is one process by design (its bot lock is process-local), so
these tests run on PostgreSQL only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.integration.db_builders import paper_account, spot_config
from tests.integration.tick_child import BOT_FIELDS, KEY_ENV, T0, World
from tradewind.adapters.db.engine import session_factory
from tradewind.adapters.db.secrets import SecretBox, generate_key
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.domain.bots import BotStatus
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.pnl import held_after_buy
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.ports import Bot
from tradewind.services.tick import TickOutcome, run_tick

pytestmark = [
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
    pytest.mark.slow,
]
CHILD = Path(__file__).with_name("tick_child.py")
PROCESSES = 8
DEADLINE_S = 60.0


@pytest.fixture
def key() -> bytes:
    return generate_key()


@pytest.fixture
def started_bot(engine: Engine, key: bytes) -> Bot:
    """Return an active spot bot on a paper account, committed."""
    box = SecretBox.from_keys([key], "the test key")
    with SqlManageUnitOfWork(session_factory(engine), box) as uow:
        user = uow.users.add("owner@example.com", "Owner", T0)
        account = uow.accounts.add(paper_account(user.id))
        bot = uow.bots.add(user.id, account.id, spot_config(**BOT_FIELDS), T0)
        uow.bots.set_active(bot.id, True)
        uow.commit()
    bot.active = True
    return bot


def child(key: bytes, *args: object) -> subprocess.Popen[str]:
    env = {**os.environ, KEY_ENV: key.decode()}
    return subprocess.Popen(
        [sys.executable, str(CHILD), *map(str, args)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    """Collect child processes; kill whatever is left of them at the end."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def read_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


def orders_of(engine: Engine, bot_id: int) -> list[OrderRecord]:
    with SqlManageUnitOfWork(session_factory(engine)) as uow:
        return uow.orders.recent(bot_id=bot_id, limit=1_000)


def trades_of(engine: Engine, bot_id: int) -> list[TradeRecord]:
    with SqlManageUnitOfWork(session_factory(engine)) as uow:
        return uow.trades.recent(bot_id=bot_id, limit=1_000)


def test_of_eight_processes_ticking_one_bot_at_one_slot_one_decides_and_none_waits(
    database_url: str,
    engine: Engine,
    key: bytes,
    started_bot: Bot,
    children: list[subprocess.Popen[str]],
) -> None:
    # The slot of the bot's first BUY: the tick that decides it sends an order.
    slot = World(engine, key, T0).first_buy_slot(started_bot)
    for _ in range(PROCESSES):
        children.append(child(key, "race", database_url, started_bot.id, slot))
    assert [read_line(p) for p in children] == ["ready"] * PROCESSES
    for process in children:  # all at once: each is waiting on its stdin
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    results = [json.loads(read_line(p)) for p in children]

    outcomes = Counter(r["outcome"] for r in results)
    durations = ", ".join(f"{r['outcome']} {1000 * r['seconds']:.1f} ms" for r in results)
    assert outcomes[TickOutcome.DECIDED.value] == 1, durations
    assert set(outcomes) <= {
        TickOutcome.DECIDED.value,
        TickOutcome.BUSY.value,
        TickOutcome.SLOT_TAKEN.value,
    }, durations
    with engine.connect() as connection:
        claims = connection.execute(
            text("SELECT slot FROM tick_slots WHERE bot_id = :bot"), {"bot": started_bot.id}
        ).scalars()
        assert list(claims) == [slot]
    # One decision's orders: one entry (and the protective orders placed after its fill).
    purposes = Counter(o.purpose for o in orders_of(engine, started_bot.id) if o.slot == slot)
    assert purposes[OrderPurpose.ENTRY] == 1, purposes
    assert set(purposes.values()) == {1}, purposes
    assert len(trades_of(engine, started_bot.id)) == 1


def advisory_locks_of(engine: Engine, bot_id: int) -> int:
    # A one-bigint advisory key shows as (classid, objid) = (high, low 32 bits), objsubid 1.
    # pg_locks lists every database of the server: other tests' databases have bot 1 too.
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND objsubid = 1 AND classid = 0 AND objid = :bot AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"bot": bot_id},
            ).scalar_one()
        )


def kill_while_sending(
    database_url: str,
    engine: Engine,
    key: bytes,
    bot: Bot,
    state: Path,
    children: list[subprocess.Popen[str]],
    mode: str,
) -> OrderRecord:
    """Run ticks in a child until one hangs sending its order; SIGKILL it; return the order."""
    process = child(key, mode, database_url, bot.id, state)
    children.append(process)
    line = read_line(process)
    assert line.startswith("blocked "), line
    client_id = line.split()[1]
    (order,) = [o for o in orders_of(engine, bot.id) if o.client_order_id == client_id]
    assert order.status is OrderStatus.SUBMITTING  # the intent was committed before sending
    assert advisory_locks_of(engine, bot.id) == 1  # the child holds the bot's lock
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    # The server drops a dead client's session, and its locks, as soon as it notices.
    deadline = time.monotonic() + DEADLINE_S
    while advisory_locks_of(engine, bot.id):
        assert time.monotonic() < deadline, "the killed tick's bot lock was never released"
        time.sleep(0.05)
    return order


@pytest.mark.parametrize(
    ("mode", "settled"),
    [("block-before", OrderStatus.REJECTED), ("block-after", OrderStatus.FILLED)],
    ids=["killed-before-the-venue-took-the-order", "killed-after-the-venue-took-the-order"],
)
def test_a_tick_killed_after_committing_its_intent_is_reconciled_by_the_next_tick(
    database_url: str,
    engine: Engine,
    key: bytes,
    started_bot: Bot,
    children: list[subprocess.Popen[str]],
    tmp_path: Path,
    mode: str,
    settled: OrderStatus,
) -> None:
    state = tmp_path / "venue.json"
    order = kill_while_sending(database_url, engine, key, started_bot, state, children, mode)

    # The next tick of the next slot runs (the lock died with the child) and settles the
    # order by its client id, on the same venue (its state file) the child was using.
    world = World(engine, key, order.slot + 60, state)
    assert run_tick(world.deps, started_bot.id, order.slot) is TickOutcome.SLOT_TAKEN
    assert run_tick(world.deps, started_bot.id, order.slot + 60) is TickOutcome.DECIDED
    (after,) = [o for o in orders_of(engine, started_bot.id) if o.id == order.id]
    assert after.status is settled
    trades = [
        t for t in trades_of(engine, started_bot.id) if t.client_order_id == order.client_order_id
    ]
    with SqlManageUnitOfWork(session_factory(engine)) as uow:
        (bot,) = uow.bots.find()
    assert bot.state.status is not BotStatus.ERROR
    if settled is OrderStatus.REJECTED:
        assert "never placed" in (after.reason or "")
        assert trades == []
        assert bot.state.position is None
    else:
        assert len(trades) == 1
        assert bot.state.position is not None
        assert trades[0].quantity == after.filled_qty
        # A spot buy holds what it bought less its fee, taken in BTC, floored to the step.
        held = (
            held_after_buy(after.filled_qty, after.fee, Decimal("0.00001"))
            if after.fee_asset == "BTC"
            else after.filled_qty
        )
        assert bot.state.position.quantity == held
    # And the bot goes on ticking.
    for slot in range(order.slot + 120, order.slot + 600, 60):
        world.clock.set(slot)
        assert run_tick(world.deps, started_bot.id, slot) is TickOutcome.DECIDED

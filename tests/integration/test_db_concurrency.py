"""Units of work, slot claims and bot locks under concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests.waiting import wait_until
from tradewind.adapters.db.engine import make_engine, session_factory
from tradewind.adapters.db.locks import AdvisoryBotLock, LocalBotLock, make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlUnitOfWork
from tradewind.domain.bots import BotState, BotStatus
from tradewind.ports import Bot

TickUow = Callable[[], SqlUnitOfWork]
SLOT = 1_700_000_040


def _status(tick_uow: TickUow, bot_id: int) -> BotStatus:
    with tick_uow() as uow:
        bot = uow.bots.get(bot_id)
    assert bot is not None
    return bot.state.status


# --- The unit of work --------------------------------------------------------------------


def test_changes_without_commit_are_rolled_back(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow:
        uow.bots.save_state(bot.id, BotState(status=BotStatus.WAITING))
        assert uow.slots.claim(bot.id, SLOT, SLOT)
    assert _status(tick_uow, bot.id) is BotStatus.IDLE
    with tick_uow() as uow:
        assert uow.slots.claim(bot.id, SLOT, SLOT)


def test_an_error_inside_the_block_rolls_everything_back(bot: Bot, tick_uow: TickUow) -> None:
    def tick_that_fails() -> None:
        with tick_uow() as uow:
            uow.bots.save_state(bot.id, BotState(status=BotStatus.WAITING))
            raise RuntimeError("the exchange call failed")

    with pytest.raises(RuntimeError):
        tick_that_fails()
    assert _status(tick_uow, bot.id) is BotStatus.IDLE


def test_committed_changes_stay_and_later_ones_roll_back(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow:
        uow.bots.save_state(bot.id, BotState(status=BotStatus.WAITING))
        uow.commit()
        uow.bots.save_state(bot.id, BotState(status=BotStatus.ERROR))
    assert _status(tick_uow, bot.id) is BotStatus.WAITING


# --- Slot claims -------------------------------------------------------------------------


def test_a_slot_is_claimed_once(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow:
        assert uow.slots.claim(bot.id, SLOT, SLOT + 1)
        assert not uow.slots.claim(bot.id, SLOT, SLOT + 2)
        assert uow.slots.claim(bot.id, SLOT + 60, SLOT + 61)
        uow.commit()
    with tick_uow() as uow:
        assert not uow.slots.claim(bot.id, SLOT, SLOT + 3)


def test_a_claim_rolled_back_leaves_the_slot_free(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow:
        assert uow.slots.claim(bot.id, SLOT, SLOT)
        uow.rollback()
    with tick_uow() as uow:
        assert uow.slots.claim(bot.id, SLOT, SLOT)


def test_of_many_threads_claiming_one_slot_exactly_one_wins(bot: Bot, tick_uow: TickUow) -> None:
    start = threading.Barrier(8)

    def claim() -> bool:
        start.wait()
        with tick_uow() as uow:
            won = uow.slots.claim(bot.id, SLOT, SLOT)
            uow.commit()
        return won

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: claim(), range(8)))
    assert outcomes.count(True) == 1


def test_old_claims_can_be_forgotten(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow:
        for slot in (60, 120, 180):
            uow.slots.claim(bot.id, slot, slot)
        assert uow.slots.forget_before(180) == 2
        assert not uow.slots.claim(bot.id, 180, 181)
        assert uow.slots.claim(bot.id, 60, 181)


# PostgreSQL behaviour: run these on the PostgreSQL database only.
on_postgres = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@on_postgres
def test_a_claim_does_not_wait_for_a_claim_in_flight_and_loses(
    bot: Bot, sessions: sessionmaker[Session], engine: Engine
) -> None:
    first, second = SqlUnitOfWork(sessions), SqlUnitOfWork(sessions)
    with first:
        assert first.slots.claim(bot.id, SLOT, SLOT)  # not committed yet
        with second:
            # A claim that waited would fail here instead of hanging the test.
            second.session.execute(text("SET LOCAL statement_timeout = '5s'"))
            assert not second.slots.claim(bot.id, SLOT, SLOT)
        first.commit()
    with SqlUnitOfWork(sessions) as third:
        assert not third.slots.claim(bot.id, SLOT, SLOT)


@on_postgres
def test_two_transactions_racing_for_a_slot_one_wins(
    bot: Bot, sessions: sessionmaker[Session]
) -> None:
    # The cosmicpython race: both open, both claim, both commit; exactly one claimed it.
    first, second = SqlUnitOfWork(sessions), SqlUnitOfWork(sessions)
    with first, second:
        second.session.execute(text("SET LOCAL statement_timeout = '5s'"))
        outcomes = [first.slots.claim(bot.id, SLOT, 1), second.slots.claim(bot.id, SLOT, 2)]
        first.commit()
        second.commit()
    assert sorted(outcomes) == [False, True]
    with sessions() as session:
        rows = session.execute(text("SELECT claimed_at FROM tick_slots")).scalars().all()
    assert rows == [1]


# --- Bot locks ---------------------------------------------------------------------------


@on_postgres
def test_an_advisory_lock_excludes_another_connection_until_released(
    database_url: str, engine: Engine
) -> None:
    other_engine = make_engine(database_url)
    mine, theirs = AdvisoryBotLock(engine), AdvisoryBotLock(other_engine)
    try:
        assert mine.try_acquire(7)
        assert not mine.try_acquire(7)  # not re-entrant within the process either
        assert not theirs.try_acquire(7)
        assert theirs.try_acquire(8)
        mine.release(7)
        assert theirs.try_acquire(7)
        theirs.release(7)
        theirs.release(8)
    finally:
        other_engine.dispose()


@on_postgres
def test_a_released_lock_leaves_no_lock_on_the_pooled_connection(engine: Engine) -> None:
    lock = AdvisoryBotLock(engine)
    for _ in range(3):
        assert lock.try_acquire(7)
        lock.release(7)
    with engine.connect() as connection:
        held = connection.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND objsubid = 1 AND classid = 0 AND objid = 7 AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        ).scalar()
    assert held == 0


@on_postgres
def test_a_batch_takes_the_free_locks_on_one_connection_and_gives_it_back_at_the_last_release(
    database_url: str, engine: Engine
) -> None:
    other_engine = make_engine(database_url)
    mine, theirs = AdvisoryBotLock(engine), AdvisoryBotLock(other_engine)
    try:
        assert theirs.try_acquire(8)
        assert mine.try_acquire_many([7, 8, 9, 7]) == [7, 9]
        assert mine.try_acquire_many([7, 10]) == [10]  # not re-entrant
        assert engine.pool.checkedout() == 2  # the batch's connection, and bot 10's
        mine.release(7)
        assert theirs.try_acquire_many([7, 9]) == [7]
        assert engine.pool.checkedout() == 2  # bot 9 still holds the batch's connection
        mine.release_many([9, 10])
        assert engine.pool.checkedout() == 0
        theirs.release_many([7, 8])
        assert _advisory_locks(engine) == 0
    finally:
        other_engine.dispose()


def _advisory_locks(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).scalar_one()
        )


_HOLDER = """
import sys, time
from tradewind.adapters.db.engine import make_engine
from tradewind.adapters.db.locks import AdvisoryBotLock
lock = AdvisoryBotLock(make_engine(sys.argv[1]))
print("locked" if lock.try_acquire(7) else "busy", flush=True)
time.sleep(600)
"""


@on_postgres
def test_a_killed_holder_frees_the_lock(database_url: str, engine: Engine) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        lock = AdvisoryBotLock(engine)
        assert not lock.try_acquire(7)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        # The server notices the closed socket at once, but asynchronously: poll, bounded.
        wait_until(lambda: lock.try_acquire(7), "the dead holder's lock freed")
        lock.release(7)
    finally:
        holder.kill()
        holder.wait()


def test_a_local_lock_excludes_other_instances_of_its_scope() -> None:
    first, second = LocalBotLock("db-a"), LocalBotLock("db-a")
    elsewhere = LocalBotLock("db-b")
    assert first.try_acquire(1)
    assert not second.try_acquire(1)
    assert elsewhere.try_acquire(1)
    first.release(1)
    assert second.try_acquire(1)
    second.release(1)
    elsewhere.release(1)


def test_a_local_lock_lets_exactly_one_of_many_threads_in() -> None:
    lock, start = LocalBotLock("race"), threading.Barrier(8)

    def take() -> bool:
        start.wait()
        return lock.try_acquire(3)

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(lambda _: take(), range(8))).count(True) == 1
    lock.release(3)


def test_the_lock_fits_the_database(engine: Engine) -> None:
    expected = AdvisoryBotLock if engine.dialect.name == "postgresql" else LocalBotLock
    assert isinstance(make_bot_lock(engine), expected)


def test_units_of_work_in_many_threads_do_not_trip_over_each_other(
    bot: Bot, database_url: str
) -> None:
    # Read-then-write transactions from many threads. SQLite serializes them on its write
    # lock (BEGIN IMMEDIATE) instead of failing one with "database is locked".
    engine = make_engine(database_url)
    sessions = session_factory(engine)

    def tick(slot: int) -> None:
        with SqlUnitOfWork(sessions) as uow:
            current = uow.bots.get(bot.id)
            assert current is not None
            uow.slots.claim(bot.id, slot, slot)
            uow.bots.save_state(bot.id, BotState(status=BotStatus.WAITING, last_slot=slot))
            uow.commit()

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(tick, range(0, 60 * 40, 60)))
        with SqlUnitOfWork(sessions) as uow:
            assert uow.slots.forget_before(10**9) == 40
    finally:
        engine.dispose()

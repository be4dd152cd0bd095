"""The tick's fast reads and writes give what the plain repository calls give, on both
databases; the bot lock lends its connection to the tick; dead connections are replaced."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from tests.integration.test_db_repositories import an_order
from tradewind.adapters.db.engine import make_engine, session_factory
from tradewind.adapters.db.locks import AdvisoryBotLock, lent_connections
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.domain.bots import BotState, BotStatus
from tradewind.domain.limits import DayTally
from tradewind.domain.orders import OrderStatus
from tradewind.ports import Bot

TickUow = Callable[[], SqlUnitOfWork]
ManageUow = Callable[[], SqlManageUnitOfWork]
DAY = date(2023, 11, 14)
SLOT = 1_700_000_040
on_postgres = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_the_tick_load_is_what_the_separate_reads_return(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow:
        uow.orders.add(an_order(bot, "tw1-60-e0", status=OrderStatus.FILLED))
        uow.orders.add(an_order(bot, "tw1-120-e0", status=OrderStatus.UNKNOWN))
        uow.orders.add(an_order(bot, "tw1-120-s0", status=OrderStatus.NEW))
        uow.counters.save(bot.id, DayTally(DAY, 2, Decimal("-1.5")))
        uow.bots.save_state(bot.id, BotState(status=BotStatus.WAITING, reason="why"))
        uow.commit()
    with tick_uow() as uow:
        load = uow.bots.load_for_tick(bot.id, DAY)
        assert load is not None
        assert load.bot == uow.bots.get(bot.id)
        assert load.access == uow.accounts.access(bot.account_id)
        assert load.open_orders == uow.orders.unresolved(bot.id)
        assert [o.client_order_id for o in load.open_orders] == ["tw1-120-e0", "tw1-120-s0"]
        assert load.today == uow.counters.get(bot.id, DAY) == DayTally(DAY, 2, Decimal("-1.5"))
        other_day = uow.bots.load_for_tick(bot.id, date(2023, 11, 15))
        assert other_day is not None
        assert other_day.today == DayTally(date(2023, 11, 15))


def test_a_bot_without_open_orders_loads_none_and_a_deleted_bot_loads_nothing(
    bot: Bot, tick_uow: TickUow, manage_uow: ManageUow
) -> None:
    with tick_uow() as uow:
        load = uow.bots.load_for_tick(bot.id, DAY)
    assert load is not None
    assert load.open_orders == []
    with manage_uow() as uow:
        uow.bots.delete(bot.id, 5)
        uow.commit()
    with tick_uow() as uow:
        assert uow.bots.load_for_tick(bot.id, DAY) is None
        assert uow.bots.claim_and_load(bot.id, SLOT, SLOT + 1, DAY) == (True, None)


def test_a_slot_is_claimed_and_loaded_once_and_the_claim_is_the_last_run(
    bot: Bot, tick_uow: TickUow
) -> None:
    with tick_uow() as uow:
        claimed, load = uow.bots.claim_and_load(bot.id, SLOT, SLOT + 1, DAY)
        uow.commit()
    assert claimed
    assert load is not None
    assert (load.bot.state.last_run_at, load.bot.state.last_slot) == (SLOT + 1, SLOT)
    with tick_uow() as uow:
        assert uow.bots.claim_and_load(bot.id, SLOT, SLOT + 2, DAY) == (False, None)
        assert not uow.slots.claim(bot.id, SLOT, SLOT + 2)
        stored = uow.bots.get(bot.id)
        assert stored is not None
        assert stored.state == load.bot.state


def test_a_stopped_bot_s_claim_records_no_run(
    bot: Bot, tick_uow: TickUow, manage_uow: ManageUow
) -> None:
    with manage_uow() as uow:
        uow.bots.set_active(bot.id, False)
        uow.commit()
    with tick_uow() as uow:
        claimed, load = uow.bots.claim_and_load(bot.id, SLOT, SLOT + 1, DAY)
        uow.commit()
    assert claimed
    assert load is not None
    assert not load.bot.active
    assert load.bot.state.last_run_at is None
    with tick_uow() as uow:
        stored = uow.bots.get(bot.id)
    assert stored is not None
    assert stored.state.last_run_at is None


def test_counters_add_up_exactly_from_nothing(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow:
        uow.counters.add(bot.id, DAY, entries=1)
        uow.counters.add(bot.id, DAY, realized_pnl=Decimal("-0.1"))
        uow.counters.add(bot.id, DAY, entries=1, realized_pnl=Decimal("0.3"))
        uow.counters.add(bot.id, date(2023, 11, 15), realized_pnl=Decimal("7"))
        uow.commit()
    with tick_uow() as uow:
        assert uow.counters.get(bot.id, DAY) == DayTally(DAY, 2, Decimal("0.2"))
        assert uow.counters.get(bot.id, date(2023, 11, 15)).realized_pnl == Decimal(7)


@on_postgres
def test_a_claim_and_load_on_postgresql_is_final_at_once_and_never_waits(
    bot: Bot, tick_uow: TickUow
) -> None:
    with tick_uow() as uow:
        assert uow.bots.claim_and_load(bot.id, SLOT, SLOT, DAY)[0]
        uow.rollback()  # too late: the claim was a transaction of its own
    with tick_uow() as uow:
        assert not uow.slots.claim(bot.id, SLOT, SLOT)
    with tick_uow() as first:
        assert first.slots.claim(bot.id, SLOT + 60, SLOT)  # not committed yet
        with tick_uow() as second:
            # A claim that waited would fail here instead of hanging the test.
            second.session.execute(text("SET statement_timeout = '5s'"))
            assert second.bots.claim_and_load(bot.id, SLOT + 60, SLOT, DAY) == (False, None)
            second.session.execute(text("SET statement_timeout = 0"))


@on_postgres
def test_inside_a_transaction_a_claim_and_load_joins_it(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow:
        uow.bots.save_state(bot.id, BotState(status=BotStatus.WAITING))
        assert uow.bots.claim_and_load(bot.id, SLOT, SLOT, DAY)[0]
        uow.rollback()
    with tick_uow() as uow:
        assert uow.slots.claim(bot.id, SLOT, SLOT)


def _backend_pid(uow: SqlUnitOfWork) -> int:
    return int(uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one())


@on_postgres
def test_a_tick_s_units_of_work_run_on_its_bot_lock_s_connection(
    bot: Bot, engine: Engine, secrets: SecretBox
) -> None:
    lock = AdvisoryBotLock(engine)
    sessions = session_factory(engine)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, secrets, lent_connections(lock))

    assert lock.try_acquire(bot.id)
    try:
        lent = lock.lent()
        assert lent is not None
        lock_pid = lent.connection.driver_connection.info.backend_pid
        with uow() as first:
            assert _backend_pid(first) == lock_pid
            with uow() as nested:  # the lent connection is busy: a pooled one instead
                assert _backend_pid(nested) != lock_pid
        elsewhere: list[int] = []
        thread = threading.Thread(target=lambda: elsewhere.append(_pid_of(uow)))
        thread.start()
        thread.join()
        assert elsewhere != [lock_pid]  # another thread's work is not this tick's
    finally:
        lock.release(bot.id)
    assert lock.lent() is None


def _pid_of(uow: Callable[[], SqlUnitOfWork]) -> int:
    with uow() as work:
        return _backend_pid(work)


def _kill_backends_but_mine(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )


@on_postgres
def test_a_lock_taken_on_a_connection_the_server_dropped_is_taken_on_a_new_one(
    database_url: str,
) -> None:
    engine, killer = make_engine(database_url), make_engine(database_url)
    try:
        lock = AdvisoryBotLock(engine)
        assert lock.try_acquire(7)
        lock.release(7)  # its connection goes back to the pool, used a moment ago
        _kill_backends_but_mine(killer)
        assert lock.try_acquire(7)
        lock.release(7)
        with SqlUnitOfWork(session_factory(engine)) as uow:  # pinged first, as ever
            assert _backend_pid(uow) > 0
    finally:
        engine.dispose()
        killer.dispose()

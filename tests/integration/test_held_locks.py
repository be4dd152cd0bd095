"""Advisory locks held on a connection of their own (`held_locks`), through the two
holders built on them besides the paper runner (tested in test_runner_lock): the leader
lock and the user streams' owners. On real PostgreSQL, with a proxy the test can cut to
take the locks' connection away."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.integration.tcp_proxy import TcpProxy
from tests.waiting import wait_until
from tradewind.adapters.db import leader, stream_owners
from tradewind.adapters.db.leader import LeaderLock
from tradewind.adapters.db.stream_owners import StreamOwnership


@pytest.fixture(autouse=True)
def look_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look at the locks' connection on every call, not once every few seconds."""
    monkeypatch.setattr(leader, "CHECK_EVERY_S", 0.0)
    monkeypatch.setattr(stream_owners, "CHECK_EVERY_S", 0.0)


def test_one_process_leads_and_another_takes_over_when_it_gives_up(pg_engine: Engine) -> None:
    first, second = LeaderLock(pg_engine, key=91), LeaderLock(pg_engine, key=91)
    other_key = LeaderLock(pg_engine, key=92)
    try:
        assert first.leads()
        assert first.leads()
        assert not second.leads()
        assert other_key.leads()  # another key is another lead
        first.release()
        assert second.leads()
        assert not first.leads()
    finally:
        for lock in (first, second, other_key):
            lock.release()


def test_a_leader_whose_connection_dropped_leads_no_more_and_another_takes_over(
    proxied_engine: tuple[Engine, TcpProxy], pg_engine: Engine
) -> None:
    engine, proxy = proxied_engine
    cut_off, standby = LeaderLock(engine, key=93), LeaderLock(pg_engine, key=93)
    try:
        assert cut_off.leads()
        proxy.cut()
        assert not cut_off.leads()  # it knows at its next look, and cannot take it again
        wait_until(standby.leads, "the standby leading once the server dropped the session")
        proxy.restore()
        assert not cut_off.leads()
    finally:
        cut_off.release()
        standby.release()


def test_each_stream_has_one_owner_and_a_stream_given_up_is_taken_by_the_other(
    pg_engine: Engine,
) -> None:
    mine, theirs = StreamOwnership(pg_engine), StreamOwnership(pg_engine)
    try:
        assert mine.take(2)
        assert mine.take(3)
        assert not theirs.take(2)
        assert theirs.take(5)
        mine.give(2)
        assert mine.owned == {3}
        assert theirs.take(2)
        assert theirs.owned == {2, 5}
        assert mine.alive()
        assert theirs.alive()
    finally:
        mine.release()
        theirs.release()
    assert mine.owned == set()


def test_streams_owned_on_a_dropped_connection_are_all_lost_and_taken_by_the_standby(
    proxied_engine: tuple[Engine, TcpProxy], pg_engine: Engine
) -> None:
    engine, proxy = proxied_engine
    mine, standby = StreamOwnership(engine), StreamOwnership(pg_engine)
    try:
        assert mine.take(2)
        assert mine.take(3)
        proxy.cut()
        assert not mine.alive()  # every lock went with the connection
        assert mine.owned == set()
        wait_until(lambda: standby.take(2) and standby.take(3), "the standby owning both")
        proxy.restore()
        assert not mine.take(2)
        assert not mine.take(3)
        assert mine.alive()  # owning nothing, it has nothing to lose
    finally:
        mine.release()
        standby.release()


def test_a_take_that_fails_with_the_database_away_makes_the_owner_let_go_of_the_rest(
    proxied_engine: tuple[Engine, TcpProxy], pg_engine: Engine
) -> None:
    """The failed call closes the locks' connection, with every lock on it: the owner
    must not go on following the streams it held, nor take new ones, before `alive`
    has told it so."""
    engine, proxy = proxied_engine
    mine, standby = StreamOwnership(engine), StreamOwnership(pg_engine)
    try:
        assert mine.take(2)
        proxy.cut()
        assert not mine.take(3)
        proxy.restore()
        assert not mine.take(4)  # nothing new until the loss is told
        assert not mine.alive()
        assert mine.owned == set()
        wait_until(lambda: standby.take(2), "the standby owning the lost stream")
        assert mine.take(4)
    finally:
        mine.release()
        standby.release()

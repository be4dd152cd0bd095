"""The database or the broker going away under running workers: ticks wait, then resume.

The database is taken away for real: the test's database stops accepting connections
and its sessions are ended, then it is let back. The broker is reached through a TCP
forwarder the test cuts and restores. Either way no (bot, slot) is decided twice, and
the slot that waited is decided once the part is back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine

from tests.integration.celery_cluster import (
    BROKERS,
    ClusterOf,
    add_bots,
    claims,
    first_ticked_slot,
    run_slot,
    wait_for,
)
from tests.integration.conftest import POSTGRES_ADMIN
from tests.integration.tcp_proxy import TcpProxy
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork

pytestmark = [
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
    pytest.mark.slow,
]
AWAY_S = 3.0


@contextmanager
def database_away(engine: Engine) -> Iterator[None]:
    """Refuse new connections to the test's database and end its sessions; then let back."""
    name = sql.Identifier(str(engine.url.database))
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(name))
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (engine.url.database,),
            )
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(name))


def test_ticks_wait_for_a_database_that_went_away_and_decide_once_it_is_back(
    cluster_of: ClusterOf,
    engine: Engine,
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:
    start = first_ticked_slot()
    bots = add_bots(manage_uow, 2, start)
    cluster = cluster_of("redis://127.0.0.1:6379/0")
    cluster.set_time(start + 62)
    worker = cluster.start("worker")
    run_slot(cluster, engine, start + 60, len(bots))

    slot = start + 120
    with database_away(engine):
        cluster.set_time(slot + 2)
        cluster.plan(slot)
        worker.wait_for_line("waits for the database")
        time.sleep(AWAY_S)
    engine.dispose()  # the test's own connections were ended too
    wait_for(lambda: claims(engine, slot) == len(bots), "the slot decided once it is back")
    wait_for(lambda: cluster.stats(slot).get("ticks") == len(bots), "every batch")
    assert cluster.stats(slot)["outcome:decided"] == len(bots)  # once each, no more
    run_slot(cluster, engine, slot + 60, len(bots))
    assert worker.alive()


@pytest.mark.parametrize("broker_url", BROKERS)
def test_a_broker_that_drops_is_waited_for_and_the_slot_sent_meanwhile_decided_once(
    broker_url: str,
    cluster_of: ClusterOf,
    engine: Engine,
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:
    start = first_ticked_slot()
    bots = add_bots(manage_uow, 2, start)
    scheme, _, rest = broker_url.partition("://")
    credentials, _, where = rest.rpartition("@")
    host_port, _, path = where.partition("/")
    proxy = TcpProxy(int(host_port.rsplit(":", 1)[1]))
    at = f"{credentials}@" if credentials else ""
    through_proxy = f"{scheme}://{at}127.0.0.1:{proxy.port}/{path}"
    try:
        # The worker reaches the broker through the forwarder; the test, directly.
        cluster = cluster_of(through_proxy, sender_broker_url=broker_url)
        cluster.set_time(start + 62)
        worker = cluster.start("worker")
        run_slot(cluster, engine, start + 60, len(bots))

        proxy.cut()
        slot = start + 120
        cluster.set_time(slot + 2)
        cluster.plan(slot)  # it waits in the broker
        time.sleep(AWAY_S)
        assert claims(engine, slot) == 0
        assert worker.alive()
        proxy.restore()
        wait_for(lambda: claims(engine, slot) == len(bots), "the slot decided after the drop")
        wait_for(lambda: cluster.stats(slot).get("ticks") == len(bots), "every batch")
        assert cluster.stats(slot)["outcome:decided"] == len(bots)
        run_slot(cluster, engine, slot + 60, len(bots))
    finally:
        proxy.close()

"""1,000+ market orders through the real tick and the Binance adapter, a fifth of requests faulted.

Whatever goes wrong on the wire, no order is ever placed twice, every order the server
accepted is recorded exactly once (and each fill has one trade), and every bot's position
in the database is the one the server holds.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from tests.integration.binance_fault_run import FAULTS, FaultRun, settled
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.domain.orders import OrderPurpose, OrderStatus

MARKET_ORDERS = 1_000
MARKET = (OrderPurpose.ENTRY, OrderPurpose.CLOSE)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_faulted_orders_are_never_doubled_lost_or_misrecorded(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = FaultRun(engine, tick_uow, manage_uow, minutes=600)
    began = time.perf_counter()
    run.start(spot=8, futures=8)
    try:
        minutes = 0
        while minutes < 600:
            run.run(20, FAULTS)
            minutes += 20
            accepted = [o for o in run.orders() if o.purpose in MARKET and o.exchange_order_id]
            if len(accepted) >= MARKET_ORDERS:
                break
        faulted = run.server.stats()
        run.run(5, ())  # quiet slots: every unknown outcome gets settled by client id
        orders, trades = run.orders(), run.trades()
        server = {b.bot_id: run.server_orders(b) for b in run.bots}
        positions = {b.bot_id: (run.database_position(b), run.server_position(b)) for b in run.bots}
    finally:
        run.stop()
    seconds = time.perf_counter() - began

    assert settled(orders), [o.client_order_id for o in orders if o.status is OrderStatus.UNKNOWN]
    # No duplicates: the server never holds two orders under one client id of an account.
    for bot_id, held in server.items():
        ids = Counter(str(o["clientOrderId"]) for o in held)
        assert max(ids.values(), default=1) == 1, (bot_id, ids.most_common(3))
    # Every order the server accepted is one row of ours, with its exchange id; and back.
    theirs = {
        (bot_id, str(o["clientOrderId"])): str(o["orderId"])
        for bot_id, held in server.items()
        for o in held
    }
    ours = {(o.bot_id, o.client_order_id): o for o in orders}
    for key, exchange_id in theirs.items():
        assert key in ours, f"order {key} accepted by the server, unknown to the database"
        if ours[key].filled_qty > 0:
            assert ours[key].exchange_order_id == exchange_id, key
    for key, order in ours.items():
        if key in theirs:
            assert order.status is not OrderStatus.REJECTED, key
        else:
            assert order.status is OrderStatus.REJECTED, (
                f"{key} is {order.status}, the server has none"
            )
    # Each fill is one trade.
    filled = Counter(o.client_order_id for o in orders if o.filled_qty > 0)
    assert Counter(t.client_order_id for t in trades) == filled
    # Positions: the database's are the server's.
    for bot_id, (mine, held_there) in positions.items():
        assert mine == held_there, f"bot {bot_id}: database {mine}, server {held_there}"

    market_orders = sum(1 for o in orders if o.purpose in MARKET and o.exchange_order_id)
    assert market_orders >= MARKET_ORDERS
    with capsys.disabled():
        injected = faulted["faults_injected"]
        total = faulted["requests_total"]
        assert isinstance(injected, dict)
        assert isinstance(total, int)
        count = sum(int(v) for v in injected.values())
        print(
            f"\nfault run: {len(run.bots)} bots, {market_orders} market orders accepted "
            f"({sum(1 for o in orders if o.exchange_order_id)} orders in all), "
            f"{total} requests, {count} faulted ({count / total:.1%}): "
            + ", ".join(f"{k} {v}" for k, v in sorted(injected.items()))
        )
        print(
            f"  ticks: {dict(run.outcomes)}; orders UNKNOWN then settled: "
            f"{sum(1 for o in orders if o.reason and 'outcome unknown' in o.reason)}; "
            f"duplicates 0; unrecorded 0; positions equal; {seconds:.0f} s"
        )

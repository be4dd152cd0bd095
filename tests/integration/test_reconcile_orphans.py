"""Orders resting at the venue that the database does not know of (SQLite and PostgreSQL).

An order under a bot's client id prefix the database does not hold open (a restored
database, a process that died between sending and writing) is an orphan: reconciliation
(at start, and in a tick after an unknown outcome) cancels it, records it and tells the
owner once. Orders tradewind did not place are left alone; on futures, where they share
the bot's net position, the bot's state names them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tests.integration.paper_world import T0, PaperWorld
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.resting import RestingRequest
from tradewind.adapters.exchange.simulated.state import Account, RestingKind
from tradewind.domain.bots import BotStatus
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderStatus
from tradewind.domain.records import OrderRecord
from tradewind.domain.types import PositionType, Side
from tradewind.services.reconcile import Reconciled, reconcile_at_start
from tradewind.services.scheduler import run_slot
from tradewind.services.tick import TickOutcome
from tradewind.services.tick.orphans import ORPHAN_REASON

D = Decimal
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
BEFORE = T0 - 3600  # a slot before the run: no order of the bot's own has this id


def rest(
    venue: SimulatedVenue,
    account_id: int,
    client_id: str,
    kind: RestingKind,
    *,
    market: PositionType = SPOT,
    side: Side = Side.BUY,
    price: int | None = 10_000,
    stop: int | None = None,
) -> None:
    """Rest an order on the venue directly, as a lost process or the owner would have."""
    request = RestingRequest(
        client_order_id=client_id, symbol="BTCUSDT", position_type=market, side=side,
        quantity=D("0.002"), kind=kind, limit_price=None if price is None else D(price),
        stop_price=None if stop is None else D(stop),
    )  # fmt: skip

    def place(desk: Desk, account: Account, now: int) -> None:
        desk.resting.place(account, request, now)

    venue.run("rest", account_id, place)


def resting_ids(venue: SimulatedVenue, account_id: int, market: PositionType) -> set[str]:
    exchange = venue.account(account_id)
    return {o.client_order_id for o in exchange.open_orders("BTCUSDT", market)}


def test_an_orphan_resting_under_the_bots_ids_is_cancelled_at_start_and_told_once(
    spot_paper: PaperWorld, manage_uow: Callable[[], SqlManageUnitOfWork]
) -> None:
    world = spot_paper
    world.tick_until(world.protected)
    position = world.state().position
    assert position is not None
    exits = set(position.protection.values())
    orphan = f"tw{world.bot_id}-{BEFORE}-e0"  # sent, then the process died (or the db restored)
    others = {"owner-dca-1", f"tw{world.bot_id + 1}-{BEFORE}-e0"}  # the owner's; another bot's
    for client_id in (orphan, *others):
        rest(world.venue, world.account_id, client_id, RestingKind.LIMIT)
    assert resting_ids(world.venue, world.account_id, SPOT) == exits | others | {orphan}

    world.start(keep_venue=True)
    found = reconcile_at_start(world.deps)
    assert found.outcomes == {world.bot_id: Reconciled.AGREES}
    assert found.orphans == 1
    assert "1 orphan orders cancelled" in found.summary()
    assert resting_ids(world.venue, world.account_id, SPOT) == exits | others
    exchange = world.venue.account(world.account_id)
    report = exchange.find_order("BTCUSDT", SPOT, ClientOrderId(orphan))
    assert report is not None
    assert report.status is OrderStatus.CANCELED
    with manage_uow() as uow:
        row = uow.orders.get(orphan)
    assert row is not None
    assert (row.status, row.purpose, row.slot, row.reason) == (
        OrderStatus.CANCELED, OrderPurpose.ENTRY, BEFORE, ORPHAN_REASON,
    )  # fmt: skip
    [told] = world.errors("orphan_orders")
    assert told["client_order_ids"] == [orphan]
    assert orphan in str(told["error"])
    assert world.errors("foreign_orders") == []  # spot: the owner's orders share no position
    assert world.state().status is BotStatus.IN_POSITION

    again = reconcile_at_start(world.deps)
    assert (again.outcomes, again.orphans) == ({world.bot_id: Reconciled.AGREES}, 0)
    assert len(world.errors("orphan_orders")) == 1


def test_a_tick_after_an_unknown_outcome_cancels_an_orphan_and_goes_on(
    spot_paper: PaperWorld,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:
    world = spot_paper
    world.tick_until(world.protected)
    slot = world.clock.now()
    owner = world.user_id
    unknown = OrderRecord(
        bot_id=world.bot_id, user_id=owner, client_order_id=f"tw{world.bot_id}-{slot}-c0",
        symbol="BTCUSDT", position_type=SPOT, side=Side.SELL, purpose=OrderPurpose.CLOSE,
        status=OrderStatus.UNKNOWN, requested_qty=Decimal("0.001"), slot=slot, created_at=slot,
    )  # fmt: skip
    with tick_uow() as uow:
        uow.orders.add(unknown)
        uow.commit()
    orphan = f"tw{world.bot_id}-{BEFORE}-e1"
    rest(world.venue, world.account_id, orphan, RestingKind.LIMIT)

    world.clock.set(slot + 60)
    outcomes = run_slot(world.deps, [world.bot_id], slot + 60).outcomes
    assert TickOutcome.ERROR not in outcomes
    assert orphan not in resting_ids(world.venue, world.account_id, SPOT)
    with manage_uow() as uow:
        row = uow.orders.get(orphan)
        settled = uow.orders.get(unknown.client_order_id)
    assert row is not None
    assert (row.status, row.reason) == (OrderStatus.CANCELED, ORPHAN_REASON)
    assert settled is not None
    assert settled.status is OrderStatus.REJECTED  # the venue never had it
    assert len(world.errors("orphan_orders")) == 1
    assert world.state().status is BotStatus.IN_POSITION


def test_futures_orders_not_placed_by_tradewind_are_left_alone_and_named_in_the_state(
    futures_paper: PaperWorld,
) -> None:
    world = futures_paper
    orphan = f"tw{world.bot_id}-{BEFORE}-s0"
    rest(world.venue, world.account_id, orphan, RestingKind.STOP_MARKET, market=FUTURES,
         price=None, stop=60_000)  # fmt: skip
    rest(world.venue, world.account_id, "manual-hedge", RestingKind.LIMIT, market=FUTURES,
         side=Side.SELL, price=90_000)  # fmt: skip
    assert resting_ids(world.venue, world.account_id, FUTURES) == {orphan, "manual-hedge"}

    found = reconcile_at_start(world.deps)
    assert (found.outcomes, found.orphans) == ({world.bot_id: Reconciled.AGREES}, 1)
    assert resting_ids(world.venue, world.account_id, FUTURES) == {"manual-hedge"}
    state = world.state()
    assert state.reason is not None
    assert "manual-hedge not placed by tradewind rest on BTCUSDT futures" in state.reason
    [foreign] = world.errors("foreign_orders")
    assert foreign["client_order_ids"] == ["manual-hedge"]
    assert len(world.errors("orphan_orders")) == 1

    again = reconcile_at_start(world.deps)
    assert (again.outcomes, again.orphans) == ({world.bot_id: Reconciled.AGREES}, 0)
    assert len(world.errors("foreign_orders")) == 1  # told once while the set is the same

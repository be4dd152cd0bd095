"""Orders resting at the venue that the database does not know of (SQLite and PostgreSQL).

An order under a bot's client id prefix the database does not hold open (a restored
database, a process that died between sending and writing) is an orphan: reconciliation
(at start, and in a tick after an unknown outcome) cancels it, records it and tells the
owner once. Orders tradewind did not place are left alone; on futures, where they share
the bot's net position, the bot's state names them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text

from tests.integration.db_builders import paper_account, spot_config
from tests.integration.test_reconcile_at_start import DAYS, START, T0, runner
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.resting import RestingRequest
from tradewind.adapters.exchange.simulated.state import Account, RestingKind
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bootstrap.venues import PaperExchanges
from tradewind.domain.bots import BotState, BotStatus
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderStatus
from tradewind.domain.records import OrderRecord
from tradewind.domain.types import PositionType, Side
from tradewind.ports import Bot
from tradewind.services.reconcile import Reconciled, reconcile_at_start
from tradewind.services.scheduler import run_slot
from tradewind.services.tick import TickDeps, TickOutcome
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


def bot_of(manage_uow: Callable[[], SqlManageUnitOfWork], bot_id: int) -> Bot:
    with manage_uow() as uow:
        bot = uow.bots.get(bot_id)
    assert bot is not None
    return bot


def errors(engine: Engine, cause: str) -> list[dict[str, object]]:
    with engine.connect() as db:
        rows = db.execute(text("SELECT payload FROM outbox WHERE event_type = 'bot_error'"))
        payloads = [p if isinstance(p, dict) else json.loads(p) for (p,) in rows]
    return [p for p in payloads if p["cause"] == cause]


def test_an_orphan_resting_under_the_bots_ids_is_cancelled_at_start_and_told_once(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    tmp_path: Path,
) -> None:
    world = runner(engine, tick_uow, manage_uow, tmp_path)
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
    [told] = errors(engine, "orphan_orders")
    assert told["client_order_ids"] == [orphan]
    assert orphan in str(told["error"])
    assert errors(engine, "foreign_orders") == []  # spot: the owner's orders share no position
    assert world.state().status is BotStatus.IN_POSITION

    again = reconcile_at_start(world.deps)
    assert (again.outcomes, again.orphans) == ({world.bot_id: Reconciled.AGREES}, 0)
    assert len(errors(engine, "orphan_orders")) == 1


def test_a_tick_after_an_unknown_outcome_cancels_an_orphan_and_goes_on(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    tmp_path: Path,
) -> None:
    world = runner(engine, tick_uow, manage_uow, tmp_path)
    world.tick_until(world.protected)
    slot = world.clock.now()
    owner = bot_of(manage_uow, world.bot_id).user_id
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
    assert len(errors(engine, "orphan_orders")) == 1
    assert world.state().status is BotStatus.IN_POSITION


def test_futures_orders_not_placed_by_tradewind_are_left_alone_and_named_in_the_state(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    tmp_path: Path,
) -> None:
    world = FuturesWorld(engine, tick_uow, manage_uow, tmp_path)
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
    [foreign] = errors(engine, "foreign_orders")
    assert foreign["client_order_ids"] == ["manual-hedge"]
    assert len(errors(engine, "orphan_orders")) == 1

    again = reconcile_at_start(world.deps)
    assert (again.outcomes, again.orphans) == ({world.bot_id: Reconciled.AGREES}, 0)
    assert len(errors(engine, "foreign_orders")) == 1  # told once while the set is the same


class FuturesWorld:
    """A flat futures bot on a paper account with 10,000 USDT in its futures wallet."""

    def __init__(
        self,
        engine: Engine,
        tick_uow: Callable[[], SqlUnitOfWork],
        manage_uow: Callable[[], SqlManageUnitOfWork],
        tmp_path: Path,
    ) -> None:
        self.manage_uow = manage_uow
        with manage_uow() as uow:
            user = uow.users.add("futures@example.com", "Owner", T0)
            account = uow.accounts.add(
                replace(paper_account(user.id), paper_balances={FUTURES: {"USDT": D(10_000)}})
            )
            config = spot_config("fut-btc", position_type="futures", leverage=2)
            bot = uow.bots.add(user.id, account.id, config, T0)
            uow.bots.set_active(bot.id, True)
            uow.commit()
        self.bot_id, self.account_id = bot.id, account.id
        candles = generate_market(DAYS * 1440, 60, seed=11, start_price=42_000, start_time=START)
        market = ReplayMarketData({"BTCUSDT": candles})
        clock = ReplayClock(T0 + 3600)
        self.venue = SimulatedVenue(market, clock, seed=3, state_path=tmp_path / "venue.json")
        self.venue.account(account.id, futures_balances={"USDT": D(10_000)})
        self.deps = TickDeps(
            uow=tick_uow, exchanges=PaperExchanges(self.venue), market_data=market,
            lock=make_bot_lock(engine), clock=clock,
        )  # fmt: skip

    def state(self) -> BotState:
        return bot_of(self.manage_uow, self.bot_id).state

"""What ticks tell owners: events written with the change they report, alerts, summaries,
and trading that never waits for a failing channel."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.test_tick import T0, World
from tests.notify.desk import Desk
from tests.notify.servers import WebhookReceiver
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.tables import OutboxRow
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.simulated import FaultMode, SimulatedVenue
from tradewind.adapters.notify.signing import generate_secret
from tradewind.bootstrap.venues import PaperExchanges
from tradewind.domain.bots import BotStatus
from tradewind.domain.limits import utc_day
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.services.notify import BackgroundDispatcher, summarize_day
from tradewind.services.scheduler import run_slot, slots_between
from tradewind.services.tick import TickOutcome, alerts

DAY = 86_400


@pytest.fixture
def world(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> World:
    return World(engine, tick_uow, manage_uow)


def _events(engine: Engine, kind: str | None = None) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        query = select(OutboxRow.event_type, OutboxRow.payload).order_by(OutboxRow.id)
        if kind is not None:
            query = query.where(OutboxRow.event_type == kind)
        return [{"type": t, **p} for t, p in connection.execute(query)]


def test_orders_refused_three_times_in_a_row_tell_the_owner_once(
    world: World, engine: Engine
) -> None:
    world.venue.faults.schedule(FaultMode.REJECT, call="place_market_order", count=5)
    world.run_until(lambda: sum(o.status is OrderStatus.REJECTED for o in world.orders()) == 5)
    alerts = _events(engine, "bot_error")
    assert [a["cause"] for a in alerts] == ["repeated_rejects"]
    assert alerts[0]["error"].startswith("3 orders in a row were not placed; the last: order")
    assert world.state().status.value != "error"  # the bot goes on; its owner knows


def test_protective_orders_refused_again_and_again_alert_once_then_stop_the_bot_in_error(
    world: World, engine: Engine
) -> None:
    # The position is taken; every attempt to protect it is refused from then on. Before,
    # such refusals never reached the alert, and the bot retried each minute forever.
    world.venue.faults.set_rate(FaultMode.REJECT, 1.0, call="protect_position")
    world.run_until(lambda: world.state().status is BotStatus.ERROR)
    protective = [o for o in world.orders() if o.purpose is not OrderPurpose.ENTRY]
    assert {o.status for o in protective} == {OrderStatus.REJECTED}
    attempts = len({o.slot for o in protective})
    assert attempts == alerts.REJECTS_BEFORE_ERROR
    told = _events(engine, "bot_error")
    assert [a["cause"] for a in told] == ["repeated_rejects"] * 2  # the alert, the stop
    assert told[0]["error"].startswith("3 orders in a row were not placed; the last: not placed")
    assert told[1]["error"].startswith("stopped after 10 orders in a row were not placed")
    state = world.state()
    assert state.position is not None  # what the bot holds is its owner's call now
    assert (state.reason or "").startswith("stopped after 10 orders in a row")
    # In error it sends nothing more, however long it runs: never a loop of refusals.
    before = len(world.orders())
    for _ in range(30):
        world.run_until(lambda: True)
    assert len(world.orders()) == before
    assert len(_events(engine, "bot_error")) == 2


def test_an_outage_that_refuses_protection_for_long_alerts_but_never_stops_the_bot(
    world: World, engine: Engine
) -> None:
    world.venue.faults.set_rate(FaultMode.TEMPORARY, 1.0, call="protect_position")
    world.run_until(lambda: len({o.slot for o in world.orders()}) > 2 * alerts.REJECTS_BEFORE_ERROR)
    assert world.state().status is not BotStatus.ERROR  # an outage passes; it retries
    assert [a["cause"] for a in _events(engine, "bot_error")] == ["repeated_rejects"]
    world.venue.faults.clear()
    world.run_until(  # protected at last, once the exchange answers again
        lambda: any(
            o.purpose is not OrderPurpose.ENTRY and o.status is not OrderStatus.REJECTED
            for o in world.orders()
        )
    )


def test_a_run_of_refusals_longer_than_three_is_told_even_when_it_passed_three_unseen(
    world: World, engine: Engine
) -> None:
    # Four refusals at once (a protective batch beside an entry) jump past exactly 3.
    world.venue.faults.set_rate(FaultMode.REJECT, 1.0, call="protect_position")
    world.run_until(lambda: len({o.slot for o in world.orders()}) >= 3)
    assert [a["cause"] for a in _events(engine, "bot_error")] == ["repeated_rejects"]


def test_a_bot_whose_venue_lost_its_position_stops_in_error_after_a_bounded_number_of_orders(
    world: World, engine: Engine
) -> None:
    # A replay restarted on a fresh venue: the bot holds, in the database, what the venue
    # never heard of. Before, it sent thousands of refused orders and no one was told.
    world.run_until(lambda: world.state().position is not None)
    sent_before = len(world.orders())
    fresh = SimulatedVenue(world.market, world.clock, seed=99)
    world.venue = fresh
    world.deps = replace(world.deps, exchanges=PaperExchanges(fresh))
    world.run_until(lambda: world.state().status is BotStatus.ERROR, limit=3 * 1440)
    told = [a for a in _events(engine, "bot_error") if a["cause"] == "repeated_rejects"]
    assert len(told) == 2  # the alert at 3 attempts, the stop at 10
    assert "stopped after 10 orders in a row were not placed" in told[1]["error"]
    sent = len(world.orders()) - sent_before
    assert sent <= 3 * alerts.REJECTS_BEFORE_ERROR  # bounded: protective orders go in threes
    for _ in range(30):
        world.run_until(lambda: True)
    assert len(world.orders()) - sent_before == sent  # in error, nothing more


def test_an_order_whose_outcome_stays_unknown_tells_the_owner_once(
    world: World, engine: Engine
) -> None:
    world.venue.faults.schedule(FaultMode.TIMEOUT_AFTER_ACCEPT, call="place_market_order")
    world.venue.faults.schedule(FaultMode.TEMPORARY, call="find_order", count=25)
    world.run_until(lambda: any(o.status is OrderStatus.UNKNOWN for o in world.orders()))
    unknown = next(o for o in world.orders() if o.status is OrderStatus.UNKNOWN)
    for _ in range(14):
        world.run_until(lambda: True)
    assert _events(engine, "bot_error") == []  # 14 minutes: not yet
    world.run_until(lambda: any(o.status is OrderStatus.FILLED for o in world.orders()))
    [alert] = _events(engine, "bot_error")
    assert alert["cause"] == "outcome_unknown"
    assert alert["client_order_id"] == unknown.client_order_id
    assert "still unknown after 15 minutes" in alert["error"]


def test_a_failing_channel_never_holds_up_trading(
    world: World, engine: Engine, sessions: sessionmaker[Session], secrets: SecretBox
) -> None:
    secret = generate_secret()
    desk = Desk(sessions, secrets, timeout=0.2)
    outcomes: Counter[TickOutcome] = Counter()
    with WebhookReceiver(secret, mode="hang") as receiver:
        desk.add_webhook(receiver.url, secret)
        with BackgroundDispatcher(desk.deps, poll_seconds=0.01) as dispatcher:
            for slot in slots_between(T0, T0 + 8 * 3600):
                world.clock.set(slot)
                outcomes.update(run_slot(world.deps, [world.bot_id], slot).outcomes)
        desk.close()
    assert set(outcomes) == {TickOutcome.DECIDED}
    assert any(t.purpose is OrderPurpose.ENTRY for t in world.trades())
    assert dispatcher.passes > 0
    tried = desk.deliveries()
    assert tried, "the dispatcher never tried the channel"
    assert {d.last_error for d in tried if d.attempts} <= {"no answer within 0.2 s"}
    assert len(_events(engine)) >= len(tried)  # nothing was lost: the rest waits its turn


def test_a_day_of_trading_tells_every_fill_and_one_summary_with_the_same_amounts(
    world: World, engine: Engine, sessions: sessionmaker[Session], secrets: SecretBox
) -> None:
    for slot in slots_between(T0, T0 + DAY + 120):
        world.clock.set(slot)
        run_slot(world.deps, [world.bot_id], slot)
    trades, events = world.trades(), _events(engine)
    entries = sorted(t.client_order_id for t in trades if t.purpose is OrderPurpose.ENTRY)
    filled = sorted(e["client_order_id"] for e in events if e["type"] == "order_filled")
    assert entries == filled
    assert len(entries) >= 3
    closing = Counter(t.realized_pnl for t in trades if t.realized_pnl is not None)
    closed = Counter(Decimal(e["realized_pnl"]) for e in events if e["type"] == "position_closed")
    assert closing == closed
    hits = Counter(e["type"] for e in events if e["type"].endswith("_hit"))
    by_trigger = Counter(
        f"{t.purpose.value}_hit" for t in trades
        if t.purpose in (OrderPurpose.STOP_LOSS, OrderPurpose.TAKE_PROFIT)
    )  # fmt: skip
    assert hits == by_trigger
    desk = Desk(sessions, secrets)
    day = utc_day(T0)
    assert summarize_day(desk.uow, day, T0 + DAY + 120) == 1
    assert summarize_day(desk.uow, day, T0 + DAY + 180) == 0  # another process, later
    [summary] = _events(engine, "daily_summary")
    with world.manage_uow() as uow:
        tally = uow.counters.get(world.bot_id, day)
    exits = [t for t in world.trades() if t.realized_pnl is not None and t.timestamp < T0 + DAY]
    assert summary["day"] == "2024-01-01"
    assert (summary["entries"], summary["exits"]) == (tally.entries, len(exits))
    assert Decimal(summary["realized_pnl"]) == tally.realized_pnl
    assert tally.entries >= 3
    desk.close()

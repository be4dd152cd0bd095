"""A runner's start reconciles each bot with its venue (SQLite and PostgreSQL).

A bot that believes it holds a position its venue does not (the paper venue's state was
lost) is stopped in error with the reason, its owner told once, and nothing is sent for
it. An exit the venue filled while no runner was up is recorded as a trade at start.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.integration.paper_world import DAYS, EXITS, T0, PaperWorld
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.domain.bots import BotStatus
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderStatus
from tradewind.domain.types import PositionType
from tradewind.services.reconcile import Reconciled, reconcile_at_start
from tradewind.services.tick import TickOutcome


def test_a_position_the_venue_does_not_hold_stops_the_bot_once_and_nothing_is_sent(
    spot_paper: PaperWorld,
) -> None:
    world = spot_paper
    world.tick_until(world.protected)
    held = world.state().position
    assert held is not None
    sent = world.order_count()

    world.start(keep_venue=False)  # the venue's state is gone: it holds no BTC
    found = reconcile_at_start(world.deps)
    assert found.outcomes == {world.bot_id: Reconciled.STOPPED}
    state = world.state()
    assert state.status is BotStatus.ERROR
    assert state.reason is not None
    assert f"holds long {held.quantity} BTCUSDT but the spot wallet holds 0 BTC" in state.reason
    [told] = world.errors()
    assert (told["cause"], told["error"]) == ("venue_mismatch", state.reason)

    # Started again, or ticked: the bot is told about once and sends nothing.
    assert reconcile_at_start(world.deps).outcomes == {world.bot_id: Reconciled.SKIPPED}
    an_hour_on = world.clock.now() + 60 * 60
    outcomes = world.tick_until(lambda: world.clock.now() >= an_hour_on)
    assert set(outcomes) == {TickOutcome.ERROR}
    assert world.order_count() == sent
    assert len(world.errors()) == 1
    fresh = world.venue.account(world.account_id)
    assert fresh.spot_holding("BTC") == 0
    assert fresh.spot_balance("USDT").free == 10_000  # not one order reached it


def test_an_exit_the_venue_filled_while_no_runner_was_up_is_recorded_at_start(
    spot_paper: PaperWorld, manage_uow: Callable[[], SqlManageUnitOfWork]
) -> None:
    world = spot_paper
    world.tick_until(world.protected)
    position = world.state().position
    assert position is not None
    exits = {p: position.protection[p] for p in EXITS}

    # No runner: the market moves on until the venue (its saved state) fills an exit.
    world.start(keep_venue=True)
    exchange = world.venue.account(world.account_id)

    def filled() -> OrderPurpose | None:
        for purpose, client_id in exits.items():
            report = exchange.find_order("BTCUSDT", PositionType.SPOT, ClientOrderId(client_id))
            if report is not None and report.status is OrderStatus.FILLED:
                return purpose
        return None

    while filled() is None:
        assert world.clock.now() < T0 + DAYS * 1440 * 60, "no exit ever filled"
        world.clock.set(world.clock.now() + 60)
    hit = filled()
    assert hit is not None
    with manage_uow() as uow:
        assert all(t.purpose is OrderPurpose.ENTRY for t in uow.trades.recent(bot_id=world.bot_id))

    world.start(keep_venue=True)
    found = reconcile_at_start(world.deps)
    assert found.outcomes == {world.bot_id: Reconciled.AGREES}
    assert found.fills == 1
    with manage_uow() as uow:
        latest = uow.trades.recent(bot_id=world.bot_id, limit=1)[0]
    assert (latest.client_order_id, latest.purpose) == (exits[hit], hit)
    assert latest.quantity == position.quantity
    assert latest.realized_pnl is not None
    state = world.state()
    assert state.position is None
    assert state.status is BotStatus.WAITING
    assert world.errors() == []
    # Reconciling again finds nothing new: the fill is recorded once.
    again = reconcile_at_start(world.deps)
    assert (again.outcomes, again.fills) == ({world.bot_id: Reconciled.AGREES}, 0)
    with manage_uow() as uow:
        recorded = [t.client_order_id for t in uow.trades.recent(bot_id=world.bot_id)]
    assert recorded.count(exits[hit]) == 1

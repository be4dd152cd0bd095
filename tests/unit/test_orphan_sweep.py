"""Orphans at the venue on fakes: the cases a real venue makes hard to time.

An orphan (an order under the bot's ids the database does not hold open) may fill in the
moment between the venue listing it and the cancel reaching it: a fill the bot cannot
account for. The bot stops in error, told once, and nothing is recorded as its trade.
A venue that cannot cancel now leaves the orphan for the next look, nothing written.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from tests.unit.test_tick_recipe import T0, World
from tradewind.domain.bots import BotStatus
from tradewind.domain.errors import TemporaryExchangeError
from tradewind.domain.orders import ClientOrderId, OrderPurpose, OrderStatus, ProtectionRequest
from tradewind.domain.types import PositionSide, PositionType
from tradewind.services.reconcile import Reconciled, reconcile_at_start

D = Decimal


def rest_orphan(w: World) -> str:
    """Rest a stop-loss under the bot's ids that the store has no row of."""
    client_id = ClientOrderId(f"tw{w.bot}-{T0 - 3600}-s0")
    w.exchange.protect_position(
        ProtectionRequest(
            symbol="BTCUSDT", position_type=PositionType.SPOT, position_side=PositionSide.LONG,
            quantity=D("0.002"), entry_price=D(42_000), stop_loss=D(30_000), take_profit=None,
            trailing_rate=None, ids={OrderPurpose.STOP_LOSS: client_id},
        )
    )  # fmt: skip
    return client_id.value


def test_an_orphan_that_fills_before_its_cancel_stops_the_bot_once() -> None:
    w = World()
    orphan = rest_orphan(w)
    listed = w.exchange.orders[orphan]
    # Listed as resting, filled by the time the cancel arrives: the cancel answers FILLED.
    w.exchange.orders[orphan] = replace(
        listed, status=OrderStatus.FILLED, executed_qty=D("0.002"), avg_price=D(30_000)
    )

    found = reconcile_at_start(w.deps)
    assert (found.outcomes, found.orphans) == ({w.bot: Reconciled.STOPPED}, 0)
    state = w.store.state(w.bot)
    assert state.status is BotStatus.ERROR
    assert state.reason is not None
    assert f"order {orphan} resting on BTCUSDT spot" in state.reason
    assert "filled before it could be cancelled" in state.reason
    assert w.store.events(w.bot) == ["bot_error"]
    assert w.store.orders(w.bot) == []  # not a trade of the bot's: nothing recorded as one
    assert w.store.trades(w.bot) == []

    assert reconcile_at_start(w.deps).outcomes == {w.bot: Reconciled.SKIPPED}
    assert w.store.events(w.bot) == ["bot_error"]


def test_an_orphan_the_venue_cannot_cancel_now_is_left_for_the_next_look() -> None:
    w = World()
    orphan = rest_orphan(w)
    w.exchange.fail("cancel_order", TemporaryExchangeError("venue busy"))

    found = reconcile_at_start(w.deps)
    assert (found.outcomes, found.orphans) == ({w.bot: Reconciled.AGREES}, 0)
    assert w.store.orders(w.bot) == []
    assert w.store.events(w.bot) == []

    again = reconcile_at_start(w.deps)
    assert (again.outcomes, again.orphans) == ({w.bot: Reconciled.AGREES}, 1)
    [row] = w.store.orders(w.bot)
    assert (row.client_order_id, row.status) == (orphan, OrderStatus.CANCELED)
    assert w.store.events(w.bot) == ["bot_error"]  # cause orphan_orders, the bot goes on
    assert w.store.state(w.bot).status is not BotStatus.ERROR

"""Each user's change marker moves with every committed change of their bots, state,
orders, trades and counters, and with a tick's claim that moves a bot's day; with nothing
else: not another user's change, nor a change rolled back (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from tests.integration.db_builders import paper_account, spot_config
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.domain.bots import BotState, BotStatus, CloseRequest
from tradewind.domain.limits import DayTally, utc_day
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.domain.types import PositionType, Side, Symbol
from tradewind.ports import Bot, UnitOfWork
from tradewind.services import overview
from tradewind.services.access import Actor

ManageUow = Callable[[], SqlManageUnitOfWork]
Change = Callable[[UnitOfWork], object]


def _order(bot: Bot, number: int) -> OrderRecord:
    return OrderRecord(
        bot_id=bot.id, user_id=bot.user_id, client_order_id=f"tw{bot.id}-{number}-e",
        symbol=Symbol("BTCUSDT"), position_type=PositionType.SPOT, side=Side.BUY,
        purpose=OrderPurpose.ENTRY, status=OrderStatus.FILLED, requested_qty=Decimal("0.001"),
        slot=60 * number, created_at=1_700_000_000, filled_qty=Decimal("0.001"),
        avg_price=Decimal(27_000), quote_qty=Decimal(27),
    )  # fmt: skip


def _trade(bot: Bot, number: int) -> TradeRecord:
    return TradeRecord(
        bot_id=bot.id, user_id=bot.user_id, exchange_order_id=f"x{number}",
        client_order_id=f"tw{bot.id}-{number}-e", symbol=Symbol("BTCUSDT"), side=Side.BUY,
        order_type="MARKET", purpose=OrderPurpose.ENTRY, price=Decimal(27_000),
        quantity=Decimal("0.001"), quote_quantity=Decimal(27), fee=Decimal(0),
        fee_asset="BTC", realized_pnl=None, timestamp=1_700_000_000,
    )  # fmt: skip


def _marker(manage_uow: ManageUow, user_id: int | None) -> int:
    with manage_uow() as uow:
        return uow.users.changes(user_id)


def test_every_kind_of_change_moves_its_owners_marker_only(
    manage_uow: ManageUow, tick_uow: Callable[[], SqlUnitOfWork], bot: Bot
) -> None:
    with manage_uow() as uow:
        other = uow.users.add("other@example.com", None, 1_700_000_000)
        uow.accounts.add(paper_account(other.id))
        uow.commit()
    waiting = BotState(status=BotStatus.WAITING, reason="waiting for a signal")
    changes: list[tuple[str, Change]] = [
        ("state", lambda uow: uow.bots.save_state(bot.id, waiting)),
        ("order", lambda uow: uow.orders.add(_order(bot, 1))),
        ("trade", lambda uow: uow.trades.add(_trade(bot, 1))),
        ("tally", lambda uow: uow.counters.save(bot.id, DayTally(date(2026, 12, 7), entries=1))),
        ("tally+", lambda uow: uow.counters.add(bot.id, date(2026, 12, 7), entries=1)),
    ]
    for name, change in changes:
        before, others = _marker(manage_uow, bot.user_id), _marker(manage_uow, other.id)
        with tick_uow() as tick:
            change(tick)
            tick.commit()
        assert _marker(manage_uow, bot.user_id) > before, name
        assert _marker(manage_uow, other.id) == others, name
    config = spot_config("renamed")
    owners: list[tuple[str, Callable[[SqlManageUnitOfWork], object]]] = [
        ("edit", lambda uow: uow.bots.update_config(bot.id, bot.account_id, config)),
        ("stop", lambda uow: uow.bots.set_active(bot.id, False)),
        ("close", lambda uow: uow.bots.request_close(bot.id, CloseRequest.THEN_STOP)),
        ("delete", lambda uow: uow.bots.delete(bot.id, 1_700_000_100)),
    ]
    for name, act in owners:
        before = _marker(manage_uow, bot.user_id)
        with manage_uow() as uow:
            act(uow)
            uow.commit()
        assert _marker(manage_uow, bot.user_id) > before, name
    assert _marker(manage_uow, None) == _marker(manage_uow, bot.user_id)  # every user's


def test_a_change_rolled_back_leaves_the_marker_and_reads_do_not_move_it(
    manage_uow: ManageUow, tick_uow: Callable[[], SqlUnitOfWork], bot: Bot
) -> None:
    before = _marker(manage_uow, bot.user_id)
    with tick_uow() as uow:
        uow.bots.save_state(bot.id, BotState(status=BotStatus.WAITING))
        uow.rollback()
        uow.bots.get(bot.id)
        uow.commit()
    with tick_uow() as uow:
        uow.trades.add(_trade(bot, 2))  # never committed
    with manage_uow() as uow:
        uow.bots.find(user_id=bot.user_id)
        uow.commit()
    assert _marker(manage_uow, bot.user_id) == before


MIDNIGHT = 1_796_601_600  # 2026-12-07 00:00 UTC: a replay's data's first day
WALL = ReplayClock(MIDNIGHT + 30 * 86_400)  # the wall clock, a month after the data


@pytest.mark.parametrize("batch", [False, True])
def test_a_claim_moves_the_marker_when_it_moves_the_bots_day_only(
    manage_uow: ManageUow, tick_uow: Callable[[], SqlUnitOfWork], bot: Bot, batch: bool
) -> None:
    """A replay's bot shows the data's day as its "today": a claim that starts its next
    day moves the marker (a live stream then reads the new day), one within a day not."""

    def claim(slot: int) -> tuple[int, date]:
        before = _marker(manage_uow, bot.user_id)
        with tick_uow() as uow:
            if batch:
                assert bot.id in uow.bots.claim_and_load_many([bot.id], slot, slot, utc_day(slot))
            else:
                assert uow.bots.claim_and_load(bot.id, slot, slot, utc_day(slot))[0]
            uow.commit()
        views = overview.bot_views(manage_uow, WALL, Actor.operator())
        return _marker(manage_uow, bot.user_id) - before, views[0].today.day

    assert claim(MIDNIGHT + 60) == (1, date(2026, 12, 7))  # its first run
    assert claim(MIDNIGHT + 120) == (0, date(2026, 12, 7))
    assert claim(MIDNIGHT + 86_340) == (0, date(2026, 12, 7))  # 23:59
    assert claim(MIDNIGHT + 86_400) == (1, date(2026, 12, 8))  # the data's midnight
    assert claim(MIDNIGHT + 86_460) == (0, date(2026, 12, 8))

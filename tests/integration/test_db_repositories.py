"""Repositories keep what the tick and the owner write, exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from tests.integration.db_builders import paper_account, spot_config
from tradewind.adapters.db.tables import OutboxRow
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.domain.bots import BotState, BotStatus, OpenPosition
from tradewind.domain.errors import Conflict
from tradewind.domain.limits import DayTally, PauseReason
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.records import OrderRecord, OutboxEvent, TradeRecord
from tradewind.domain.types import PositionSide, PositionType, Side, Signal
from tradewind.ports import Bot

TickUow = Callable[[], SqlUnitOfWork]
ManageUow = Callable[[], SqlManageUnitOfWork]


def an_order(bot: Bot, client_order_id: str = "tw1-60-e0", **changes: object) -> OrderRecord:
    order = OrderRecord(
        bot_id=bot.id,
        user_id=bot.user_id,
        client_order_id=client_order_id,
        symbol="BTCUSDT",
        position_type=PositionType.SPOT,
        side=Side.BUY,
        purpose=OrderPurpose.ENTRY,
        status=OrderStatus.SUBMITTING,
        requested_qty=Decimal("0.00123"),
        slot=1_700_000_040,
        created_at=1_700_000_041,
    )
    return replace(order, **changes)  # type: ignore[arg-type]


def a_trade(bot: Bot, exchange_order_id: str = "9001", **changes: object) -> TradeRecord:
    trade = TradeRecord(
        bot_id=bot.id,
        user_id=bot.user_id,
        exchange_order_id=exchange_order_id,
        client_order_id="tw1-60-e0",
        symbol="BTCUSDT",
        side=Side.BUY,
        order_type="MARKET",
        purpose=OrderPurpose.ENTRY,
        price=Decimal("27123.45"),
        quantity=Decimal("0.00123"),
        quote_quantity=Decimal("33.3618435"),
        fee=Decimal("0.0333618435"),
        fee_asset="USDT",
        realized_pnl=None,
        timestamp=1_700_000_041,
    )
    return replace(trade, **changes)  # type: ignore[arg-type]


def test_a_bot_comes_back_with_its_config_inactive_and_idle(
    manage_uow: ManageUow, tick_uow: TickUow
) -> None:
    config = spot_config("exact", custom_stop_loss="2.5", position_size_fixed="33.3")
    with manage_uow() as uow:
        user = uow.users.add("a@example.com", None, 1)
        account = uow.accounts.add(paper_account(user.id))
        bot_id = uow.bots.add(user.id, account.id, config, 2).id
        uow.commit()
    with tick_uow() as uow:
        bot = uow.bots.get(bot_id)
    assert bot is not None
    assert bot.config == config
    assert not bot.active
    assert bot.state == BotState(status=BotStatus.IDLE)


def test_a_state_with_a_protected_position_survives_a_round_trip(
    bot: Bot, tick_uow: TickUow
) -> None:
    state = BotState(
        status=BotStatus.PAUSED,
        reason="max_daily_loss reached today",
        pause_reason=PauseReason.MAX_DAILY_LOSS,
        last_run_at=1_700_000_061,
        last_slot=1_700_000_060,
        last_signal=Signal.SELL,
        last_signal_at=1_700_000_000,
        position=OpenPosition(
            side=PositionSide.SHORT,
            quantity=Decimal("0.001"),
            entry_price=Decimal("27000.1"),
            entry_time=1_700_000_000,
            entry_fee=Decimal("0.0108"),
            entry_client_order_id="tw1-1700000000-e0",
            protection={
                OrderPurpose.STOP_LOSS: "tw1-1700000000-s0",
                OrderPurpose.TAKE_PROFIT: "tw1-1700000000-t0",
            },
        ),
    )
    with tick_uow() as uow:
        uow.bots.save_state(bot.id, state)
        uow.commit()
    with tick_uow() as uow:
        stored = uow.bots.get(bot.id)
    assert stored is not None
    assert stored.state == state


def test_closing_the_position_clears_every_position_column(bot: Bot, tick_uow: TickUow) -> None:
    held = BotState(
        status=BotStatus.IN_POSITION,
        position=OpenPosition(PositionSide.LONG, Decimal(1), Decimal(2), 3, Decimal(0), "x"),
    )
    with tick_uow() as uow:
        uow.bots.save_state(bot.id, held)
        uow.bots.save_state(bot.id, BotState(status=BotStatus.WAITING))
        uow.commit()
    with tick_uow() as uow:
        stored = uow.bots.get(bot.id)
    assert stored is not None
    assert stored.state == BotState(status=BotStatus.WAITING)


def test_a_stopped_bot_stays_stopped_when_a_late_tick_saves_its_state(
    bot: Bot, manage_uow: ManageUow, tick_uow: TickUow
) -> None:
    with manage_uow() as uow:
        uow.bots.set_active(bot.id, False)
        uow.commit()
    with tick_uow() as uow:
        uow.bots.save_state(bot.id, BotState(status=BotStatus.WAITING, last_slot=60))
        uow.commit()
    with tick_uow() as uow:
        stored = uow.bots.get(bot.id)
    assert stored is not None
    assert stored.state.status is BotStatus.STOPPED
    assert stored.state.last_slot == 60


def test_saving_the_state_of_a_missing_bot_is_an_error(tick_uow: TickUow) -> None:
    with tick_uow() as uow, pytest.raises(LookupError):
        uow.bots.save_state(404, BotState())


def test_only_active_bots_are_scheduled(bot: Bot, manage_uow: ManageUow) -> None:
    with manage_uow() as uow:
        idle = uow.bots.add(bot.user_id, bot.account_id, spot_config("idle"), 5)
        assert uow.bots.active_ids() == [bot.id]
        uow.bots.set_active(idle.id, True)
        assert uow.bots.active_ids() == [bot.id, idle.id]


def test_a_deleted_bot_vanishes_keeps_its_orders_and_frees_its_name(
    bot: Bot, manage_uow: ManageUow, tick_uow: TickUow
) -> None:
    with tick_uow() as uow:
        uow.orders.add(an_order(bot))
        uow.commit()
    with manage_uow() as uow:
        uow.bots.delete(bot.id, 99)
        uow.commit()
    with manage_uow() as uow:
        assert uow.bots.get(bot.id) is None
        assert uow.bots.find() == []
        assert uow.bots.active_ids() == []
        assert [o.client_order_id for o in uow.orders.recent(bot_id=bot.id)] == ["tw1-60-e0"]
        again = uow.bots.add(bot.user_id, bot.account_id, bot.config, 100)
        uow.commit()
    assert again.id != bot.id


def test_a_user_cannot_have_two_live_bots_of_one_name(bot: Bot, manage_uow: ManageUow) -> None:
    with manage_uow() as uow, pytest.raises(Conflict, match=r"^name: the user has a bot named"):
        uow.bots.add(bot.user_id, bot.account_id, bot.config, 5)


def test_find_filters_by_user_and_name(bot: Bot, manage_uow: ManageUow) -> None:
    with manage_uow() as uow:
        other = uow.users.add("other@example.com", None, 1)
        account = uow.accounts.add(paper_account(other.id))
        theirs = uow.bots.add(other.id, account.id, bot.config, 2)
        assert [b.id for b in uow.bots.find(name=bot.config.name)] == [bot.id, theirs.id]
        assert [b.id for b in uow.bots.find(user_id=other.id)] == [theirs.id]
        found = uow.bots.by_name(other.id, bot.config.name)
        assert found is not None
        assert found.id == theirs.id


def test_an_order_goes_from_intent_to_filled(bot: Bot, tick_uow: TickUow) -> None:
    intent = an_order(bot)
    with tick_uow() as uow:
        uow.orders.add(intent)
        uow.commit()
    assert intent.id is not None
    filled = replace(
        intent,
        status=OrderStatus.FILLED,
        exchange_order_id="9001",
        filled_qty=Decimal("0.00123"),
        avg_price=Decimal("27123.45"),
        quote_qty=Decimal("33.3618435"),
        fee=Decimal("0.0333618435"),
        fee_asset="USDT",
        raw={"orderId": 9001, "cummulativeQuoteQty": Decimal("33.3618435")},
        updated_at=1_700_000_042,
    )
    with tick_uow() as uow:
        assert uow.orders.unresolved(bot.id) == [intent]
        uow.orders.save(filled)
        uow.commit()
    with tick_uow() as uow:
        stored = uow.orders.get("tw1-60-e0")
        assert uow.orders.unresolved(bot.id) == []
    assert stored == replace(filled, raw={"orderId": 9001, "cummulativeQuoteQty": "33.3618435"})


def test_unresolved_orders_are_those_not_final_oldest_first(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow:
        for index, status in enumerate(OrderStatus):
            uow.orders.add(an_order(bot, f"tw1-{index}-e0", status=status))
        unresolved = [o.status for o in uow.orders.unresolved(bot.id)]
    assert unresolved == [s for s in OrderStatus if not s.is_final]


def test_a_client_order_id_is_used_once(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow:
        uow.orders.add(an_order(bot))
        with pytest.raises(IntegrityError):
            uow.orders.add(an_order(bot))


def test_saving_an_order_never_added_is_an_error(bot: Bot, tick_uow: TickUow) -> None:
    with tick_uow() as uow, pytest.raises(LookupError):
        uow.orders.save(an_order(bot))


def test_a_fill_is_recorded_once_per_client_order_id(bot: Bot, manage_uow: ManageUow) -> None:
    with manage_uow() as uow:
        other = uow.bots.add(bot.user_id, bot.account_id, spot_config("eth"), 2)
        assert uow.trades.add(a_trade(bot))
        assert not uow.trades.add(a_trade(bot, price=Decimal(1)))
        # A venue started afresh reuses its order ids: another order of ours is a new fill.
        assert uow.trades.add(a_trade(bot, client_order_id="tw1-120-e0"))
        # Binance numbers orders per symbol: another bot may see the same number.
        assert uow.trades.add(a_trade(other, client_order_id="tw2-60-e0", symbol="ETHUSDT"))
        uow.commit()
    with manage_uow() as uow:
        mine = uow.trades.recent(bot_id=bot.id)
    assert sorted(t.client_order_id for t in mine) == ["tw1-120-e0", "tw1-60-e0"]
    assert a_trade(bot) in mine


def test_recent_trades_are_newest_first_and_limited(bot: Bot, manage_uow: ManageUow) -> None:
    with manage_uow() as uow:
        for n in range(5):
            at = {"client_order_id": f"tw1-{n}-e0", "timestamp": 1_700_000_000 + n}
            uow.trades.add(a_trade(bot, str(n), **at))
        uow.commit()
    with manage_uow() as uow:
        shown = uow.trades.recent(user_id=bot.user_id, limit=3)
    assert [t.exchange_order_id for t in shown] == ["4", "3", "2"]


def test_a_day_without_a_tally_has_seen_nothing_and_saving_replaces_it(
    bot: Bot, tick_uow: TickUow
) -> None:
    day = date(2024, 3, 1)
    with tick_uow() as uow:
        assert uow.counters.get(bot.id, day) == DayTally(day)
        uow.counters.save(bot.id, DayTally(day, 1, Decimal("-1.25")))
        uow.counters.save(bot.id, DayTally(day, 2, Decimal("-3.5")))
        uow.counters.save(bot.id, DayTally(date(2024, 3, 2), 1, Decimal("0.1")))
        uow.commit()
    with tick_uow() as uow:
        assert uow.counters.get(bot.id, day) == DayTally(day, 2, Decimal("-3.5"))


def test_an_outbox_event_keeps_its_payload_with_exact_amounts(
    bot: Bot, tick_uow: TickUow, engine: Engine
) -> None:
    event = OutboxEvent(
        event_type="trade",
        user_id=bot.user_id,
        bot_id=bot.id,
        payload={"pnl": Decimal("-0.10"), "side": Side.SELL, "signal": Signal.BUY},
        created_at=7,
    )
    with tick_uow() as uow:
        uow.outbox.add(event)
        uow.commit()
    with engine.connect() as connection:
        row = connection.execute(select(OutboxRow.payload, OutboxRow.delivered_at)).one()
    assert row.payload == {"pnl": "-0.10", "side": "SELL", "signal": 1}
    assert row.delivered_at is None


def test_an_account_gives_back_its_secrets_decrypted_and_stores_them_encrypted(
    manage_uow: ManageUow, tick_uow: TickUow, engine: Engine
) -> None:
    with manage_uow() as uow:
        user = uow.users.add("a@example.com", None, 1)
        account = uow.accounts.add(
            paper_account(user.id, key="KEY-plain-1234", secret="SECRET-5678")
        )
        uow.commit()
    assert account.paper_balances == {PositionType.SPOT: {"USDT": Decimal(10_000)}}
    with tick_uow() as uow:
        access = uow.accounts.access(account.id)
        assert uow.accounts.access(account.id + 1) is None
    assert access is not None
    assert (access.api_key, access.api_secret) == ("KEY-plain-1234", "SECRET-5678")
    assert access.paper_balances == {PositionType.SPOT: {"USDT": Decimal(10_000)}}
    assert "SECRET-5678" not in repr(access)
    with engine.connect() as connection:
        stored = " ".join(
            str(value)
            for value in connection.execute(text("SELECT * FROM exchange_accounts")).one()
        )
    assert "KEY-plain-1234" not in stored
    assert "SECRET-5678" not in stored


def test_users_are_found_by_email(manage_uow: ManageUow) -> None:
    with manage_uow() as uow:
        added = uow.users.add("ann@example.com", "Ann", 1)
        assert uow.users.by_email("ann@example.com") == added
        assert uow.users.by_email("bob@example.com") is None
        assert uow.users.get(added.id) == added
        assert uow.users.all() == [added]

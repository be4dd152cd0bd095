"""The live-updates stream's change marker (`overview.change_marker`): it moves with a
committed change and with the wall clock's day, and stays put otherwise."""

from __future__ import annotations

from tests.unit.manage_fakes import FakeStore
from tradewind.adapters.clocks import ReplayClock
from tradewind.bot_config import BotConfig
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType
from tradewind.services import manage, overview
from tradewind.services.access import Actor

MIDNIGHT = 1_796_601_600  # 2026-12-07 00:00 UTC


def _rules(symbol: str, position_type: PositionType) -> MarketRules:
    return MarketRules(symbol, position_type, symbol.removesuffix("USDT"), "USDT")


def test_the_marker_moves_with_a_change_and_a_new_day_only() -> None:
    store, clock = FakeStore(), ReplayClock(MIDNIGHT + 3_600)
    user = manage.add_user(store.manage_uow, clock, Actor.operator(), "ann@example.com")
    ann = Actor.user(user.id)
    account = manage.add_account(
        store.manage_uow, clock, ann, owner_id=user.id, name="paper", kind="paper"
    )
    first = overview.change_marker(store.manage_uow, clock, ann)
    overview.bot_views(store.manage_uow, clock, ann)  # a read changes nothing
    assert overview.change_marker(store.manage_uow, clock, ann) == first
    config = BotConfig.model_validate(
        {"name": "b1", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot"}
    )
    manage.create_bot(store.manage_uow, clock, _rules, ann, account_id=account.id, config=config)
    created = overview.change_marker(store.manage_uow, clock, ann)
    assert created != first
    clock.set(MIDNIGHT + 86_400)  # the bots' today starts afresh with no write
    assert overview.change_marker(store.manage_uow, clock, ann) != created

"""The bots' overview reads in a fixed number of SQL statements, whatever the number of bots
(no query per bot, per account or per owner): what keeps the dashboard's overview fast with
a thousand bots, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from tests.integration.statements import statements
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.bot_config import BotConfig
from tradewind.domain.limits import DayTally, utc_day
from tradewind.services import manage, overview
from tradewind.services.access import Actor

CLOCK = ReplayClock(1_796_601_600)
OPERATOR = Actor.operator()


def _bots(manage_uow: Any, email: str, count: int) -> int:
    user = manage.add_user(manage_uow, CLOCK, OPERATOR, email)
    accounts = [
        manage.add_account(
            manage_uow, CLOCK, OPERATOR, owner_id=user.id, name=f"paper{i}", kind="paper"
        ).id
        for i in range(3)
    ]
    for i in range(count):
        config = BotConfig.model_validate(
            {"name": f"b{i}", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot"}
        )
        manage.create_bot(
            manage_uow, CLOCK, rules_for, OPERATOR, account_id=accounts[i % 3], config=config
        )
    return user.id


def test_the_overview_of_many_bots_takes_as_many_statements_as_of_one(
    engine: Engine, secrets: SecretBox
) -> None:
    from tradewind.adapters.db.engine import session_factory

    sessions = session_factory(engine)

    def manage_uow() -> SqlManageUnitOfWork:
        return SqlManageUnitOfWork(sessions, secrets)

    few = _bots(manage_uow, "few@example.com", 1)
    many = _bots(manage_uow, "many@example.com", 60)
    today = utc_day(CLOCK.now())
    with manage_uow() as uow:  # one bot with a tally today, one with yesterday's only
        bots = uow.bots.find(user_id=many)
        uow.counters.save(bots[0].id, DayTally(today, entries=2, realized_pnl=Decimal("1.5")))
        uow.counters.save(bots[1].id, DayTally(date(2026, 12, 6), entries=1))
        uow.commit()
    counts = {}
    for user_id in (few, many, None):  # None: the operator sees both users' bots
        actor = OPERATOR if user_id is None else Actor.user(user_id)
        with statements(engine) as seen:
            views = overview.bot_views(manage_uow, CLOCK, actor)
        counts[user_id] = len(seen)
        assert len(views) == {few: 1, many: 60, None: 61}[user_id]
    assert counts[few] == counts[many] == counts[None]
    assert counts[few] <= 6, counts
    views = {v.bot.config.name: v for v in overview.bot_views(manage_uow, CLOCK, Actor.user(many))}
    assert (views["b0"].today.entries, views["b0"].today.realized_pnl) == (2, Decimal("1.5"))
    assert views["b1"].today == DayTally(today)  # yesterday's tally is not today's
    assert {v.account for v in views.values()} == {"paper0", "paper1", "paper2"}
    assert {v.owner for v in views.values()} == {"many@example.com"}

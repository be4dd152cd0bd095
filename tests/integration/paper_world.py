"""One paper bot on a replayed market and a simulated venue that keeps its state in a file:
the world of the reconciliation tests, where a runner stops, the venue's state is kept or
lost, and a runner starts again."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text

from tests.integration.db_builders import paper_account, spot_config
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bootstrap.venues import PaperExchanges
from tradewind.bot_config import BotConfig
from tradewind.domain.bots import BotState
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.types import PositionType
from tradewind.services.scheduler import run_slot, slots_between
from tradewind.services.tick import TickDeps, TickOutcome

START = datetime(2024, 1, 1, tzinfo=UTC)
T0 = int(START.timestamp())
DAYS = 3
EXITS = (OrderPurpose.STOP_LOSS, OrderPurpose.TAKE_PROFIT)


class PaperWorld:
    """One active bot of one owner on a paper account, ticked slot by slot from `start_at`
    by a runner that may stop and start again (`start`)."""

    def __init__(
        self,
        engine: Engine,
        tick_uow: Callable[[], SqlUnitOfWork],
        manage_uow: Callable[[], SqlManageUnitOfWork],
        state_path: Path,
        config: BotConfig,
        *,
        futures_usdt: Decimal | None = None,
        start_at: int = T0,
    ) -> None:
        candles = generate_market(DAYS * 1440, 60, seed=11, start_price=42_000, start_time=START)
        self.market = ReplayMarketData({"BTCUSDT": candles})
        self.clock = ReplayClock(start_at)
        self.engine, self.tick_uow, self.manage_uow = engine, tick_uow, manage_uow
        self.state_path = state_path
        self.futures_usdt = futures_usdt
        account = paper_account(0)
        if futures_usdt is not None:
            account = replace(
                account, paper_balances={PositionType.FUTURES: {"USDT": futures_usdt}}
            )
        with manage_uow() as uow:
            user = uow.users.add("owner@example.com", "Owner", T0)
            account = uow.accounts.add(replace(account, user_id=user.id))
            bot = uow.bots.add(user.id, account.id, config, T0)
            uow.bots.set_active(bot.id, True)
            uow.commit()
        self.bot_id, self.account_id, self.user_id = bot.id, account.id, user.id
        self.start(keep_venue=True)

    def start(self, *, keep_venue: bool) -> None:
        """Start a runner: its venue from the saved state, or a fresh one (state lost)."""
        if not keep_venue:
            self.state_path.unlink()
        self.venue = SimulatedVenue(self.market, self.clock, seed=3, state_path=self.state_path)
        if self.futures_usdt is not None:
            self.venue.account(self.account_id, futures_balances={"USDT": self.futures_usdt})
        self.deps = TickDeps(
            uow=self.tick_uow, exchanges=PaperExchanges(self.venue), market_data=self.market,
            lock=make_bot_lock(self.engine), clock=self.clock,
        )  # fmt: skip

    def tick_until(self, stop: Callable[[], bool]) -> list[TickOutcome]:
        """Tick slot by slot from the clock's time until `stop()`; return the outcomes."""
        outcomes: list[TickOutcome] = []
        for slot in slots_between(self.clock.now(), T0 + DAYS * 1440 * 60):
            self.clock.set(slot)
            outcomes.extend(run_slot(self.deps, [self.bot_id], slot).outcomes.elements())
            if stop():
                return outcomes
        raise AssertionError("the condition never came")

    def state(self) -> BotState:
        with self.manage_uow() as uow:
            bot = uow.bots.get(self.bot_id)
        assert bot is not None
        return bot.state

    def protected(self) -> bool:
        position = self.state().position
        return position is not None and set(position.protection) >= set(EXITS)

    def order_count(self) -> int:
        with self.manage_uow() as uow:
            return len(uow.orders.recent(bot_id=self.bot_id, limit=10_000))

    def errors(self, cause: str | None = None) -> list[dict[str, object]]:
        """The owner's `bot_error` events (of one cause, if given), oldest first."""
        with self.engine.connect() as db:
            rows = db.execute(
                text("SELECT payload FROM outbox WHERE event_type = 'bot_error' ORDER BY id")
            )
            payloads = [p if isinstance(p, dict) else json.loads(p) for (p,) in rows]
        return [p for p in payloads if cause is None or p["cause"] == cause]


def spot_world(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    tmp_path: Path,
) -> PaperWorld:
    """A spot bot of 100 USDT an entry, with a 1 % stop-loss and a 1.5 % take-profit."""
    config = spot_config(custom_stop_loss=1, custom_take_profit="1.5", position_size_fixed="100")
    return PaperWorld(engine, tick_uow, manage_uow, tmp_path / "paper-venue.json", config)


def futures_world(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    tmp_path: Path,
) -> PaperWorld:
    """A flat futures bot (2×) with 10,000 USDT in its futures wallet, an hour in."""
    config = spot_config("fut-btc", position_type="futures", leverage=2)
    return PaperWorld(
        engine, tick_uow, manage_uow, tmp_path / "venue.json", config,
        futures_usdt=Decimal(10_000), start_at=T0 + 3600,
    )  # fmt: skip

"""Ticks in batches (`run_ticks`) decide what ticks one by one decide, on both databases.

Two identical sets of bots on identical paper accounts trade the same generated market:
one set ticked bot by bot with `run_tick`, the other in batches (the ticks that call the
exchange on three threads). Their orders and trades must match field by field (but the
exchange's own ids).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from tests.integration.db_builders import paper_account, spot_config
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.locks import AdvisoryBotLock, LocalBotLock, make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bootstrap.venues import PaperExchanges
from tradewind.bot_config import BotConfig
from tradewind.domain.bots import BotState
from tradewind.domain.candles import Candles
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.domain.types import PositionType
from tradewind.ports import BotLock, MarketData
from tradewind.services.scheduler import slots_between
from tradewind.services.tick import TickDeps, TickOutcome, run_tick, run_ticks
from tradewind.services.tick.batch import run_ticks_one_by_one

START = datetime(2024, 1, 1, tzinfo=UTC)
T0 = int(START.timestamp())
HISTORY = 1440
FUTURES_USDT = {"USDT": Decimal(1_000)}
on_postgres = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
# Bots that trade often on the generated market: entries, protective exits, closes.
CONFIGS: list[dict[str, object]] = [
    {"custom_stop_loss": "0.3", "custom_take_profit": "0.4", "position_size_fixed": "100",
     "custom_ema_fast": 3, "custom_ema_slow": 7},
    {"custom_trailing_stop": "0.3", "position_size_perc": 5, "custom_ema_fast": 4,
     "custom_ema_slow": 9},
    {"position_size_fixed": "50", "custom_ema_fast": 3, "custom_ema_slow": 8},
    {"position_type": "futures", "leverage": 5, "custom_stop_loss": "0.5",
     "position_size_fixed": "40", "custom_ema_fast": 3, "custom_ema_slow": 7},
    {"timeframe": "3m", "custom_take_profit": "0.5", "position_size_fixed": "30",
     "custom_ema_fast": 3, "custom_ema_slow": 6},
]  # fmt: skip


class BrokenFor:
    """Market data that raises (a bug, not an exchange failure) for one symbol."""

    def __init__(self, inner: MarketData, symbol: str) -> None:
        self._inner, self._symbol = inner, symbol

    def closed_candles(
        self, symbol: str, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        if symbol == self._symbol:
            raise RuntimeError(f"no candles of {symbol}: a bug")
        return self._inner.closed_candles(symbol, timeframe, position_type, until, limit)


class Twins:
    """The same bots twice, each on a paper account of its own, over one market."""

    def __init__(
        self,
        engine: Engine,
        tick_uow: Callable[[], SqlUnitOfWork],
        manage_uow: Callable[[], SqlManageUnitOfWork],
    ) -> None:
        candles = generate_market(HISTORY + 240, 60, seed=5, start_price=42_000, start_time=START)
        self.market = ReplayMarketData({"BTCUSDT": candles, "ETHUSDT": candles})
        self.clock = ReplayClock(T0)
        venue = SimulatedVenue(self.market, self.clock, seed=3)
        self.deps = TickDeps(
            uow=tick_uow, exchanges=PaperExchanges(venue), market_data=self.market,
            lock=make_bot_lock(engine), clock=self.clock,
        )  # fmt: skip
        self.manage_uow = manage_uow
        self.single: list[int] = []
        self.batched: list[int] = []
        with manage_uow() as uow:
            for twin in (self.single, self.batched):
                for n, fields in enumerate(CONFIGS):
                    user = uow.users.add(f"u{len(twin)}-{id(twin)}@example.com", None, T0)
                    account = paper_account(user.id)
                    balances = {**account.paper_balances, PositionType.FUTURES: FUTURES_USDT}
                    stored = uow.accounts.add(replace(account, paper_balances=balances))
                    config = spot_config(f"bot{n}", **fields)
                    bot = uow.bots.add(user.id, stored.id, config, T0)
                    uow.bots.set_active(bot.id, True)
                    twin.append(bot.id)
            uow.commit()

    def run(self, minutes: int, batch: int = 5) -> Counter[TickOutcome]:
        outcomes: Counter[TickOutcome] = Counter()
        first = T0 + HISTORY * 60
        for slot in slots_between(first, first + minutes * 60):
            self.clock.set(slot)
            for bot_id in self.single:
                outcomes[run_tick(self.deps, bot_id, slot)] += 1
            for i in range(0, len(self.batched), batch):
                results = run_ticks(self.deps, self.batched[i : i + batch], slot, threads=3)
                outcomes.update(r.outcome for r in results.values())
        return outcomes

    def orders(self, bot_id: int) -> list[OrderRecord]:
        with self.manage_uow() as uow:
            return list(reversed(uow.orders.recent(bot_id=bot_id, limit=10_000)))

    def trades(self, bot_id: int) -> list[TradeRecord]:
        with self.manage_uow() as uow:
            return list(reversed(uow.trades.recent(bot_id=bot_id, limit=10_000)))


def _order_facts(order: OrderRecord) -> tuple[object, ...]:
    return (
        order.slot, order.purpose, order.side, order.status, order.requested_qty,
        order.filled_qty, order.avg_price, order.fee, order.reason,
    )  # fmt: skip


def _trade_facts(trade: TradeRecord) -> tuple[object, ...]:
    return (trade.side, trade.purpose, trade.price, trade.quantity, trade.fee, trade.realized_pnl)


def _state_facts(state: BotState) -> BotState:
    """Return the state with its client order ids stripped of the bot's id."""
    position = state.position
    if position is not None:
        position = replace(
            position,
            entry_client_order_id=_no_bot(position.entry_client_order_id),
            protection={p: _no_bot(c) for p, c in position.protection.items()},
        )
    return replace(state, position=position)


def _no_bot(client_order_id: str) -> str:
    return client_order_id.split("-", 1)[1]


@pytest.fixture
def twins(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> Twins:
    return Twins(engine, tick_uow, manage_uow)


def test_bots_ticked_in_batches_trade_exactly_as_bots_ticked_one_by_one(twins: Twins) -> None:
    outcomes = twins.run(minutes=120)

    assert set(outcomes) == {TickOutcome.DECIDED}
    traded = 0
    for single, batched in zip(twins.single, twins.batched, strict=True):
        assert [_order_facts(o) for o in twins.orders(batched)] == [
            _order_facts(o) for o in twins.orders(single)
        ]
        assert [_trade_facts(t) for t in twins.trades(batched)] == [
            _trade_facts(t) for t in twins.trades(single)
        ]
        with twins.manage_uow() as uow:
            one, other = uow.bots.get(single), uow.bots.get(batched)
        assert one is not None
        assert other is not None
        assert _state_facts(other.state) == _state_facts(one.state)
        traded += len(twins.trades(single))
    assert traded >= 10  # the comparison saw entries and exits, not only waiting


def test_a_batch_skips_the_slots_already_claimed_and_the_bots_another_tick_holds(
    twins: Twins, engine: Engine
) -> None:
    slot = T0 + HISTORY * 60 + 60
    twins.clock.set(slot)
    first, second, third = twins.batched[:3]
    assert run_tick(twins.deps, first, slot) is TickOutcome.DECIDED
    # A tick elsewhere (another worker; on SQLite, another thread) holds the second bot.
    other_lock: BotLock = (
        AdvisoryBotLock(engine)
        if engine.dialect.name == "postgresql"
        else LocalBotLock(scope=engine.url.render_as_string(hide_password=True))
    )
    assert other_lock.try_acquire(second)
    try:
        results = run_ticks(twins.deps, [first, second, third], slot)
    finally:
        other_lock.release(second)
    assert [r.outcome for r in results.values()] == [
        TickOutcome.SLOT_TAKEN,
        TickOutcome.BUSY,
        TickOutcome.DECIDED,
    ]
    again = run_ticks(twins.deps, [first, second, third], slot)
    assert [r.outcome for r in again.values()] == [
        TickOutcome.SLOT_TAKEN,
        TickOutcome.DECIDED,
        TickOutcome.SLOT_TAKEN,
    ]


def test_a_bot_that_raises_takes_back_its_batch_s_claims_and_one_by_one_it_fails_alone(
    twins: Twins, engine: Engine
) -> None:
    slot = T0 + HISTORY * 60 + 60
    twins.clock.set(slot)
    with twins.manage_uow() as uow:
        broken = uow.bots.add(
            uow.users.all()[0].id,
            uow.accounts.of_user(uow.users.all()[0].id)[0].id,
            BotConfig.model_validate(
                {"name": "eth", "symbol": "ETHUSDT", "timeframe": "1m", "position_type": "spot"}
            ),
            T0,
        )
        uow.bots.set_active(broken.id, True)
        uow.commit()
    deps = TickDeps(
        twins.deps.uow, twins.deps.exchanges, BrokenFor(twins.market, "ETHUSDT"),
        twins.deps.lock, twins.clock,
    )  # fmt: skip
    batch = [*twins.batched[:2], broken.id, twins.batched[2]]

    with pytest.raises(RuntimeError, match="a bug"):
        run_ticks(deps, batch, slot)
    with engine.connect() as connection:
        claims = connection.execute(text("SELECT count(*) FROM tick_slots")).scalar_one()
    assert claims == 0  # nothing half-written: every claim of the batch was taken back

    results = run_ticks_one_by_one(deps, batch, slot)
    assert [r.outcome for r in results.values()] == [
        TickOutcome.DECIDED,
        TickOutcome.DECIDED,
        TickOutcome.FAILED,
        TickOutcome.DECIDED,
    ]

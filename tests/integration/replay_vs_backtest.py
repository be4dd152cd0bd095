"""One bot, two ways, on the same 1m candles: replayed through the real tick on a real
database and the simulated exchange, and backtested. Both give their trades as the same
rows, so a test compares them whole: (entry time, entry price, quantity, entry fee, exit
time, exit price, exit fee, exit reason, PnL), the still-open position with no exit.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import Engine

from tests.integration.db_builders import paper_account
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.bootstrap.venues import PaperExchanges
from tradewind.bot_config import BotConfig
from tradewind.domain.candles import Candles
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.services.backtest import BacktestSpec, run_backtest
from tradewind.services.backtest.feed import backtest_feed
from tradewind.services.scheduler import run_replay
from tradewind.services.tick import TickDeps

Row = tuple[object, ...]
REASONS = {"signal": "close"}  # the backtest's exit reason -> the order purpose recorded


def replayed(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    minutes: Candles,
    config: BotConfig,
) -> list[Row]:
    """Replay `config` as `tradewind run --replay` does; return its trades as rows."""
    market = ReplayMarketData({config.symbol: minutes})
    start, end = market.span()
    clock = ReplayClock(start)
    venue = SimulatedVenue(market, clock, seed=3, market_end=end)
    deps = TickDeps(
        uow=tick_uow, exchanges=PaperExchanges(venue), market_data=market,
        lock=make_bot_lock(engine), clock=clock,
    )  # fmt: skip
    with manage_uow() as uow:
        user = uow.users.add("owner@example.com", "Owner", start)
        account = uow.accounts.add(paper_account(user.id))
        bot = uow.bots.add(user.id, account.id, config, start)
        uow.bots.set_active(bot.id, True)
        uow.commit()
    run_replay(deps, clock.set, start, end)
    with manage_uow() as uow:
        fills = sorted(
            uow.trades.recent(bot_id=bot.id, limit=100_000),
            key=lambda t: (t.timestamp, t.purpose is not OrderPurpose.ENTRY),
        )
    rows: list[Row] = []
    for i in range(0, len(fills), 2):
        entry = fills[i]
        assert entry.purpose is OrderPurpose.ENTRY, entry
        row: Row = (entry.timestamp, entry.price, entry.quantity, entry.fee)
        if i + 1 < len(fills):
            exit_ = fills[i + 1]
            row += (exit_.timestamp, exit_.price, exit_.fee, exit_.purpose.value,
                    exit_.realized_pnl)  # fmt: skip
        else:
            row += (None, None, None, None, None)
        rows.append(row)
    return rows


def backtested(minutes: Candles, config: BotConfig) -> list[Row]:
    """Backtest `config` on the bot's candles built from `minutes`, exits on the minutes;
    its trades as rows."""
    feed = backtest_feed(minutes, timeframe_seconds(config.timeframe))
    spec = BacktestSpec(
        position_type=config.position_type,
        rules=rules_for(config.symbol, config.position_type),
        strategy=config.strategy_choice(),
        exits=config.exit_rules(),
        sizing=config.sizing_rule(),
        limits=config.daily_limits(),
        initial_balance=Decimal(10_000),
    )
    result = run_backtest(feed, spec)
    trips = list(result.trades)
    if result.open_position is not None and result.open_position not in trips:
        trips.append(result.open_position)
    return [
        (t.entry_time, t.entry_price, t.quantity, t.entry_fee, t.exit_time, t.exit_price,
         t.exit_fee, None if t.exit_reason is None else
         REASONS.get(t.exit_reason.value, t.exit_reason.value), t.pnl)
        for t in trips
    ]  # fmt: skip

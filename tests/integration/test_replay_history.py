"""Long indicator periods: the tick reads the history its strategy needs, so a replayed
EMA 100/400 bot makes exactly the backtest's trades (issue 12, item 4)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from tests.conftest import shared_file
from tests.integration.db_builders import spot_config
from tests.integration.replay_vs_backtest import backtested, replayed
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.replay import _window

SLOW = spot_config(
    strategy={"name": "ema_rsi", "ema_fast": 100, "ema_slow": 400},
    custom_stop_loss=1, custom_take_profit="1.5", position_size_fixed="100",
)  # fmt: skip


def test_an_ema_100_400_bot_replayed_makes_the_backtests_trades(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:
    month = read_candles_csv(shared_file("BTCUSDT-1m-binanceus-2023-03.csv"))
    days = _window(month, 0, 3 * 1440)
    expected = backtested(days, SLOW)
    # Trades decided after the first 1,000 candles, where a fixed 1,000-candle window
    # would hold EMA(400)s still remembering their cut start.
    assert sum(row[0] > int(days.open_time[1_000]) for row in expected) >= 3  # type: ignore[operator]
    assert replayed(engine, tick_uow, manage_uow, days, SLOW) == expected

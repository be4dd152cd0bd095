"""At the end of the data a replay leaves the position open, as the backtest does and
docs/strategy.md says: a decision at the last candle's close has no candle to fill on
(issue 12, item 6)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from tests.conftest import shared_file
from tests.integration.db_builders import spot_config
from tests.integration.replay_vs_backtest import backtested, replayed
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.replay import _window

CONFIG = spot_config(
    custom_stop_loss=1, custom_take_profit="1.5", custom_trailing_stop="0.8",
    position_size_fixed="100",
)  # fmt: skip


def test_a_close_signal_on_the_last_candle_leaves_the_position_open_as_in_the_backtest(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
) -> None:
    month = read_candles_csv(shared_file("BTCUSDT-1m-binanceus-2023-03.csv"))
    half_day = _window(month, 0, 720)
    closed_by_signal = [row for row in backtested(half_day, CONFIG) if row[7] == "close"]
    assert len(closed_by_signal) >= 2
    # The data now ends with the candle whose close gave that SELL (it filled at the next open).
    cut = int(closed_by_signal[-1][4])  # type: ignore[call-overload]
    data = _window(half_day, 0, int((half_day.open_time < cut).sum()))
    expected = backtested(data, CONFIG)
    assert expected[-1][:4] == closed_by_signal[-1][:4]
    assert expected[-1][4:] == (None,) * 5  # the backtest leaves it open
    assert replayed(engine, tick_uow, manage_uow, data, CONFIG) == expected

"""Paper trading on the real market: `tradewind run` trades a paper bot on the candles of a
Binance-compatible server (`tradewind exchange serve`, a process of its own on loopback,
pointed at with TRADEWIND_BINANCE_URL) and makes the trades a backtest of the same candles
makes.

The server's market clock (`--manual-clock`) is moved by the test one minute at a time,
each time once the bot has decided the minute before, so every slot is decided whatever
the machine's load.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from tests.conftest import shared_file
from tests.e2e.exchange_process import served_exchange
from tests.e2e.test_replay_parity import tradewind
from tests.integration.db_builders import spot_config
from tests.integration.replay_vs_backtest import Row, backtested
from tests.waiting import SAFETY_S
from tradewind.adapters.db.engine import make_engine, session_factory
from tradewind.adapters.db.tables import BotStateRow
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.replay import _window
from tradewind.domain.orders import OrderPurpose

FLAGS = [
    "--symbol", "BTCUSDT", "--timeframe", "1m", "--position-type", "spot",
    "--custom-stop-loss", "1", "--custom-take-profit", "1.5", "--custom-trailing-stop", "0.8",
    "--position-size-fixed", "100",
]  # fmt: skip
CONFIG = spot_config(
    custom_stop_loss=1, custom_take_profit="1.5", custom_trailing_stop="0.8",
    position_size_fixed="100",
)  # fmt: skip
MINUTE = 60
TRADED_MINUTES = 8 * 60


def test_a_paper_bot_on_the_servers_market_makes_the_backtests_trades(tmp_path: Path) -> None:
    month = shared_file("BTCUSDT-1m-binanceus-2023-03.csv")
    minutes = _window(read_candles_csv(month), 0, 2880)
    with month.open() as f:
        lines = [next(f) for _ in range(1 + len(minutes))]  # the header and those minutes
    trips = backtested(minutes, CONFIG)
    # Start where the backtest is flat, with over 1,000 candles of history behind.
    history_end = int(minutes.open_time[1_100])
    start = next(int(t[4]) for t in trips if t[4] is not None and int(t[4]) >= history_end)  # type: ignore[call-overload]
    stop = start + TRADED_MINUTES * MINUTE
    data = tmp_path / "data"
    tradewind("init", data_dir=data)
    tradewind("user", "add", "ann@example.com", data_dir=data)
    tradewind("account", "add", "--user", "ann@example.com", "--name", "paper",
              "--kind", "paper", data_dir=data)  # fmt: skip
    tradewind("bot", "create", "--user", "ann@example.com", "--name", "live", *FLAGS,
              data_dir=data)  # fmt: skip
    tradewind("bot", "start", "live", data_dir=data)
    engine = make_engine(f"sqlite:///{data / 'tradewind.db'}")
    served = tmp_path / "served"
    served.mkdir()
    with served_exchange(lines, served, Decimal(10_000)) as exchange:
        exchange.set_time(start + 1)  # the candle that opened at `start` is forming
        env_vars = {
            **os.environ, "TRADEWIND_DATA_DIR": str(data), "NO_COLOR": "1",
            "TRADEWIND_BINANCE_URL": exchange.base_url, "TRADEWIND_MARKET_POLL_SECONDS": "0.02",
        }  # fmt: skip
        env_vars.pop("TRADEWIND_DATABASE_URL", None)
        env_vars.pop("TRADEWIND_SECRET_KEY", None)
        run = subprocess.Popen(
            [sys.executable, "-m", "tradewind.entrypoints.cli", "run", "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env_vars,
        )  # fmt: skip
        try:
            assert run.stdout is not None
            said = ""
            while "Ctrl-C" not in said:  # the console may wrap the line
                line = run.stdout.readline()
                assert line, said
                said += line.replace("\n", "")
            assert "paper trading BTCUSDT on the real market" in said, said
            assert exchange.base_url in said
            for slot in range(start + MINUTE, stop + MINUTE, MINUTE):
                exchange.set_time(slot + 1)
                _wait_for_slot(engine, slot, run)
        finally:
            run.send_signal(signal.SIGINT)
            out, _ = run.communicate(timeout=SAFETY_S)
    traded = _paper_trades(engine)
    engine.dispose()
    expected = [
        row[:4] + ((None,) * 5 if row[4] is None or int(row[4]) > stop else row[4:])  # type: ignore[call-overload]
        for row in trips
        if start < int(row[0]) <= stop  # type: ignore[call-overload]
    ]
    assert len(expected) >= 3, expected
    assert traded == expected, out


def _wait_for_slot(engine: object, slot: int, run: subprocess.Popen[str]) -> None:
    """Wait until the bot has decided `slot` (its state names it), or the run died."""
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    while True:
        with engine.connect() as connection:
            last = connection.execute(select(BotStateRow.last_slot)).scalar_one()
        if last is not None and last >= slot:
            return
        assert run.poll() is None, "tradewind run stopped"
        time.sleep(0.01)  # a condition polled, not a timed assert


def _paper_trades(engine: object) -> list[Row]:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    with SqlManageUnitOfWork(session_factory(engine)) as uow:
        fills = sorted(
            uow.trades.recent(limit=100_000),
            key=lambda t: (t.timestamp, t.purpose is not OrderPurpose.ENTRY),
        )
    rows: list[Row] = []
    for i in range(0, len(fills), 2):
        entry = fills[i]
        row: Row = (entry.timestamp, entry.price, entry.quantity, entry.fee)
        if i + 1 < len(fills):
            e = fills[i + 1]
            row += (e.timestamp, e.price, e.fee, e.purpose.value, e.realized_pnl)
        else:
            row += (None,) * 5
        rows.append(row)
    return rows

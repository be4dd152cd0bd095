"""`tradewind demo` end to end: a real process, then its database read back.

Everything asserted about trading comes from the demo's SQLite file through the
repositories, not from the demo's output; the output is only checked for naming its bots.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import shared_file
from tradewind.adapters.db.engine import make_engine, session_factory
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.domain.types import PositionType
from tradewind.ports import Bot
from tradewind.services.demo import DEMO_BOTS, DEMO_EMAIL

CLI = [sys.executable, "-m", "tradewind.entrypoints.cli", "demo"]
SHORT = ["--no-live", "--hours", "4"]  # seed 7 (the default): every bot trades in 4 h
BOT_NAMES = {config.name for config in DEMO_BOTS}
ALL = 1_000_000


def demo(*args: str | Path, home: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `tradewind demo` with the user's own settings pointing somewhere else."""
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "COLUMNS": "160",
        "TMPDIR": str(home),
        # The demo must ignore the installation's settings: these would fail if used.
        "TRADEWIND_DATA_DIR": str(home / "users-own-data"),
        "TRADEWIND_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/not_the_demos",
        "TRADEWIND_SECRET_KEY": "not-a-key",
    }
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env,
        check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@dataclass
class DemoDatabase:
    """What one demo left in its database."""

    bots: list[Bot]
    orders: list[OrderRecord]
    trades: list[TradeRecord]
    counted_entries: int  # from the daily counters
    counted_pnl: Decimal
    account_balances: dict[PositionType, dict[str, Decimal]]


def read_database(data_dir: Path) -> DemoDatabase:
    engine = make_engine(f"sqlite:///{data_dir / 'tradewind.db'}")
    try:
        with SqlManageUnitOfWork(session_factory(engine)) as uow:
            user = uow.users.by_email(DEMO_EMAIL)
            assert user is not None
            bots = uow.bots.find(user_id=user.id)
            (account,) = uow.accounts.of_user(user.id)
            entries, pnl = 0, Decimal(0)
            for bot in bots:
                day = date(2024, 3, 1)
                while day <= date(2024, 3, 10):
                    tally = uow.counters.get(bot.id, day)
                    entries, pnl = entries + tally.entries, pnl + tally.realized_pnl
                    day += timedelta(days=1)
            return DemoDatabase(
                bots=bots,
                orders=uow.orders.recent(limit=ALL),
                trades=uow.trades.recent(limit=ALL),
                counted_entries=entries,
                counted_pnl=pnl,
                account_balances={k: dict(v) for k, v in account.paper_balances.items()},
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def short_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoDatabase, str, Path]:
    home = tmp_path_factory.mktemp("demo")
    data_dir = home / "demo-data"
    done = demo(*SHORT, "--data-dir", data_dir, home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    return read_database(data_dir), done.stdout, home


def test_the_demo_creates_three_started_bots_on_one_paper_account_with_10000_usdt(
    short_demo: tuple[DemoDatabase, str, Path],
) -> None:
    db, _, _ = short_demo
    assert {bot.config.name for bot in db.bots} == BOT_NAMES
    assert all(bot.active for bot in db.bots)
    assert len({bot.account_id for bot in db.bots}) == 1
    assert db.account_balances == {PositionType.SPOT: {"USDT": Decimal(10_000)}}
    markets = {(b.config.symbol, b.config.timeframe, b.config.position_type) for b in db.bots}
    assert markets == {
        ("BTCUSDT", "1m", PositionType.SPOT),
        ("ETHUSDT", "5m", PositionType.SPOT),
        ("BTCUSDT", "1m", PositionType.FUTURES),
    }
    (futures,) = [b for b in db.bots if b.config.position_type is PositionType.FUTURES]
    assert futures.config.leverage == 10
    assert futures.config.auto_transfer_funds  # its margin comes from the spot wallet


def test_each_bot_opens_and_closes_positions_in_a_short_demo(
    short_demo: tuple[DemoDatabase, str, Path],
) -> None:
    db, _, _ = short_demo
    for bot in db.bots:
        trades = [t for t in db.trades if t.bot_id == bot.id]
        purposes = Counter(t.purpose for t in trades)
        assert purposes[OrderPurpose.ENTRY] >= 1, bot.config.name
        assert sum(purposes.values()) - purposes[OrderPurpose.ENTRY] >= 1, bot.config.name


def test_every_filled_order_has_exactly_one_trade_with_its_fill(
    short_demo: tuple[DemoDatabase, str, Path],
) -> None:
    db, _, _ = short_demo
    trades_of = Counter(t.client_order_id for t in db.trades)
    filled = [o for o in db.orders if o.filled_qty > 0]
    assert filled
    assert {o.client_order_id for o in filled} == set(trades_of)
    assert all(trades_of[o.client_order_id] == 1 for o in filled)
    by_id = {t.client_order_id: t for t in db.trades}
    for order in filled:
        trade = by_id[order.client_order_id]
        assert (trade.bot_id, trade.side, trade.purpose) == (
            order.bot_id,
            order.side,
            order.purpose,
        )
        assert trade.quantity == order.filled_qty
        assert trade.price == order.avg_price
        # A spot buy's fee is taken in its base (BTC, ETH, …); its trade counts it at the
        # fill price, in USDT.
        in_base = order.fee_asset == trade.symbol.removesuffix("USDT")
        assert order.avg_price is not None
        assert trade.fee == (order.fee * order.avg_price if in_base else order.fee)
        assert trade.fee_asset == "USDT"
        assert order.status.is_final or order.status.value == "PARTIALLY_FILLED"


def test_closing_trades_carry_realized_pnl_and_entries_none(
    short_demo: tuple[DemoDatabase, str, Path],
) -> None:
    db, _, _ = short_demo
    for trade in db.trades:
        if trade.purpose is OrderPurpose.ENTRY:
            assert trade.realized_pnl is None
        else:
            assert trade.realized_pnl is not None


def test_positions_and_daily_counters_agree_with_the_trades(
    short_demo: tuple[DemoDatabase, str, Path],
) -> None:
    db, _, _ = short_demo
    for bot in db.bots:
        trades = [t for t in db.trades if t.bot_id == bot.id]
        entries = sum(1 for t in trades if t.purpose is OrderPurpose.ENTRY)
        exits = len(trades) - entries
        assert entries - exits == (0 if bot.state.position is None else 1), bot.config.name
    closing = [t.realized_pnl for t in db.trades if t.realized_pnl is not None]
    assert db.counted_pnl == sum(closing, Decimal(0))
    assert db.counted_entries == sum(1 for t in db.trades if t.purpose is OrderPurpose.ENTRY)


def test_the_summary_names_each_bot_and_how_to_look_further(
    short_demo: tuple[DemoDatabase, str, Path],
) -> None:
    _, stdout, _ = short_demo
    summary = stdout[stdout.index("what each bot did") :]
    for name in BOT_NAMES:
        assert name in summary
    assert "TRADEWIND_DATA_DIR=" in summary
    assert "tradewind trades" in summary


def test_the_summary_names_exits_in_the_one_vocabulary_and_rounds_money(
    short_demo: tuple[DemoDatabase, str, Path],
) -> None:
    db, stdout, _ = short_demo
    summary = " ".join(stdout[stdout.index("what each bot did") :].split())
    exits_row = summary[summary.index("exits by") : summary.index("orders")]
    named = set(re.findall(r"([a-z_]+) \d+", exits_row))
    assert named, exits_row
    assert named <= {"signal", "stop_loss", "take_profit", "trailing_stop"}, exits_row
    # Every PnL a person reads is to the cent; the database keeps every decimal.
    for pnl in re.findall(r"PnL ([-+]?[\d,.]+)", summary):
        assert re.fullmatch(r"[-+]?[\d,]+\.\d\d", pnl), pnl
    for bot in db.bots:
        reason = bot.state.reason or ""
        if reason.startswith("closed by"):
            assert re.fullmatch(r"closed by [a-z_]+: PnL [-+][\d,]+\.\d\d USDT", reason), reason


def test_the_demo_leaves_the_users_own_settings_alone(
    short_demo: tuple[DemoDatabase, str, Path],
) -> None:
    _, _, home = short_demo
    assert not (home / "users-own-data").exists()


def test_a_folder_that_no_demo_made_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    done = demo("--no-live", "--hours", "0.1", "--data-dir", folder, home=tmp_path)
    assert done.returncode == 2
    assert "--data-dir" in done.stderr
    assert "not empty" in done.stderr
    assert "Traceback" not in done.stderr
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_an_earlier_demos_folder_is_started_over(tmp_path: Path) -> None:
    folder = tmp_path / "again"
    for _ in range(2):
        done = demo("--no-live", "--hours", "0.2", "--data-dir", folder, home=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "started over" in done.stdout
    db = read_database(folder)
    assert sorted(bot.id for bot in db.bots) == [1, 2, 3]


@pytest.mark.slow
def test_the_demo_with_no_flags_completes_in_a_new_temporary_folder(tmp_path: Path) -> None:
    done = demo(home=tmp_path, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (made,) = tmp_path.glob("tradewind-demo-*")
    db = read_database(made)
    traded = {bot.config.name for bot in db.bots if any(t.bot_id == bot.id for t in db.trades)}
    assert traded == BOT_NAMES


def test_csv_files_that_miss_a_demo_symbol_are_refused_before_anything_is_made(
    tmp_path: Path,
) -> None:
    candles = shared_file("BTCUSDT-1m-binanceus-2023-03.csv")
    folder = tmp_path / "never"
    done = demo("--no-live", "--csv", f"BTCUSDT={candles}", "--data-dir", folder, home=tmp_path)
    assert done.returncode == 2
    assert "ETHUSDT" in done.stderr
    assert not folder.exists()


def test_the_demo_replays_candle_files_after_a_warm_up(tmp_path: Path) -> None:
    candles = shared_file("BTCUSDT-1m-binanceus-2023-03.csv")
    folder = tmp_path / "csv"
    done = demo("--no-live", "--hours", "3", "--csv", candles, "--data-dir", folder, home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    db = read_database(folder)
    # The file starts on 2023-03-01; its first day warms the indicators up.
    replay_start = datetime(2023, 3, 2, tzinfo=UTC).timestamp()
    assert db.trades
    for trade in db.trades:
        assert replay_start <= trade.timestamp <= replay_start + 3 * 3_600

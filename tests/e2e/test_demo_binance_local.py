"""`tradewind demo --exchange binance-local`: the live path end to end, read back.

The demo's bots trade through the Binance adapter over HTTP to the local Binance-compatible
server; what they did is read from the demo's database.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.e2e.test_demo import BOT_NAMES, SHORT, DemoDatabase, demo, read_database
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.types import PositionType


@pytest.fixture(scope="module")
def binance_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoDatabase, str]:
    home = tmp_path_factory.mktemp("binance-demo")
    data_dir = home / "demo-data"
    done = demo(*SHORT, "--exchange", "binance-local", "--data-dir", data_dir, home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    return read_database(data_dir), done.stdout


def test_the_bots_trade_through_the_binance_adapter_over_http(
    binance_demo: tuple[DemoDatabase, str],
) -> None:
    db, stdout = binance_demo
    assert "binance account 'binance-local'" in stdout
    assert "Binance adapter over HTTP" in stdout
    assert {bot.config.name for bot in db.bots} == BOT_NAMES
    assert db.account_balances == {}  # a Binance account: its money is on the exchange
    for bot in db.bots:
        purposes = Counter(t.purpose for t in db.trades if t.bot_id == bot.id)
        assert purposes[OrderPurpose.ENTRY] >= 1, bot.config.name


def test_every_fill_is_one_trade_and_the_books_agree(
    binance_demo: tuple[DemoDatabase, str],
) -> None:
    db, _ = binance_demo
    filled = [o for o in db.orders if o.filled_qty > 0]
    assert Counter(t.client_order_id for t in db.trades) == Counter(
        o.client_order_id for o in filled
    )
    assert all(o.exchange_order_id for o in filled)
    closing = [t.realized_pnl for t in db.trades if t.realized_pnl is not None]
    assert db.counted_pnl == sum(closing)
    assert db.counted_entries == sum(1 for t in db.trades if t.purpose is OrderPurpose.ENTRY)
    futures = [b for b in db.bots if b.config.position_type is PositionType.FUTURES]
    assert futures
    assert any(t.bot_id == futures[0].id for t in db.trades)  # margin moved over by transfer

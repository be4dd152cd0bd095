"""The bot page's candlestick chart and the backtests in a real headless Chromium.

Ann's bot has fills (an entry, a stop-loss exit, a closing signal) on the market its chart
reads (a generated one): the chart shows its candles, its strategy's three indicators and
one marker per fill, coloured by reason. The bot form's "backtest this first" gives a
summary before the bot is made; the backtest page runs one to its report.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_dashboard import CHROMIUM, browser, shot, sign_in
from tests.integration.api_harness import TRADES_AT, _person, open_store, served
from tradewind.adapters.db.engine import make_engine, migrate
from tradewind.adapters.db.unit_of_work import SqlUnitOfWork
from tradewind.bootstrap.store import Store
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.records import TradeRecord
from tradewind.domain.types import Side, Symbol

__all__ = ["browser"]  # the fixture, shared with the dashboard's test

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (make browser installs it)"
)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Store, str, int]]:
    url = f"sqlite:///{tmp_path / 'tradewind.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    store = open_store(url, tmp_path, backtest_max_candles=5_000)
    try:
        with served(store) as base_url:
            ann = _person(store, base_url, "ann@example.com")  # a bot with a closing fill
            for at, purpose in ((600, OrderPurpose.ENTRY), (1_200, OrderPurpose.STOP_LOSS)):
                _fill(store, ann.bot_id, ann.user_id, TRADES_AT + at, purpose)
            yield store, base_url, ann.bot_id
    finally:
        store.close()


def _fill(store: Store, bot_id: int, user_id: int, at: int, purpose: OrderPurpose) -> None:
    trade = TradeRecord(
        bot_id=bot_id, user_id=user_id, exchange_order_id=f"x{at}", client_order_id=f"c{at}",
        symbol=Symbol("BTCUSDT"), side=Side.BUY if purpose is OrderPurpose.ENTRY else Side.SELL,
        order_type="MARKET", purpose=purpose, price=Decimal(42_000), quantity=Decimal("0.001"),
        quote_quantity=Decimal(42), fee=Decimal(0), fee_asset="USDT",
        realized_pnl=None if purpose is OrderPurpose.ENTRY else Decimal("-0.5"), timestamp=at,
    )  # fmt: skip
    with SqlUnitOfWork(store.sessions, store.secrets) as uow:
        uow.trades.add(trade)
        uow.commit()


def test_the_bot_page_charts_candles_indicators_and_fills_and_backtests_run(
    site: tuple[Store, str, int], browser: Browser, tmp_path: Path
) -> None:
    _, base_url, bot_id = site
    expect.set_options(timeout=120_000)
    ann = sign_in(browser, base_url, "ann@example.com")
    ann.goto(f"{base_url}/#/bots/{bot_id}")
    chart = ann.locator("#candle-chart")
    expect(chart.locator(".candle")).to_have_count(200)
    expect(chart.locator(".indicator")).to_have_count(3)  # ema 8, ema 21, rsi 7
    expect(chart.locator(".marker")).to_have_count(3)
    expect(chart.locator(".marker[data-reason=stop_loss][data-kind=exit]")).to_have_count(1)
    expect(chart.locator(".marker[data-reason=entry][data-kind=entry]")).to_have_count(1)
    expect(chart.locator(".marker[data-reason=stop_loss] title")).to_contain_text("PnL -0.5")
    expect(ann.locator(".legend")).to_contain_text("stop loss")
    shot(ann, "bot-chart", tmp_path)

    ann.click("text=New bot")
    ann.fill("#bot-form input[name=name]", "eth-15m")
    ann.fill("#bot-form input[name=symbol]", "ETHUSDT")
    ann.select_option("#bot-form select[name=timeframe]", "15m")
    ann.fill("#bot-form input[name=custom_stop_loss]", "2")
    ann.click("#backtest-first-button")
    expect(ann.locator("#backtest-first")).to_contain_text("trades,", timeout=240_000)
    expect(ann.locator("#backtest-first")).to_contain_text("on 2000 candles")

    ann.click("text=Backtests")
    ann.select_option("#backtest-form select[name=source]", "generated")
    ann.fill("#backtest-form input[name=candles]", "3000")
    ann.click("#backtest-form button[type=submit]")
    expect(ann.locator("#backtest-summary")).to_contain_text("3000", timeout=240_000)
    expect(ann.locator("#equity-chart path.equity")).to_have_count(1)
    shot(ann, "backtest", tmp_path)
    ann.click("text=Backtests")
    expect(ann.locator("[data-job]")).to_have_count(2)

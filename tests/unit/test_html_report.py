"""The interactive HTML report: self-contained, bounded in size, every trade in its table."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType, Symbol
from tradewind.entrypoints.cli.html_report import MAX_BARS, render_html
from tradewind.services.backtest.request import BacktestRequest, run_request


class Sources:
    def read_candles(self, path: Path) -> object:
        raise AssertionError

    def stored_candles(self, symbol: str, timeframe: str, market: PositionType) -> None:
        return None

    def generate_candles(self, count: int, interval: int, seed: int, symbol: str) -> object:
        return generate_market(count, interval, seed=seed)

    def rules(self, symbol: str, market: PositionType, exchange_info: Path | None) -> MarketRules:
        return MarketRules(Symbol(symbol), market, "BTC", "USDT", tick_size=Decimal("0.01"),
                           step=Decimal("0.00001"), min_notional=Decimal(5))  # fmt: skip


def test_the_page_needs_no_network_and_holds_every_trade_and_at_most_max_bars() -> None:
    request = BacktestRequest(
        csv=None, config_file=None, exchange_info=None, generated_candles=20_000, seed=4,
        initial_balance=Decimal(10_000), fee_rate=None,
        config_fields={"custom_stop_loss": "1", "custom_take_profit": "2"},
    )  # fmt: skip
    outcome = run_request(request, Sources())  # type: ignore[arg-type]
    page = render_html(outcome)
    assert not re.search(r"(src|href)=\"?(https?:)?//", page)  # nothing fetched from anywhere
    data = json.loads(re.search(r'id="data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert len(data["bars"]["t"]) <= MAX_BARS
    assert len(data["trades"]) == len(outcome.result.trades)
    assert {"ema 8", "ema 21"} <= set(data["overlays"])
    assert set(data["oscillators"]) == {"rsi 7"}
    reasons = {t["reason"] for t in data["trades"]}
    assert reasons <= {"stop_loss", "take_profit", "trailing_stop", "signal", "open"}
    assert "max drawdown" in page


def test_every_strategy_charts_one_value_per_candle_for_each_indicator() -> None:
    from tradewind.domain.strategies import STRATEGIES

    candles = generate_market(500, 60, seed=1)
    for strategy in STRATEGIES.values():
        series = strategy.indicators(candles, strategy.params_type())
        assert series, strategy.name
        assert all(values.shape == (500,) for values in series.values()), strategy.name

"""The backtest use case on fake sources: what it asks the ports for, and what it refuses."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.timeframes import TIMEFRAME_SECONDS
from tradewind.domain.types import PositionType
from tradewind.services.backtest.request import BacktestRequest, run_request


class FakeSources:
    """Candles of a given interval for any file, a generated market, rules with a leverage cap."""

    def __init__(
        self, file_interval: int = 300, max_leverage: int = 20, stored: Candles | None = None
    ) -> None:
        self.file_interval = file_interval
        self.max_leverage = max_leverage
        self.stored = stored
        self.asked: list[tuple[object, ...]] = []

    def stored_candles(self, symbol: str, timeframe: str, market: PositionType) -> Candles | None:
        self.asked.append(("stored", symbol, timeframe, market))
        stored = self.stored
        return (
            stored if stored and stored.interval_seconds == TIMEFRAME_SECONDS[timeframe] else None
        )

    def read_candles(self, path: Path) -> Candles:
        self.asked.append(("read", path))
        return generate_market(500, self.file_interval, seed=1)

    def generate_candles(
        self, count: int, interval_seconds: int, seed: int, symbol: str
    ) -> Candles:
        self.asked.append(("generate", count, interval_seconds, seed, symbol))
        return generate_market(count, interval_seconds, seed=seed)

    def rules(
        self, symbol: str, position_type: PositionType, exchange_info: Path | None
    ) -> MarketRules:
        self.asked.append(("rules", symbol, position_type, exchange_info))
        return MarketRules(
            symbol, position_type, symbol.removesuffix("USDT"), "USDT", step=Decimal("0.00001"),
            max_leverage=self.max_leverage if position_type is PositionType.FUTURES else 0,
        )  # fmt: skip


def _request(csv: Path | None = None, **fields: object) -> BacktestRequest:
    return BacktestRequest(
        csv=csv, config_file=None, exchange_info=None, generated_candles=400, seed=3,
        initial_balance=Decimal(10_000), fee_rate=None, config_fields=dict(fields),
    )  # fmt: skip


def test_without_a_file_the_market_is_generated_on_the_configs_timeframe() -> None:
    sources = FakeSources()
    outcome = run_request(_request(timeframe="15m"), sources)
    assert sources.asked[0] == ("stored", "BTCUSDT", "1m", PositionType.SPOT)
    assert sources.asked[1] == ("stored", "BTCUSDT", "15m", PositionType.SPOT)
    assert sources.asked[2] == ("generate", 400, 900, 3, "BTCUSDT")
    assert sources.asked[3] == ("rules", "BTCUSDT", PositionType.SPOT, None)
    assert outcome.source == "generated market of BTCUSDT, seed 3"
    assert outcome.config.timeframe == "15m"


def test_a_files_candles_set_the_timeframe_and_a_finer_one_is_refused() -> None:
    sources = FakeSources(file_interval=300)
    outcome = run_request(_request(Path("eth.csv"), symbol="ETHUSDT"), sources)
    assert outcome.config.timeframe == "5m"
    assert outcome.source == "eth.csv"
    assert outcome.result.exit_seconds == 300
    with pytest.raises(
        ConfigurationError, match=r"^timeframe: a 1m bot cannot be built from candles 5m apart"
    ):
        run_request(_request(Path("eth.csv"), timeframe="1m"), sources)
    with pytest.raises(ConfigurationError, match=r"^timeframe: a 3m bot cannot be built from"):
        run_request(_request(Path("eth.csv"), timeframe="3m"), sources)


def test_a_minute_file_feeds_a_bot_of_any_timeframe_with_exits_on_the_minutes() -> None:
    sources = FakeSources(file_interval=60)
    outcome = run_request(_request(Path("btc.csv"), timeframe="15m"), sources)
    assert outcome.config.timeframe == "15m"
    assert outcome.candles.interval_seconds == 900
    assert len(outcome.candles) == 500 // 15 + 1  # the last one still forming at the end
    assert outcome.result.exit_seconds == 60
    assert outcome.summary.exit_seconds == 60
    assert not any("approximated" in w for w in outcome.warnings)


def test_coarser_candles_run_and_say_the_exits_are_approximated() -> None:
    sources = FakeSources(file_interval=300)
    outcome = run_request(_request(Path("xrp.csv"), timeframe="15m"), sources)
    assert outcome.candles.interval_seconds == 900
    assert outcome.summary.exit_seconds == 300
    assert (
        "exits approximated: checked on the data's 5m candles, where paper and live check "
        "them on every 1m candle (backtest on 1m candles for the same exits)"
    ) in outcome.warnings


def test_futures_leverage_is_capped_at_the_symbols_rules_with_a_warning() -> None:
    outcome = run_request(
        _request(position_type="futures", leverage=50), FakeSources(max_leverage=20)
    )
    assert outcome.spec.leverage == 20
    assert "leverage 50 capped at 20, the maximum BTCUSDT allows" in outcome.warnings


def test_without_a_file_the_stored_series_of_symbol_timeframe_and_market_is_read() -> None:
    stored = generate_market(300, 3600, seed=5)
    sources = FakeSources(stored=stored)
    outcome = run_request(
        _request(symbol="ETHUSDT", timeframe="1h", position_type="futures"), sources
    )
    assert sources.asked[0] == ("stored", "ETHUSDT", "1m", PositionType.FUTURES)
    assert sources.asked[1] == ("stored", "ETHUSDT", "1h", PositionType.FUTURES)
    assert not any(asked[0] == "generate" for asked in sources.asked)
    assert outcome.candles is stored
    assert outcome.source == "candle store, ETHUSDT futures 1h"


def test_a_generated_market_can_be_asked_for_although_the_series_is_stored() -> None:
    sources = FakeSources(stored=generate_market(300, 60, seed=5))
    outcome = run_request(replace(_request(), read_store=False), sources)
    assert outcome.source == "generated market of BTCUSDT, seed 3"
    assert not any(asked[0] == "stored" for asked in sources.asked)


def test_the_stored_minutes_feed_a_bot_of_a_longer_timeframe() -> None:
    sources = FakeSources(stored=generate_market(600, 60, seed=5))
    outcome = run_request(_request(symbol="ETHUSDT", timeframe="5m"), sources)
    assert sources.asked[0] == ("stored", "ETHUSDT", "1m", PositionType.SPOT)
    assert outcome.source == "candle store, ETHUSDT spot 1m"
    assert outcome.candles.interval_seconds == 300
    assert outcome.summary.exit_seconds == 60

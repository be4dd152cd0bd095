"""`tradewind data download` / `data list` and a backtest from the store, against the
project's Binance-compatible server on loopback (started in-process on a manual clock)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.market_script import MINUTE, T0, ManualClock
from tradewind.adapters.exchange.simulated import CandlesPriceFeed, SimulatedVenue
from tradewind.adapters.marketdata.candle_store import ParquetCandleStore
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType, Symbol
from tradewind.entrypoints.cli.main import app
from tradewind.ports.research import SeriesKey
from tradewind.testkit.binance_server.server import BinanceServer

MINUTES = 3_000
HOLE = slice(1_200, 1_230)  # 30 minutes the venue has no candles for (an outage)


def _market() -> Candles:
    full = generate_market(MINUTES, 60, seed=3, start_time=datetime.fromtimestamp(T0, UTC))
    keep = np.ones(MINUTES, dtype=bool)
    keep[HOLE] = False
    return Candles(*(getattr(full, f)[keep] for f in Candles.__dataclass_fields__))


@dataclass
class Env:
    server: BinanceServer
    data_dir: Path
    market: Candles

    def env(self) -> dict[str, str]:
        return {
            "TRADEWIND_BINANCE_URL": self.server.base_url,
            "TRADEWIND_DATA_DIR": str(self.data_dir),
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }

    def run(self, *args: str) -> str:
        result = CliRunner().invoke(app, list(args), env=self.env())
        assert result.exit_code == 0, result.output
        return result.output

    def fails(self, *args: str) -> str:
        result = CliRunner().invoke(app, list(args), env=self.env())
        assert result.exit_code == 2, result.output
        return " ".join(result.output.split())

    def klines_requests(self, path: str = "GET /api/v3/klines") -> int:
        counted = self.server.stats()["requests"]
        assert isinstance(counted, dict)
        return int(counted.get(path, 0))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    market = _market()
    clock = ManualClock(T0 + (MINUTES - 1) * MINUTE + 30)  # the last minute is forming
    feed = CandlesPriceFeed({("BTCUSDT", kind): market for kind in PositionType})
    with BinanceServer(SimulatedVenue(feed, clock, seed=1), seed=1) as server:
        yield Env(server, tmp_path / "data", market)


def _download(env: Env, *args: str) -> dict[str, object]:
    line = env.run("data", "download", "--symbol", "BTCUSDT", "--quiet", *args)
    return dict(json.loads(line))


def test_a_download_stores_the_venues_closed_candles_exactly_and_reports_the_gap(
    env: Env,
) -> None:
    report = _download(env, "--start", "2024-01-01", "--end", str(T0 + 2_500 * MINUTE))
    assert report["stored"] == 2_500 - 30
    assert report["requests"] == 3  # pages of 1,000: the cheapest weight per candle
    assert report["gaps"] == [{"start": T0 + 1_200 * MINUTE, "count": 30}]
    assert report["duplicates"] == 0
    stored = ParquetCandleStore(env.data_dir / "candles").read(
        SeriesKey(PositionType.SPOT, Symbol("BTCUSDT"), "1m")
    )
    assert stored is not None
    wanted = env.market.open_time < T0 + 2_500 * MINUTE
    for name in ("open_time", "open", "high", "low", "close"):
        assert np.array_equal(getattr(stored, name), getattr(env.market, name)[wanted]), name


def test_a_second_download_fetches_only_what_the_store_lacks_and_never_the_forming_candle(
    env: Env,
) -> None:
    _download(env, "--start", str(T0), "--end", str(T0 + 2_500 * MINUTE))
    before = env.klines_requests()
    report = _download(env, "--start", str(T0))  # up to now
    assert env.klines_requests() - before <= 2  # one page, and an empty one: the end
    assert report["fetched"] == 500 - 1  # the candle opening at the server's now is not closed
    assert report["stored"] == MINUTES - 30 - 1
    again = _download(env, "--start", str(T0))
    assert again["fetched"] == 0


def test_futures_candles_of_a_longer_timeframe_are_stored_and_listed(env: Env) -> None:
    report = _download(env, "--market", "futures", "--timeframe", "1h", "--start", str(T0))
    assert report["series"] == "BTCUSDT futures 1h"
    assert report["stored"] == MINUTES // 60 - 1  # the last hour is still forming
    assert env.klines_requests("GET /fapi/v1/klines") <= 2
    listed = json.loads(env.run("data", "list", "--quiet"))
    assert [(s["symbol"], s["market"], s["timeframe"], s["candles"]) for s in listed] == [
        ("BTCUSDT", "futures", "1h", 49)
    ]
    table = env.run("data", "list")
    assert "BTCUSDT" in table
    assert "futures" in table


def test_an_unlisted_symbol_and_a_bad_date_are_refused_by_name(env: Env) -> None:
    message = env.fails("data", "download", "--symbol", "NOPEUSDT", "--start", str(T0))
    assert "symbol: Binance lists no spot symbol 'NOPEUSDT'" in message
    message = env.fails("data", "download", "--symbol", "BTCUSDT", "--start", "yesterday")
    assert "--start: give a UTC date like 2024-01-31" in message
    message = env.fails("data", "download", "--symbol", "BTCUSDT", "--start", str(T0),
                        "--timeframe", "7m")  # fmt: skip
    assert "timeframe: '7m' is not one of 1m" in message


def test_the_backtest_reads_the_stored_series_by_symbol_and_timeframe(env: Env) -> None:
    _download(env, "--start", str(T0), "--timeframe", "5m")
    summary = json.loads(env.run("backtest", "--symbol", "BTCUSDT", "--timeframe", "5m", "--quiet"))
    assert summary["candles"] == MINUTES // 5 - 1 - 6  # the forming one, and the outage's 6
    generated = json.loads(
        env.run("backtest", "--symbol", "BTCUSDT", "--timeframe", "5m", "--quiet", "--generated")
    )
    assert generated["candles"] == 43_200

"""Replays (`run --replay`, the demo's `--csv`) read the candle store by symbol."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradewind.adapters.marketdata.candle_store import ParquetCandleStore
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bootstrap.markets import replay_files
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports.research import SeriesKey


def test_symbol_equals_store_replays_the_stored_spot_minutes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEWIND_CANDLE_DIR", str(tmp_path))
    stored = generate_market(300, 60, seed=2)
    ParquetCandleStore(tmp_path).write(
        SeriesKey(PositionType.SPOT, Symbol("ETHUSDT"), "1m"), stored
    )
    market = replay_files(["ETHUSDT=store"])
    assert market.symbols() == ["ETHUSDT"]
    first, last = market.span()
    assert (first, last) == (int(stored.open_time[0]), int(stored.open_time[-1]) + 60)


def test_a_symbol_the_store_lacks_is_refused_with_the_command_that_gets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEWIND_CANDLE_DIR", str(tmp_path))
    with pytest.raises(ConfigurationError, match="tradewind data download --symbol SOLUSDT"):
        replay_files(["SOLUSDT=store"])

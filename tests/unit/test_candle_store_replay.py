"""Replays (`run --replay`, the demo's `--csv`) read the candle store by symbol."""

from __future__ import annotations

import subprocess
import sys
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


def test_reading_the_store_skips_pyarrow_dataset_which_would_import_pandas(
    tmp_path: Path,
) -> None:
    # A backtest from the store starts in well under a second only without pandas.
    stored = generate_market(500, 60, seed=4)
    ParquetCandleStore(tmp_path).write(
        SeriesKey(PositionType.SPOT, Symbol("BTCUSDT"), "1m"), stored
    )
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tradewind.adapters.marketdata.candle_store import ParquetCandleStore\n"
        "from tradewind.domain.types import PositionType, Symbol\n"
        "from tradewind.ports.research import SeriesKey\n"
        "key = SeriesKey(PositionType.SPOT, Symbol('BTCUSDT'), '1m')\n"
        "candles = ParquetCandleStore(Path(sys.argv[1])).read(key)\n"
        "print(len(candles), float(candles.close.sum()), 'pyarrow.dataset' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["500", repr(float(stored.close.sum())), "False"]


def test_a_stored_series_reads_back_as_written(tmp_path: Path) -> None:
    stored = generate_market(700, 60, seed=6)
    store = ParquetCandleStore(tmp_path)
    key = SeriesKey(PositionType.SPOT, Symbol("BTCUSDT"), "1m")
    store.write(key, stored)
    read = store.read(key)
    assert read is not None
    for name in ("open_time", "open", "high", "low", "close", "volume"):
        assert getattr(read, name).tobytes() == getattr(stored, name).tobytes(), name


def test_a_stored_file_missing_a_column_is_refused_naming_the_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = ParquetCandleStore(tmp_path)
    key = SeriesKey(PositionType.SPOT, Symbol("BTCUSDT"), "1m")
    store.path(key).parent.mkdir(parents=True)
    table = pa.table({"open_time": pa.array([0, 60], pa.int64()), "open": [1.0, 2.0]})
    pq.write_table(table, store.path(key))
    with pytest.raises(ConfigurationError, match="columns must be open_time, open, high"):
        store.read(key)

"""The local candle store: one Parquet file per series, the symbol's rules beside it.

    <root>/<spot|futures>/<SYMBOL>/<timeframe>.parquet   open_time (int64 s), open, high,
                                                         low, close, volume (float64)
    <root>/<spot|futures>/<SYMBOL>/rules.json            the symbol's rules, decimals as text

Prices are float64 as in every `Candles`; they came from the venue as decimal strings of at
most 15 significant digits, so `to_decimal` gives the venue's decimal back. Writes go to a
temporary file renamed over the old one: a download stopped at any moment leaves the
previous complete file, which is what makes downloads resumable. Reading hands numpy views
of the Arrow buffers to `Candles` (never `to_numpy()`, which imports pandas).
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError, DomainError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.timeframes import TIMEFRAME_SECONDS
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports.research import SeriesKey, StoredSeries

COLUMNS = ("open_time", "open", "high", "low", "close", "volume")
RULES_FILE = "rules.json"
_SCHEMA = pa.schema([("open_time", pa.int64())] + [(name, pa.float64()) for name in COLUMNS[1:]])
_DECIMAL_RULES = ("tick_size", "step", "min_qty", "max_qty", "min_notional", "max_notional")


class ParquetCandleStore:
    """The `CandleStore` port on a directory of Parquet files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: SeriesKey) -> Path:
        """Return the file of a series (it may not exist yet)."""
        return self.root / key.market.value / key.symbol / f"{key.timeframe}.parquet"

    def read(self, key: SeriesKey) -> Candles | None:
        path = self.path(key)
        if not path.exists():
            return None
        try:
            table = _read_parquet(path)
        except (OSError, pa.ArrowInvalid) as e:
            raise ConfigurationError(f"candle store file {path} is unreadable: {e}") from e
        if table is None or table.schema != _SCHEMA:
            raise ConfigurationError(
                f"candle store file {path}: columns must be {', '.join(COLUMNS)} "
                "(open_time int64 seconds, the rest float64)"
            )
        arrays = [_numpy(table.column(name).combine_chunks()) for name in COLUMNS]
        return Candles(*arrays)

    def write(self, key: SeriesKey, candles: Candles) -> None:
        times = candles.open_time
        if len(candles) > 1 and not bool(np.all(times[1:] > times[:-1])):
            raise DomainError(f"{key}: candles must be in ascending open time, each once")
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.table([pa.array(getattr(candles, name)) for name in COLUMNS], schema=_SCHEMA)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        import pyarrow.parquet as pq  # writing only: a backtest never pays for it

        pq.write_table(table, temporary, compression="zstd")
        os.replace(temporary, path)

    def series(self) -> list[StoredSeries]:
        found: list[StoredSeries] = []
        for market in PositionType:
            for path in sorted((self.root / market.value).glob("*/*.parquet")):
                timeframe = path.stem
                if timeframe not in TIMEFRAME_SECONDS:
                    continue
                key = SeriesKey(market, Symbol(path.parent.name), timeframe)
                found.append(self._describe(key, path))
        return sorted(found, key=lambda s: s.key)

    def _describe(self, key: SeriesKey, path: Path) -> StoredSeries:
        candles = self.read(key)
        assert candles is not None  # listed from the directory just now
        count = len(candles)
        first = int(candles.open_time[0]) if count else 0
        last = int(candles.open_time[-1]) if count else 0
        width = TIMEFRAME_SECONDS[key.timeframe]
        expected = (last - first) // width + 1 if count else 0
        return StoredSeries(
            key=key,
            candles=count,
            first_open=first,
            last_open=last,
            missing=expected - count,
            location=str(path),
            has_rules=(path.parent / RULES_FILE).exists(),
        )

    def save_rules(self, rules: MarketRules) -> None:
        folder = self.root / rules.position_type.value / rules.symbol
        folder.mkdir(parents=True, exist_ok=True)
        doc: dict[str, Any] = {}
        for f in fields(MarketRules):
            value = getattr(rules, f.name)
            doc[f.name] = str(value) if isinstance(value, Decimal | PositionType) else value
        temporary = folder / f".{RULES_FILE}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, folder / RULES_FILE)

    def rules(self, symbol: str, market: PositionType) -> MarketRules | None:
        path = self.root / market.value / symbol / RULES_FILE
        if not path.exists():
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            values: dict[str, Any] = {name: Decimal(doc[name]) for name in _DECIMAL_RULES}
            return MarketRules(
                symbol=Symbol(doc["symbol"]),
                position_type=PositionType(doc["position_type"]),
                base_asset=str(doc["base_asset"]),
                quote_asset=str(doc["quote_asset"]),
                max_leverage=int(doc.get("max_leverage", 0)),
                **values,
            )
        except (OSError, ValueError, KeyError, ArithmeticError, DomainError) as e:
            raise ConfigurationError(
                f"candle store rules file {path} is unreadable ({type(e).__name__}: {e}); "
                "download the symbol again to rewrite it"
            ) from e


def _read_parquet(path: Path) -> Any:
    """The series' six columns as an Arrow table, or None when one is missing.

    Through pyarrow's own Parquet reader (`pyarrow._parquet`, which `ParquetFile` wraps):
    `pyarrow.parquet` imports `pyarrow.fs` and with it ssl, sockets and the cloud file
    systems, 30 ms of a backtest's start-up for a local file. Not `read_table` either: it
    goes through `pyarrow.dataset`, which imports pandas when installed (most of a second).
    Memory-mapped: the column chunks are read from the page cache, not copied first.
    Should a pyarrow release move that reader, `ParquetFile` reads the same file.
    """
    try:
        from pyarrow._parquet import ParquetReader
    except ImportError:  # pragma: no cover - another pyarrow layout
        import pyarrow.parquet as pq

        with pq.ParquetFile(path, memory_map=True) as file:
            if not set(COLUMNS) <= set(file.schema_arrow.names):
                return None
            return file.read(columns=list(COLUMNS))
    reader = ParquetReader()
    reader.open(str(path), use_memory_map=True)
    try:
        indices = [reader.column_name_idx(name) for name in COLUMNS]
    except KeyError:
        return None  # a column missing: the caller says which columns a series has
    else:
        return reader.read_all(column_indices=indices)
    finally:
        reader.close()


def _numpy(array: Any) -> Any:
    """A read-only numpy view of an Arrow array's data buffer (no pandas, no copy)."""
    if array.null_count:
        raise ConfigurationError("candle store file has empty values")
    dtype = np.dtype(np.int64 if pa.types.is_int64(array.type) else np.float64)
    view = np.frombuffer(
        array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
    )
    view.flags.writeable = False
    return view

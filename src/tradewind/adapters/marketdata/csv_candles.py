"""Candle CSV files: `open_time,open,high,low,close,volume`, one candle a line, oldest first.

`open_time` is either ISO 8601 with a zone (`2023-03-01T00:00:00Z`, `…+00:00`, optional
fraction such as `.000Z` as long as it is a whole second) or an integer Unix time. The
format is taken from the first data row; an integer's unit from its size, because the
ranges do not overlap for any date from 1973 to 5138: below 10^11 it is seconds, below
10^14 milliseconds, below 10^17 microseconds (Binance's newer spot dumps). Every row
must then use the same format and unit. Extra columns are ignored, blank lines skipped.

Reading goes through `pyarrow.csv` and hands numpy read-only views of the Arrow buffers
to `Candles`: never `Array.to_numpy()`, which imports pandas (a second at start-up)
when it is installed. Checks are vectorized; a malformed file raises `CandleFileError`
naming the file, the 1-based line (the header is line 1) and the broken rule.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from tradewind.domain.candles import Candles, FloatArray, IntArray
from tradewind.domain.errors import ConfigurationError

COLUMNS = ("open_time", "open", "high", "low", "close", "volume")
_NUMBER_COLUMNS = COLUMNS[1:]
_PRICE_COLUMNS = ("open", "high", "low", "close")
_BLOCK_BYTES = 4 << 20  # big files: blocks copied out one by one, small peak memory
_INTEGER = re.compile(rb"\s*[+-]?\d+\s*")
# (name, per second, lowest, highest + 1): the ranges for 1973..5138 do not overlap.
_UNITS = (
    ("seconds", 1, -(10**11), 10**11),
    ("milliseconds", 1_000, 10**11, 10**14),
    ("microseconds", 1_000_000, 10**14, 10**17),
)
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_FIRST_ISO_SECOND = -62_135_596_800  # 0001-01-01T00:00:00Z
_LAST_ISO_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z
_ROW_NUMBER = re.compile(r"Row #(\d+)")


class CandleFileError(ConfigurationError):
    """A candle file is malformed: nothing is loaded; the message names file, line and rule."""

    def __init__(self, path: Path, line: int | None, rule: str) -> None:
        self.path = path
        self.line = line
        self.rule = rule
        where = str(path) if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {rule}")


def read_candles_csv(path: Path) -> Candles:
    """Read and check a candle CSV file; raise `CandleFileError` if any row breaks a rule."""
    path = Path(path)
    time_type = _open_time_type(path)
    types = {"open_time": time_type} | dict.fromkeys(_NUMBER_COLUMNS, pa.float64())
    try:
        # One thread: the threaded reader takes a quarter more CPU time for the same file
        # (its pool and hand-offs), and a backtest is judged by the CPU it takes as much as
        # by the clock; on a machine that is busy the threads win no time back either.
        table = _read_table(path, types, use_threads=False)
    except pa.ArrowInvalid as error:
        raise _explain_arrow_error(path, types, error) from None
    rows = table.num_rows
    if rows == 0:
        raise CandleFileError(path, None, "no rows: the file has a header but no candles")
    batches = table.to_batches()
    del table  # from here on the batches alone hold the data, so they can go one by one
    arrays = _numpy_columns(path, batches, rows)
    open_time = _to_seconds(path, arrays[0], time_type)
    candles = Candles(open_time, arrays[1], arrays[2], arrays[3], arrays[4], arrays[5])
    if not _all_rows_valid(candles):
        _raise_for_first_bad_row(path, candles)
    return candles


def write_candles_csv(candles: Candles, path: Path) -> None:
    """Write candles with ISO 8601 `Z` times and shortest round-trip prices (exact on read)."""
    n = len(candles)
    if n and (
        candles.open_time.min() < _FIRST_ISO_SECOND or candles.open_time.max() > _LAST_ISO_SECOND
    ):
        raise ValueError("open_time outside years 0001..9999 cannot be written as ISO 8601")
    iso = np.ascontiguousarray(candles.open_time, dtype=np.int64).astype("datetime64[s]")
    text = np.empty((n, 20), dtype=np.uint8)
    text[:, :19] = iso.astype("S19").view(np.uint8).reshape(n, 19)
    text[:, 19] = ord("Z")
    offsets = np.arange(0, 20 * n + 1, 20, dtype=np.int32)
    # Arrays are built from buffers: pa.array(ndarray) would import pandas when installed.
    times = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))
    numbers = [
        pa.Array.from_buffers(pa.float64(), n, [None, pa.py_buffer(np.ascontiguousarray(v))])
        for v in (candles.open, candles.high, candles.low, candles.close, candles.volume)
    ]
    table = pa.Table.from_arrays([times, *numbers], names=list(COLUMNS))
    with Path(path).open("wb") as file:
        file.write((",".join(COLUMNS) + "\n").encode())
        # Arrow prints doubles in their shortest round-trip form, so reading them back
        # gives the same bits, and prices on a tick print as the tick decimal.
        pacsv.write_csv(table, file, pacsv.WriteOptions(include_header=False, quoting_style="none"))


def _read_table(path: Path, types: dict[str, Any], *, use_threads: bool) -> Any:
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=_BLOCK_BYTES, use_threads=use_threads),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            include_columns=list(COLUMNS),
            # No null spellings: an empty cell or "N/A" is an unparseable value, and
            # "NaN" parses as a float NaN that the finiteness rule then names.
            null_values=[],
            strings_can_be_null=False,
        ),
    )


def _open_time_type(path: Path) -> Any:
    """Check the header and choose the open_time type from the first data row."""
    lines = _nonblank_lines(path, limit=2)
    if not lines:
        raise CandleFileError(path, 1, "empty file: no header and no rows")
    header_line, header = lines[0]
    names = next(csv.reader([header.decode("utf-8-sig", errors="replace")]), [])
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise CandleFileError(
            path,
            header_line,
            f"missing column(s) {', '.join(missing)} (the header has {', '.join(names)})",
        )
    if len(lines) < 2:
        raise CandleFileError(path, header_line + 1, "no rows: the file has a header only")
    first_row = next(csv.reader([lines[1][1].decode("utf-8", errors="replace")]), [])
    position = names.index("open_time")
    sample = first_row[position].encode() if position < len(first_row) else b""
    if _INTEGER.fullmatch(sample):
        return pa.int64()
    # Whole seconds parse straight into int64 seconds; a fraction needs a finer unit.
    return pa.timestamp("ns" if b"." in sample else "s", tz="UTC")


def _nonblank_lines(path: Path, limit: int | None = None) -> list[tuple[int, bytes]]:
    """(1-based line number, content) of non-blank lines, as pyarrow counts its rows."""
    found: list[tuple[int, bytes]] = []
    try:
        with path.open("rb") as file:
            for number, line in enumerate(file, start=1):
                content = line.rstrip(b"\r\n")
                if content:
                    found.append((number, content))
                    if limit is not None and len(found) >= limit:
                        break
    except OSError as error:
        raise CandleFileError(path, None, f"cannot read the file ({error.strerror})") from None
    return found


def _line_of_row(path: Path, row: int) -> int | None:
    """The file line of data row `row` (0-based): the (row + 2)-th non-blank line."""
    lines = _nonblank_lines(path, limit=row + 2)
    return lines[row + 1][0] if len(lines) == row + 2 else None


def _numpy_columns(path: Path, batches: list[Any], rows: int) -> list[Any]:
    """The six columns as numpy arrays, zero-copy when the file fitted in one block."""
    if len(batches) == 1:
        return [_numpy_view(path, name, batches[0].column(i), 0) for i, name in enumerate(COLUMNS)]
    # One copy into numpy, batch by batch, each batch let go once copied: the peak stays
    # near one set of columns instead of the two a combine_chunks() would hold.
    arrays = [np.empty(rows, dtype=_dtype(name)) for name in COLUMNS]
    start = 0
    for index in range(len(batches)):
        batch, batches[index] = batches[index], None
        for array, (i, name) in zip(arrays, enumerate(COLUMNS), strict=True):
            view = _numpy_view(path, name, batch.column(i), start)
            array[start : start + view.shape[0]] = view
        start += batch.num_rows
        del batch
    # Hand the parsed blocks back to the system now rather than keep them cached in Arrow's
    # pool: a long-running worker reads a file once in a while.
    pa.default_memory_pool().release_unused()
    for array in arrays:
        array.flags.writeable = False
    return arrays


def _dtype(name: str) -> np.dtype[Any]:
    return np.dtype(np.int64 if name == "open_time" else np.float64)


def _numpy_view(path: Path, name: str, array: Any, first_row: int) -> Any:
    """A read-only numpy view of an Arrow array's data buffer (no pandas, no copy)."""
    if array.null_count:
        import pyarrow.compute as pc  # only on this error path: it costs 30 ms to import

        row = first_row + pc.index(array.is_null(), True).as_py()
        raise CandleFileError(path, _line_of_row(path, row), f"empty value in column '{name}'")
    dtype = _dtype(name)
    view = np.frombuffer(
        array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
    )
    view.flags.writeable = False
    return view


def _to_seconds(path: Path, values: IntArray, time_type: Any) -> IntArray:
    """Turn the parsed open_time into Unix seconds, refusing fractions and mixed units."""
    if time_type == pa.timestamp("s", tz="UTC"):
        return values
    if time_type == pa.int64():
        first = int(values[0])
        unit, scale, lowest, end = next((u for u in _UNITS if u[2] <= first < u[3]), ("", 0, 0, 0))
        if not unit:
            rule = f"open_time {first} is not a Unix time in seconds, milliseconds or microseconds"
            raise CandleFileError(path, _line_of_row(path, 0), rule)
        outside = np.flatnonzero((values < lowest) | (values >= end))
        if outside.size:
            row = int(outside[0])
            rule = f"open_time {values[row]} is not in {unit} like the first row's"
            raise CandleFileError(path, _line_of_row(path, row), rule)
    else:
        unit, scale = "nanoseconds", 1_000_000_000
    if scale == 1:
        return values
    partial = np.flatnonzero(values % scale)
    if partial.size:
        row = int(partial[0])
        whole, fraction = divmod(int(values[row]), scale)
        shown = f"{values[row]} ({unit})"
        if unit == "nanoseconds":
            shown = _iso(whole)[:-1] + f".{fraction:09d}".rstrip("0") + "Z"
        rule = f"open_time {shown} is not on a whole second"
        raise CandleFileError(path, _line_of_row(path, row), rule)
    seconds = values // scale
    seconds.flags.writeable = False
    return seconds


def _all_rows_valid(candles: Candles) -> bool:
    """Check every rule in a few passes; exact, but says nothing about where it failed."""
    o, h, lo, c, v = candles.open, candles.high, candles.low, candles.close, candles.volume
    # A NaN or infinity anywhere makes the sum non-finite (a huge sum only costs a recheck).
    if not all(np.isfinite(np.sum(values)) for values in (o, h, lo, c, v)):
        return False
    # high >= open, close >= low > 0 covers every price rule (and high >= low).
    return bool(
        np.all(candles.open_time[1:] > candles.open_time[:-1])
        and np.all(h >= o)
        and np.all(h >= c)
        and np.all(lo <= o)
        and np.all(lo <= c)
        and lo.min() > 0
        and v.min() >= 0
    )


def _raise_for_first_bad_row(path: Path, candles: Candles) -> None:
    """Find the first row (file order) that breaks a rule and raise for it."""
    t = candles.open_time
    columns = {name: getattr(candles, name) for name in _NUMBER_COLUMNS}
    o, h, lo, c = (columns[name] for name in _PRICE_COLUMNS)
    v = columns["volume"]
    # Each rule: a mask of offending rows (as row + offset) and a message for row i.
    rules: list[tuple[Any, int, Callable[[int], str]]] = []
    for name, values in columns.items():
        rules.append((~np.isfinite(values), 0, _message_not_finite(name, values)))
    steps = np.diff(t)
    rules.append((steps <= 0, 1, lambda i: _message_order(path, t, i)))
    for name in _PRICE_COLUMNS:
        values = columns[name]
        rules.append((values <= 0, 0, _message_not_positive(name, values)))
    rules.append((h < lo, 0, lambda i: f"high {_num(h[i])} is below low {_num(lo[i])}"))
    rules.append((h < o, 0, lambda i: f"high {_num(h[i])} is below open {_num(o[i])}"))
    rules.append((h < c, 0, lambda i: f"high {_num(h[i])} is below close {_num(c[i])}"))
    rules.append((lo > o, 0, lambda i: f"low {_num(lo[i])} is above open {_num(o[i])}"))
    rules.append((lo > c, 0, lambda i: f"low {_num(lo[i])} is above close {_num(c[i])}"))
    rules.append((v < 0, 0, lambda i: f"volume must not be negative, got {_num(v[i])}"))
    worst: tuple[int, Callable[[int], str]] | None = None
    for mask, shift, message in rules:
        hits = np.flatnonzero(mask)
        if hits.size and (worst is None or int(hits[0]) + shift < worst[0]):
            worst = (int(hits[0]) + shift, message)
    if worst is not None:
        row, message = worst
        raise CandleFileError(path, _line_of_row(path, row), message(row))


def _message_not_finite(name: str, values: FloatArray) -> Callable[[int], str]:
    return lambda i: f"NaN or infinite value {_num(values[i])} in column '{name}'"


def _message_not_positive(name: str, values: FloatArray) -> Callable[[int], str]:
    return lambda i: f"{name} must be positive, got {_num(values[i])}"


def _num(value: Any) -> str:
    return repr(float(value))


def _message_order(path: Path, t: IntArray, row: int) -> str:
    previous = _line_of_row(path, row - 1)
    if t[row] == t[row - 1]:
        return f"duplicate open_time {_iso(t[row])} (same as line {previous})"
    return (
        f"open_time {_iso(t[row])} is not after {_iso(t[row - 1])} on line {previous}: "
        "the file is unsorted (rows must be oldest first, open_time strictly increasing)"
    )


def _iso(seconds: Any) -> str:
    try:
        return datetime.fromtimestamp(int(seconds), UTC).strftime(_ISO_FORMAT)
    except (OverflowError, OSError, ValueError):
        return str(int(seconds))


def _explain_arrow_error(path: Path, types: dict[str, Any], error: Exception) -> CandleFileError:
    """Turn a pyarrow parse or conversion error into a message with the file line."""
    text = str(error)
    if "conversion error" in text:
        try:
            found = _first_unparseable(path, types)
        except pa.ArrowInvalid as structure_error:  # a broken row further down, seen first
            text, found = str(structure_error), None
        if found is not None:
            row, name, value = found
            what = f"unparseable value {value!r}" if value else "empty value"
            rule = f"{what} in column '{name}' (expected {_expected(types[name])})"
            return CandleFileError(path, _line_of_row(path, row), rule)
    elif "Row #" not in text:
        # The threaded reader leaves out the row number; the serial one reports it.
        try:
            _read_table(path, types, use_threads=False)
        except pa.ArrowInvalid as serial_error:
            text = str(serial_error)
    row_number = _ROW_NUMBER.search(text)
    detail = _ROW_NUMBER.sub("", text.removeprefix("CSV parse error: ")).strip(" :")
    if row_number is None:
        return CandleFileError(path, None, f"unreadable CSV: {detail}")
    pyarrow_row = int(row_number.group(1))  # counts non-blank lines, header included
    lines = _nonblank_lines(path, limit=pyarrow_row)
    line = lines[-1][0] if len(lines) == pyarrow_row else None
    return CandleFileError(path, line, f"unreadable CSV row: {detail}")


def _expected(target: Any) -> str:
    if target == pa.float64():
        return "a number"
    if target == pa.int64():
        return "an integer Unix time, as in the first row"
    return "an ISO 8601 time with a zone such as 2023-03-01T00:00:00Z, as in the first row"


def _first_unparseable(path: Path, types: dict[str, Any]) -> tuple[int, str, str] | None:
    """(row, column, text) of the earliest value pyarrow cannot convert, by reading as bytes."""
    # Bytes, not strings, so that a cell that is not UTF-8 is found like any other.
    table = _read_table(path, dict.fromkeys(COLUMNS, pa.binary()), use_threads=True)
    earliest: tuple[int, str, str] | None = None
    for name in COLUMNS:
        texts = table.column(name).combine_chunks()
        limit = len(texts) if earliest is None else earliest[0]
        row = _first_failing_cast(texts, types[name], limit)
        if row is not None:
            earliest = (row, name, texts[row].as_py().decode("utf-8", errors="replace"))
    return earliest


def _first_failing_cast(texts: Any, target: Any, limit: int, block: int = 4096) -> int | None:
    for start in range(0, limit, block):
        if _casts(texts.slice(start, min(block, limit - start)), target):
            continue
        stop = min(start + block, limit)
        return next((i for i in range(start, stop) if not _casts(texts.slice(i, 1), target)), None)
    return None


def _casts(texts: Any, target: Any) -> bool:
    import pyarrow.compute as pc  # only on this error path: it costs 30 ms to import

    try:
        pc.cast(pc.cast(texts, pa.string()), target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True

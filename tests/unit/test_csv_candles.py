"""Reading and writing candle CSV files: accepted formats, refused files, exact round trips."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import shared_file
from tradewind.adapters.marketdata.csv_candles import (
    CandleFileError,
    read_candles_csv,
    write_candles_csv,
)
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError

HEADER = "open_time,open,high,low,close,volume\n"
MARCH_1_2023 = int(datetime(2023, 3, 1, tzinfo=UTC).timestamp())


def row(
    minute: int,
    open_: object = 100,
    high: object = 110,
    low: object = 90,
    close: object = 105,
    volume: object = 1,
    time: str | None = None,
) -> str:
    stamp = time if time is not None else f"2023-03-01T00:{minute:02d}:00Z"
    return f"{stamp},{open_},{high},{low},{close},{volume}\n"


def good(*minutes: int) -> str:
    return "".join(row(minute) for minute in minutes)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "candles.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return path


BAD_FILES = [
    ("missing columns", "open_time,open,high,close\nx,1,2,3\n", 1, "missing column(s) low, volume"),
    ("empty file", "", 1, "empty file"),
    ("header only", HEADER, 2, "no rows"),
    ("unparseable price", HEADER + good(0, 1) + row(2, high="abc"), 4, "unparseable value 'abc'"),
    ("empty cell", HEADER + good(0) + row(1, volume=""), 3, "empty value in column 'volume'"),
    ("unparseable time", HEADER + good(0) + row(1, time="yesterday"), 3, "column 'open_time'"),
    ("time without zone", HEADER + good(0) + row(1, time="2023-03-01T00:01:00"), 3, "with a zone"),
    ("short row", HEADER + good(0) + "2023-03-01T00:01:00Z,1,2\n", 3, "Expected 6 columns, got 3"),
    ("unsorted", HEADER + good(0, 2, 1), 4, "the file is unsorted"),
    ("duplicate", HEADER + good(0, 1, 1), 4, "duplicate open_time 2023-03-01T00:01:00Z"),
    (
        "NaN",
        HEADER + good(0) + row(1, close="NaN"),
        3,
        "NaN or infinite value nan in column 'close'",
    ),
    ("infinity", HEADER + good(0) + row(1, volume="inf"), 3, "NaN or infinite value inf"),
    ("zero price", HEADER + good(0) + row(1, open_=0, low=0), 3, "open must be positive, got 0.0"),
    ("negative price", HEADER + row(0, low=-1), 2, "low must be positive, got -1.0"),
    ("high below low", HEADER + row(0, 95, 80, 90, 95), 2, "high 80.0 is below low 90.0"),
    ("high below open", HEADER + row(0, open_=111), 2, "high 110.0 is below open 111.0"),
    ("high below close", HEADER + row(0, close=111), 2, "high 110.0 is below close 111.0"),
    ("low above open", HEADER + row(0, open_=89), 2, "low 90.0 is above open 89.0"),
    ("low above close", HEADER + row(0, close=89), 2, "low 90.0 is above close 89.0"),
    ("negative volume", HEADER + row(0, volume=-0.5), 2, "volume must not be negative"),
    (
        "milliseconds off a second",
        HEADER + row(0, time="1677628800000") + row(1, time="1677628860001"),
        3,
        "1677628860001 (milliseconds) is not on a whole second",
    ),
    (
        "mixed units",
        HEADER + row(0, time="1677628800000") + row(1, time="1677628860"),
        3,
        "is not in milliseconds like the first row's",
    ),
    (
        "fraction of a second",
        HEADER + row(0, time="2023-03-01T00:00:00.000Z") + row(1, time="2023-03-01T00:01:00.5Z"),
        3,
        "2023-03-01T00:01:00.5Z is not on a whole second",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "rule"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES]
)
def test_a_malformed_file_is_refused_naming_file_line_and_rule(
    tmp_path: Path, text: str, line: int, rule: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CandleFileError) as caught:
        read_candles_csv(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: ")
    assert rule in message
    assert caught.value.line == line
    assert isinstance(caught.value, ConfigurationError)


def test_the_first_offending_row_is_reported_whichever_rule_it_breaks(tmp_path: Path) -> None:
    text = HEADER + good(0, 1) + row(2, volume=-1) + row(3, high=1) + good(3)
    with pytest.raises(CandleFileError, match=r"line 4: volume must not be negative"):
        read_candles_csv(write(tmp_path, text))


def test_blank_lines_are_skipped_but_still_counted_in_line_numbers(tmp_path: Path) -> None:
    assert len(read_candles_csv(write(tmp_path, "\n" + HEADER + "\n" + good(0) + "\n" + good(1))))
    broken = "\n" + HEADER + "\n" + good(0) + "\n\n" + row(1, high=1)
    with pytest.raises(CandleFileError, match=r"line 7: high 1.0 is below low 90.0"):
        read_candles_csv(write(tmp_path, broken))
    short = HEADER + good(0) + "\n" + "2023-03-01T00:01:00Z,1\n"
    with pytest.raises(CandleFileError, match=r"line 4: unreadable CSV row"):
        read_candles_csv(write(tmp_path, short))


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(CandleFileError, match=r"absent\.csv: cannot read the file"):
        read_candles_csv(tmp_path / "absent.csv")


@pytest.mark.parametrize(
    "stamps",
    [
        ["2023-03-01T00:00:00Z", "2023-03-01T00:01:00Z"],
        ["2023-03-01T00:00:00.000Z", "2023-03-01T00:01:00.000Z"],
        ["2023-03-01T02:00:00+02:00", "2023-03-01T00:01:00+00:00"],
        ["1677628800", "1677628860"],
        ["1677628800000", "1677628860000"],
        ["1677628800000000", "1677628860000000"],
    ],
    ids=["iso Z", "iso millis", "iso offsets", "unix s", "unix ms", "unix us"],
)
def test_open_time_formats_all_read_as_unix_seconds(tmp_path: Path, stamps: list[str]) -> None:
    text = HEADER + "".join(row(0, time=stamp) for stamp in stamps)
    candles = read_candles_csv(write(tmp_path, text))
    assert candles.open_time.tolist() == [MARCH_1_2023, MARCH_1_2023 + 60]


def test_extra_columns_in_any_order_are_ignored(tmp_path: Path) -> None:
    text = "trades,close,open_time,volume,low,high,open,note\n"
    text += "7,105,2023-03-01T00:00:00Z,0,90,110,100,hello\n"
    candles = read_candles_csv(write(tmp_path, text))
    assert (candles.open[0], candles.high[0], candles.low[0], candles.close[0]) == (
        100,
        110,
        90,
        105,
    )
    assert candles.volume[0] == 0.0  # zero volume is a real, quiet candle


def test_a_byte_order_mark_and_windows_line_ends_are_accepted(tmp_path: Path) -> None:
    text = ("\ufeff" + HEADER + good(0, 1)).replace("\n", "\r\n")
    assert read_candles_csv(write(tmp_path, text)).open_time[1] == MARCH_1_2023 + 60


def test_read_arrays_are_read_only(tmp_path: Path) -> None:
    candles = read_candles_csv(write(tmp_path, HEADER + good(0, 1)))
    with pytest.raises(ValueError, match="read-only"):
        candles.close[0] = 1.0


def test_written_file_has_iso_z_times_and_plain_decimals(tmp_path: Path) -> None:
    candles = Candles(
        open_time=np.array([MARCH_1_2023, MARCH_1_2023 + 60]),
        open=np.array([23140.48, 23142.31]),
        high=np.array([23150.77, 23148.8]),
        low=np.array([23128.52, 23137.61]),
        close=np.array([23142.31, 23137.77]),
        volume=np.array([2.131777, 0.0]),
    )
    path = tmp_path / "out.csv"
    write_candles_csv(candles, path)
    assert path.read_text() == (
        HEADER
        + "2023-03-01T00:00:00Z,23140.48,23150.77,23128.52,23142.31,2.131777\n"
        + "2023-03-01T00:01:00Z,23142.31,23148.8,23137.61,23137.77,0\n"
    )


prices = st.floats(min_value=1e-9, max_value=1e15, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    quads=st.lists(st.lists(prices, min_size=4, max_size=4), min_size=1, max_size=30),
    volumes=st.lists(st.floats(min_value=0, max_value=1e15), min_size=30, max_size=30),
    gaps=st.lists(st.integers(min_value=1, max_value=10**7), min_size=30, max_size=30),
)
def test_any_valid_candles_read_back_bit_for_bit(
    tmp_path_factory: pytest.TempPathFactory,
    quads: list[list[float]],
    volumes: list[float],
    gaps: list[int],
) -> None:
    n = len(quads)
    ordered = np.sort(np.array(quads), axis=1)  # low <= open <= close <= high
    candles = Candles(
        open_time=MARCH_1_2023 + np.cumsum(np.array(gaps[:n], dtype=np.int64)),
        open=ordered[:, 1].copy(),
        high=ordered[:, 3].copy(),
        low=ordered[:, 0].copy(),
        close=ordered[:, 2].copy(),
        volume=np.array(volumes[:n]),
    )
    path = tmp_path_factory.mktemp("roundtrip") / "candles.csv"
    write_candles_csv(candles, path)
    back = read_candles_csv(path)
    for name in ("open_time", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(back, name), getattr(candles, name)), name


def test_reading_never_imports_pandas(tmp_path: Path) -> None:
    # pyarrow's to_numpy() imports pandas lazily when it is installed (a second of start-up):
    # a fresh interpreter records every attempt, so this holds whether pandas is there or not.
    path = write(tmp_path, HEADER + good(0, 1, 2))
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path

        attempts = []

        class RecordPandas:
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] == "pandas":
                    attempts.append(name)
                return None

        sys.meta_path.insert(0, RecordPandas())
        from tradewind.adapters.marketdata.csv_candles import read_candles_csv, write_candles_csv

        candles = read_candles_csv(Path(sys.argv[1]))
        write_candles_csv(candles, Path(sys.argv[1]).with_name("copy.csv"))
        print(len(candles), "pandas" in sys.modules, attempts)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "3 False []"


REAL_FILES = [
    ("BTCUSDT-1m-binanceus-2023-03.csv", 30_240, 60, "2023-03-01T00:00:00Z"),
    ("BTCUSD-1h-2018-2022.csv", 33_259, 3_600, "2018-05-15T06:00:00Z"),
    ("XRPUSDT-5m-futures-2021-11.csv", 1_999, 300, "2021-11-15T00:00:00Z"),
]


@pytest.mark.parametrize(("name", "rows", "interval", "first"), REAL_FILES)
def test_real_market_files_read_with_their_documented_row_counts(
    name: str, rows: int, interval: int, first: str
) -> None:
    candles = read_candles_csv(shared_file(name))
    assert len(candles) == rows
    assert candles.interval_seconds == interval
    assert datetime.fromtimestamp(int(candles.open_time[0]), UTC) == datetime.fromisoformat(first)


def test_the_real_one_minute_file_has_no_gaps() -> None:
    path = shared_file("BTCUSDT-1m-binanceus-2023-03.csv")
    assert set(np.diff(read_candles_csv(path).open_time).tolist()) == {60}

"""The download use case on a fake venue: duplicates dropped, resumable flushes, ranges."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from tradewind.adapters.marketdata.candle_store import ParquetCandleStore
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports.research import SeriesKey
from tradewind.services.data import DownloadRequest, download_candles, find_gaps

T0 = 1_704_067_200
KEY = SeriesKey(PositionType.SPOT, Symbol("ETHUSDT"), "1m")


def _candles(opens: list[int]) -> Candles:
    n = len(opens)
    price = np.arange(1, n + 1, dtype=np.float64) + 100
    return Candles(np.array(opens, dtype=np.int64), price, price + 1, price - 1, price, np.ones(n))


class OverlappingVenue:
    """Pages of `page` candles that each repeat the previous page's last candle."""

    def __init__(self, minutes: int, page: int = 10) -> None:
        self.minutes = minutes
        self.page = page
        self.asked: list[tuple[int, int]] = []

    def server_time(self) -> int:
        return T0 + self.minutes * 60

    def rules(self, symbol: str, market: PositionType) -> MarketRules:
        return MarketRules(Symbol(symbol), market, "ETH", "USDT", tick_size=Decimal("0.01"))

    def candles(self, key: SeriesKey, start: int, end: int) -> Candles:
        self.asked.append((start, end))
        first = max(T0, start - 60)  # one candle too early: the page overlaps the last one
        opens = [t for t in range(first, end, 60) if t < T0 + self.minutes * 60][: self.page]
        return _candles(opens)


def test_candles_sent_twice_are_stored_once_and_counted(tmp_path: Path) -> None:
    store = ParquetCandleStore(tmp_path)
    venue = OverlappingVenue(35)
    report = download_candles(venue, store, DownloadRequest("ethusdt", PositionType.SPOT, "1m", T0))
    stored = store.read(KEY)
    assert stored is not None
    assert stored.open_time.tolist() == [T0 + 60 * i for i in range(35)]
    assert report.duplicates == 3  # pages 2, 3 and 4 each repeat one candle
    assert report.gaps == []
    assert store.rules("ETHUSDT", PositionType.SPOT) == venue.rules("ETHUSDT", PositionType.SPOT)


def test_a_download_written_in_parts_resumes_from_the_stored_end(tmp_path: Path) -> None:
    store = ParquetCandleStore(tmp_path)
    download_candles(
        OverlappingVenue(25), store, DownloadRequest("ETHUSDT", PositionType.SPOT, "1m", T0)
    )
    venue = OverlappingVenue(40)
    report = download_candles(venue, store, DownloadRequest("ETHUSDT", PositionType.SPOT, "1m", T0))
    assert venue.asked[0][0] == T0 + 25 * 60
    assert report.fetched == 15
    assert report.stored == 40


def test_an_empty_range_is_refused_naming_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^start: the range holds no closed 1m candle"):
        download_candles(
            OverlappingVenue(5),
            ParquetCandleStore(tmp_path),
            DownloadRequest("ETHUSDT", PositionType.SPOT, "1m", T0 + 3600),
        )


def test_gaps_are_runs_of_missing_opens() -> None:
    opens = np.array([0, 60, 240, 300, 420], dtype=np.int64)
    assert [(g.start, g.count) for g in find_gaps(opens, 60)] == [(120, 2), (360, 1)]


class FailingVenue(OverlappingVenue):
    """Answers `pages` pages, then the connection drops."""

    def __init__(self, minutes: int, pages: int) -> None:
        super().__init__(minutes)
        self.pages = pages

    def candles(self, key: SeriesKey, start: int, end: int) -> Candles:
        if len(self.asked) >= self.pages:
            raise ConnectionError("gone")
        return super().candles(key, start, end)


def test_a_download_cut_off_keeps_the_pages_written_and_the_next_run_fetches_the_rest(
    tmp_path: Path,
) -> None:
    store = ParquetCandleStore(tmp_path)
    request = DownloadRequest("ETHUSDT", PositionType.SPOT, "1m", T0)
    with pytest.raises(ConnectionError):
        download_candles(FailingVenue(100, pages=5), store, request, flush_pages=2)
    kept = store.read(KEY)
    assert kept is not None
    # Written after pages 2 and 4, each time holding the newest page back (it may end in
    # the forming candle): pages 1 to 3, 10 candles each less the overlaps.
    assert kept.open_time.tolist() == [T0 + 60 * i for i in range(28)]
    venue = OverlappingVenue(100)
    report = download_candles(venue, store, request)
    assert venue.asked[0][0] == T0 + 28 * 60
    assert report.stored == 100
    assert report.gaps == []


def test_a_range_before_the_stored_span_is_joined_to_it(tmp_path: Path) -> None:
    store = ParquetCandleStore(tmp_path)
    download_candles(
        OverlappingVenue(60), store, DownloadRequest("ETHUSDT", PositionType.SPOT, "1m", T0 + 1800)
    )
    first = store.read(KEY)
    assert first is not None
    venue = OverlappingVenue(60)
    download_candles(venue, store, DownloadRequest("ETHUSDT", PositionType.SPOT, "1m", T0))
    assert venue.asked[0] == (T0, int(first.open_time[0]))  # only what lies before
    stored = store.read(KEY)
    assert stored is not None
    assert stored.open_time.tolist() == [T0 + 60 * i for i in range(60)]

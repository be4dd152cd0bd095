"""`tradewind data download`: a venue's closed candles of one series over a range, into the
local store, resumably, checked for gaps and duplicates.

Recipe: read the venue's clock (only candles that have closed are kept) and the symbol's
rules (saved beside the candles, so a backtest of a symbol without built-in rules sizes
its orders as the venue would); see what the store holds; fetch, page by page, only what
lies outside it; merge, dropping candles seen twice; write every `flush_pages` pages, so
a download stopped at any point resumes where the store ends. The store keeps one
contiguous span per series: a range after (or before) it is joined to it by fetching what
lies between. Candles the venue never had (an outage) are reported as gaps, not refetched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tradewind.domain.candles import Candles, IntArray
from tradewind.domain.errors import ConfigurationError, DomainError
from tradewind.domain.timeframes import TIMEFRAME_SECONDS
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports.research import CandleHistory, CandleStore, SeriesKey

Progress = Callable[[int, int], None]  # (candles fetched so far, candles expected)
_FIELDS = ("open_time", "open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    """One series over [start, end) in Unix seconds; `end` None means up to now."""

    symbol: str
    market: PositionType
    timeframe: str
    start: int
    end: int | None = None

    def key(self) -> SeriesKey:
        symbol = self.symbol.strip().upper()
        if not (symbol.isascii() and symbol.isalnum()):
            raise ConfigurationError(
                f"symbol: letters and digits only, like BTCUSDT (got {self.symbol!r})"
            )
        if self.timeframe not in TIMEFRAME_SECONDS:
            raise ConfigurationError(
                f"timeframe: {self.timeframe!r} is not one of {', '.join(TIMEFRAME_SECONDS)}"
            )
        return SeriesKey(self.market, Symbol(symbol), self.timeframe)


@dataclass(frozen=True, slots=True)
class Gap:
    """Candles missing inside a stored series: `count` of them from `start` (open time)."""

    start: int
    count: int


@dataclass(frozen=True, slots=True)
class DownloadReport:
    """What a download fetched and what the store holds of the series afterwards."""

    key: SeriesKey
    requests: int
    fetched: int  # new candles written
    duplicates: int  # candles the venue sent twice (or that the store had), dropped
    stored: int
    first_open: int
    last_open: int
    gaps: list[Gap] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return sum(g.count for g in self.gaps)


def download_candles(
    history: CandleHistory,
    store: CandleStore,
    request: DownloadRequest,
    progress: Progress | None = None,
    flush_pages: int = 50,
) -> DownloadReport:
    """Fetch the series' closed candles of the range that the store lacks; store them."""
    key = request.key()
    width = TIMEFRAME_SECONDS[key.timeframe]
    first = -(-request.start // width) * width  # the first open at or after start
    closed_end = history.server_time() // width * width  # the candle opening here is forming
    end = closed_end if request.end is None else min(request.end, closed_end)
    if first >= end:
        raise ConfigurationError(
            f"start: the range holds no closed {key.timeframe} candle "
            f"(start {request.start}, end {end}; the end is capped at the venue's last close)"
        )
    store.save_rules(history.rules(key.symbol, key.market))
    have = store.read(key)
    ranges = _missing_ranges(have, first, end, width)
    expected = sum((b - a) // width for a, b, _ in ranges)
    state = _Merge(store, key, have)
    requests = 0
    reaches_present = request.end is None or request.end >= closed_end
    for start, stop, may_flush in ranges:
        cursor = start
        while cursor < stop:
            page = history.candles(key, cursor, stop)
            requests += 1
            if len(page) == 0:
                if reaches_present:
                    # The newest candle a venue sends is the one forming now on its own
                    # clock, which a replaying venue's time call need not tell.
                    state.drop_newest()
                break  # the venue has nothing from here to the range's end
            if np.any(page.open_time % width):
                raise DomainError(f"{key}: the venue sent candles not on {key.timeframe} opens")
            state.add(page)
            cursor = int(page.open_time[-1]) + width
            if progress is not None:
                progress(min(state.fetched_rows, expected), expected)
            if may_flush and requests % flush_pages == 0:
                state.flush(keep_newest_page=True)
        state.flush()
    merged = state.merged()
    return DownloadReport(
        key=key,
        requests=requests,
        fetched=state.written,
        duplicates=state.duplicates,
        stored=len(merged) if merged is not None else 0,
        first_open=int(merged.open_time[0]) if merged is not None and len(merged) else 0,
        last_open=int(merged.open_time[-1]) if merged is not None and len(merged) else 0,
        gaps=find_gaps(merged.open_time if merged is not None else np.empty(0, np.int64), width),
    )


def find_gaps(open_time: IntArray, width: int) -> list[Gap]:
    """Return the runs of missing candles between consecutive open times."""
    if open_time.size < 2:
        return []
    steps = np.diff(open_time)
    where = np.flatnonzero(steps > width)
    return [Gap(int(open_time[i]) + width, int(steps[i]) // width - 1) for i in where]


def _missing_ranges(
    have: Candles | None, first: int, end: int, width: int
) -> list[tuple[int, int, bool]]:
    """Return the [start, stop) spans to fetch and whether a partial span may be written.

    A span before the stored candles is written only whole: written in part it would
    leave a hole that a resumed download (which fetches outside the stored span) misses.
    """
    if have is None or len(have) == 0:
        return [(first, end, True)]
    low, high = int(have.open_time[0]), int(have.open_time[-1]) + width
    spans = []
    if first < low:
        spans.append((first, low, False))
    if end > high:
        spans.append((high, end, True))
    return spans


class _Merge:
    """The stored candles plus the pages fetched since, written on `flush`."""

    def __init__(self, store: CandleStore, key: SeriesKey, have: Candles | None) -> None:
        self._store = store
        self._key = key
        self._have = have
        self._pages: list[Candles] = []
        self.fetched_rows = 0
        self.written = 0
        self.duplicates = 0

    def add(self, page: Candles) -> None:
        self._pages.append(page)
        self.fetched_rows += len(page)

    def drop_newest(self) -> None:
        if self._pages:
            self._pages[-1] = _head(self._pages[-1], len(self._pages[-1]) - 1)

    def flush(self, keep_newest_page: bool = False) -> None:
        """Write what was fetched; `keep_newest_page` holds the last page back (its newest
        candle may turn out to be forming)."""
        held = self._pages[-1:] if keep_newest_page else []
        pages = self._pages[:-1] if keep_newest_page else self._pages
        if not pages:
            return
        parts = ([self._have] if self._have is not None else []) + pages
        before = len(self._have) if self._have is not None else 0
        joined = _join(parts)
        unique = _unique(joined)
        self.duplicates += len(joined) - len(unique)
        self._store.write(self._key, unique)
        self.written += len(unique) - before
        self._have, self._pages = unique, held

    def merged(self) -> Candles | None:
        return self._have


def _head(candles: Candles, count: int) -> Candles:
    return Candles(*(getattr(candles, f)[:count] for f in _FIELDS))


def _join(parts: list[Candles]) -> Candles:
    return Candles(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


def _unique(candles: Candles) -> Candles:
    """Sort by open time and keep each open time once (the first seen: the stored one)."""
    times, first = np.unique(candles.open_time, return_index=True)
    return Candles(times, *(getattr(candles, f)[first] for f in _FIELDS[1:]))

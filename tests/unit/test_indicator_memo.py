"""The indicator memo of a search: the same numbers as computing afresh, computed once per
series and period, bounded, and off unless installed."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain import indicator_memo
from tradewind.domain.errors import DomainError
from tradewind.domain.indicator_memo import IndicatorMemo
from tradewind.domain.indicators import ema, rsi

CLOSE = generate_market(5_000, 60, seed=3).close


@pytest.fixture
def memo() -> Iterator[IndicatorMemo]:
    installed = IndicatorMemo(64 << 20)
    indicator_memo.install(installed)
    try:
        yield installed
    finally:
        indicator_memo.install(None)


def test_remembered_indicators_equal_fresh_ones_and_are_computed_once(memo: IndicatorMemo) -> None:
    indicator_memo.install(None)
    fresh = {p: (ema(CLOSE, p), rsi(CLOSE, p)) for p in (2, 8, 21)}
    indicator_memo.install(memo)
    for _ in range(3):
        for p, (fresh_ema, fresh_rsi) in fresh.items():
            np.testing.assert_array_equal(ema(CLOSE, p), fresh_ema)
            np.testing.assert_array_equal(rsi(CLOSE, p), fresh_rsi)
    assert (memo.misses, memo.hits, len(memo)) == (6, 12, 6)


def test_a_window_is_its_own_series_however_often_it_is_sliced(memo: IndicatorMemo) -> None:
    # A fold's window is a new view of the same closes at every call: the memo finds it.
    # Another window of the same closes starts elsewhere, and has its own warm-up.
    first = ema(CLOSE[100:3_000], 21)
    assert ema(CLOSE[100:3_000], 21) is first
    later = ema(CLOSE[200:3_100], 21)  # as long, 100 candles on
    indicator_memo.install(None)
    np.testing.assert_array_equal(later, ema(CLOSE[200:3_100].copy(), 21))
    np.testing.assert_array_equal(first, ema(CLOSE[100:3_000].copy(), 21))
    assert not np.array_equal(later[:-100], first[100:], equal_nan=True)


def test_remembered_arrays_cannot_be_changed_in_place(memo: IndicatorMemo) -> None:
    values = ema(CLOSE, 8)
    with pytest.raises(ValueError, match="read-only"):
        values[10] = 0.0


def test_the_memo_drops_the_least_recently_used_beyond_its_size() -> None:
    memo = IndicatorMemo(2 * CLOSE.nbytes)
    indicator_memo.install(memo)
    try:
        ema(CLOSE, 5)
        ema(CLOSE, 6)
        ema(CLOSE, 5)  # 5 is now the more recent
        ema(CLOSE, 7)  # drops 6
        assert memo.bytes <= memo.max_bytes
        assert len(memo) == 2
        hits = memo.hits
        ema(CLOSE, 5)
        ema(CLOSE, 7)
        assert memo.hits == hits + 2
        ema(CLOSE, 6)
        assert memo.hits == hits + 2  # computed again
    finally:
        indicator_memo.install(None)


def test_bad_periods_are_refused_with_a_memo_too(memo: IndicatorMemo) -> None:
    ema(CLOSE, 5)
    for period in (5.5, True, 1):
        with pytest.raises(DomainError):
            ema(CLOSE, period)  # type: ignore[arg-type]


def test_without_a_memo_nothing_is_kept() -> None:
    assert indicator_memo.active() is None
    first = ema(CLOSE, 8)
    assert ema(CLOSE, 8) is not first
    first[0] = 1.0  # an array of its caller's own

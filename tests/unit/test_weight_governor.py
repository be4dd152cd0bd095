"""The weight governor slows down before Binance's limit and stops at it."""

from __future__ import annotations

import threading

import pytest

from tradewind.adapters.exchange.binance.governor import LocalWeightStore, WeightGovernor


class FakeTime:
    """A clock that sleeping moves forward."""

    def __init__(self, now: float = 60 * 16_667 + 20.0) -> None:  # 20 s into a minute window
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def governor(
    limit: int = 100, store: LocalWeightStore | None = None, slow_at: float = 0.8
) -> tuple[WeightGovernor, FakeTime]:
    time = FakeTime()
    gov = WeightGovernor(limit, store, slow_at=slow_at, clock=time.clock, sleep=time.sleep)
    return gov, time


def test_below_the_slow_down_mark_requests_go_at_once() -> None:
    gov, time = governor()
    for _ in range(80):
        gov.acquire(1)
    assert time.slept == []
    assert gov.used() == 80


def test_past_80_percent_the_rest_of_the_budget_is_spread_over_the_window() -> None:
    gov, time = governor()
    for _ in range(80):
        gov.acquire(1)
    start = time.now
    for _ in range(19):
        gov.acquire(1)
    assert all(s > 0 for s in time.slept)
    assert time.now - start < 40  # still inside the window: paced, not stopped
    assert gov.used() == 99


def test_at_the_limit_requests_wait_for_the_next_window() -> None:
    gov, time = governor(limit=10, slow_at=1.0)
    for _ in range(10):
        gov.acquire(1)
    window = int(time.now // 60)
    assert time.slept == []
    gov.acquire(1)
    assert int(time.now // 60) == window + 1
    assert gov.used() == 1


def test_the_header_raises_the_count_of_what_others_used() -> None:
    gov, time = governor(limit=100)
    gov.acquire(1)
    gov.observe(95)  # another process (or a weight we under-counted) used the rest
    assert gov.used() == 95
    gov.acquire(10)
    assert time.slept  # it had to wait


def test_the_header_never_lowers_the_count() -> None:
    gov, _ = governor()
    for _ in range(50):
        gov.acquire(1)
    gov.observe(10)
    assert gov.used() == 50


def test_a_429_stops_every_caller_for_retry_after() -> None:
    gov, time = governor()
    gov.rate_limited(12.0)
    start = time.now
    gov.acquire(1)
    assert time.now - start >= 12


def test_a_429_without_retry_after_waits_for_the_next_window() -> None:
    gov, time = governor()
    window = int(time.now // 60)
    gov.rate_limited(None)
    gov.acquire(1)
    assert int(time.now // 60) == window + 1


def test_one_store_is_one_budget_for_every_governor_using_it() -> None:
    store = LocalWeightStore()
    first, _ = governor(limit=100, store=store)
    second, _ = governor(limit=100, store=store)
    for _ in range(30):
        first.acquire(1)
        second.acquire(1)
    assert first.used() == second.used() == 60


def test_threads_never_overspend_the_window() -> None:
    store = LocalWeightStore()
    gov = WeightGovernor(50, store, slow_at=1.0, clock=lambda: 120.0, sleep=lambda _s: None)
    counted: list[int] = []

    def spend() -> None:
        for _ in range(10):
            total = store.reserve(2, 1, 50)
            if total is not None:
                counted.append(total)

    threads = [threading.Thread(target=spend) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(counted) == 50
    assert sorted(counted) == list(range(1, 51))
    assert gov.used() == 50


@pytest.mark.parametrize(("limit", "slow_at"), [(0, 0.8), (10, 0), (10, 1.5)])
def test_nonsense_limits_are_refused(limit: int, slow_at: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        WeightGovernor(limit, slow_at=slow_at)


class CountedStore(LocalWeightStore):
    """The in-process store, counting what is written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.observed: list[int] = []

    def observe(self, window: int, used: int) -> None:
        self.observed.append(used)
        super().observe(window, used)


def test_a_header_the_store_already_holds_is_not_written_again() -> None:
    store = CountedStore()
    gov, _ = governor(store=store)
    for _ in range(10):
        gov.acquire(2)
    gov.observe(15)  # Binance counted less than was reserved: nothing to raise
    gov.observe(20)
    assert store.observed == []
    gov.observe(35)  # another process spent weight meanwhile: the count goes up
    assert store.observed == [35]
    assert gov.used() == 35


def test_a_block_stops_even_requests_far_below_the_limit() -> None:
    store = LocalWeightStore()
    first, time = governor(store=store)
    second = WeightGovernor(100, store, clock=time.clock, sleep=time.sleep)
    first.rate_limited(7)
    second.acquire(1)
    assert time.slept == [7]
    assert second.used() == 1

"""The clocks: a replay clock never goes back; a scaled clock runs at its speed."""

from __future__ import annotations

import pytest

from tradewind.adapters.clocks import ReplayClock, ScaledClock


class FakeMonotonic:
    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def test_a_scaled_clock_starts_where_told_and_runs_speed_times_as_fast() -> None:
    real = FakeMonotonic()
    clock = ScaledClock(1_704_067_200, speed=60, monotonic=real)
    assert clock.now() == 1_704_067_200
    real.seconds += 1.5
    assert clock.now() == 1_704_067_200 + 90


def test_a_scaled_clock_needs_a_positive_speed() -> None:
    with pytest.raises(ValueError, match="speed must be > 0"):
        ScaledClock(0, speed=0)


def test_a_replay_clock_never_goes_back() -> None:
    clock = ReplayClock(100)
    clock.set(160)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set(100)

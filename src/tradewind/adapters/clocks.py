"""Clocks: the wall clock for live runs, a settable one for replays and tests, a sped-up one."""

from __future__ import annotations

import time
from collections.abc import Callable


class SystemClock:
    """The real time, in Unix seconds."""

    def now(self) -> int:
        return int(time.time())


class ReplayClock:
    """A clock that stands still until moved: replays step it slot by slot."""

    def __init__(self, start: int) -> None:
        self._now = start

    def now(self) -> int:
        return self._now

    def set(self, when: int) -> None:
        """Move to `when`; a replay never goes back in time."""
        if when < self._now:
            raise ValueError(f"replay clock cannot go back from {self._now} to {when}")
        self._now = when


class ScaledClock:
    """A clock that starts at `start` and runs `speed` times as fast as real time."""

    def __init__(
        self, start: int, speed: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self._start = start
        self._speed = speed
        self._monotonic = monotonic
        self._began = monotonic()

    def now(self) -> int:
        return self._start + int((self._monotonic() - self._began) * self._speed)

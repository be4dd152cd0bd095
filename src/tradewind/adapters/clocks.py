"""Clocks: the wall clock for live runs, a settable one for replays and tests."""

from __future__ import annotations

import time


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

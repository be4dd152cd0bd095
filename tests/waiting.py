"""Waiting on a condition in tests: polled, with a generous bound for a loaded machine."""

from __future__ import annotations

import threading
from collections.abc import Callable

SAFETY_S = 120.0  # a safety bound for a loaded machine, not a goal


def wait_until(check: Callable[[], bool], what: str, every_s: float = 0.05) -> None:
    """Return once `check()` holds; fail naming `what` if it never does within SAFETY_S."""
    expired = threading.Event()
    timer = threading.Timer(SAFETY_S, expired.set)
    timer.start()
    try:
        while not check():
            assert not expired.wait(every_s), f"timed out waiting for {what}"
    finally:
        timer.cancel()

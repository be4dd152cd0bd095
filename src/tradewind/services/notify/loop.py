"""The dispatcher of the embedded default: passes in a background thread of its own.

`tradewind run` and `tradewind demo` start one beside the scheduler. Ticks never wait
for it: a slow or failing channel only delays that channel's deliveries. Stopping waits
a moment for the pass under way; a delivery cut off there is tried again later, as after
any crash (see `dispatch`).
"""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta
from types import TracebackType
from typing import Self

from tradewind.domain.limits import utc_day
from tradewind.ports import Clock
from tradewind.services.notify.dispatch import DeliveryPass, NotifyDeps, deliver_due
from tradewind.services.notify.summaries import summarize_day

log = logging.getLogger("tradewind.notify")
_CAUSE_CHARS = 200


class BackgroundDispatcher:
    """Runs `deliver_due` every `poll_seconds`, and the daily summaries, until stopped.

    `days` is the clock whose days are summarized: the wall clock when trading live, the
    replay's clock in a replay (the deliveries themselves always go by `deps.clock`).
    """

    def __init__(self, deps: NotifyDeps, poll_seconds: float, days: Clock | None = None) -> None:
        self._deps = deps
        self._poll = poll_seconds
        self._days = days or deps.clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._summarized: date | None = None
        self.passes = 0
        self.last: DeliveryPass | None = None
        self._failing: str | None = None  # the cause of the failing passes, while they fail

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tradewind-notify", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop and wait up to `timeout` seconds for it."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        thread.join(timeout)
        if thread.is_alive():
            return  # a pass still under way owns the summaries; the next run catches up
        # A replay may end between two passes: the days it finished get their summary.
        # (Deliveries wait for the next run, as after any stop.)
        try:
            self.summarize_ended_days()
        except Exception:
            log.exception("summaries at stop failed; the next run writes them")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def run_once(self) -> DeliveryPass:
        """Summarize the days that ended since the last pass, then deliver what is due.

        A fast replay can cross several days between two passes: each one is summarized,
        not only the last (the first pass summarizes the day before it).
        """
        self.summarize_ended_days()
        self.last = deliver_due(self._deps)
        self.passes += 1
        return self.last

    def run_guarded(self) -> bool:
        """Run one pass as the thread does; return whether it went through.

        A pass that fails (the database or the network away for a while) is logged as
        one line naming the cause, then nothing more until the cause changes or passes
        work again: an outage of minutes never floods the log with tracebacks.
        """
        try:
            self.run_once()
        except Exception as e:  # the database away for a moment: say so, look again later
            cause = _cause(e)
            if cause != self._failing:
                log.warning(
                    "notification passes fail (%s); trying again every %g s, quiet until "
                    "the cause changes",
                    cause, self._poll,
                )  # fmt: skip
                self._failing = cause
            log.debug("notification pass failed", exc_info=True)
            return False
        if self._failing is not None:
            log.warning("notification passes work again (after: %s)", self._failing)
            self._failing = None
        return True

    def summarize_ended_days(self) -> None:
        """Write the summaries of the days of `days` that ended since the last call."""
        now = self._days.now()
        yesterday = utc_day(now) - timedelta(days=1)
        day = yesterday if self._summarized is None else self._summarized + timedelta(days=1)
        while day <= yesterday:
            summarize_day(self._deps.uow, day, now)
            self._summarized = day
            day += timedelta(days=1)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_guarded()
            self._stop.wait(self._poll)


def _cause(e: BaseException) -> str:
    """Return the exception as one short line: its type and the first line of its text."""
    text = str(e).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > _CAUSE_CHARS:
        first = first[:_CAUSE_CHARS] + "…"
    return f"{type(e).__name__}: {first}" if first else type(e).__name__

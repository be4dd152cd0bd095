"""Notification tasks for the workers: deliver the outbox, write the daily summaries.

`tradewind scheduler` sends `deliver_notifications` every few seconds and
`daily_summaries` a minute past midnight UTC. Each pass claims its deliveries (`FOR UPDATE
SKIP LOCKED`), so passes in several worker processes never send an event twice; a task
that finds the previous pass still running just does the next share. Trading never waits:
these tasks go to the ticks' queue behind the slot's own tasks, and expire rather than
pile up.
"""

from __future__ import annotations

import threading

from tradewind.bootstrap.runtime import NotifyRuntime, notify_runtime
from tradewind.entrypoints.worker.app import app, settings_of
from tradewind.services.notify import deliver_due, summarize_yesterday

_runtime: NotifyRuntime | None = None
_guard = threading.Lock()


def _notify() -> NotifyRuntime:
    global _runtime  # noqa: PLW0603 - one per worker process, built on first use
    with _guard:
        if _runtime is None:
            _runtime = notify_runtime(settings_of(app))
        return _runtime


@app.task(name="tradewind.deliver_notifications", ignore_result=True)  # type: ignore[untyped-decorator]
def deliver_notifications() -> int:
    """Deliver what is due; return how many tries were made."""
    return deliver_due(_notify().deps).sent


@app.task(name="tradewind.daily_summaries", ignore_result=True)  # type: ignore[untyped-decorator]
def daily_summaries() -> int:
    """Write each bot's summary of the UTC day that just ended (once per bot and day)."""
    runtime = _notify()
    return summarize_yesterday(runtime.deps.uow, runtime.deps.clock)

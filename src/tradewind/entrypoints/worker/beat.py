"""The scheduler: Celery beat that sends the tasks only while it holds the leader lock.

Two schedulers started by mistake elect one through PostgreSQL (a leader lock); the other
stands by and takes over when the first one stops or dies. In the moment between a
leader losing its connection and noticing it, both may send: a slot is planned once
anyway (`plan_slot` keeps the first plan of each slot), and each (bot, slot) is decided
at most once by its claim.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from celery.beat import ScheduleEntry, Scheduler
from celery.schedules import BaseSchedule

from tradewind.entrypoints.worker.app import settings_of
from tradewind.services.slots import SLOT_SECONDS

log = logging.getLogger(__name__)
STANDBY_CHECK_S = 2.0
LOOK_AGAIN_S = 1.0


class EverySlot(BaseSchedule):  # type: ignore[misc]
    """Due `settle` seconds after every minute boundary (UTC), once per slot.

    The slot due when the scheduler starts is not sent (as `tradewind run` does); a
    scheduler that takes over from another sends the slot due then, which the first
    may have sent already: `plan_slot` plans each slot once. `now` and `speed` (clock
    seconds per real second) serve test harnesses; the wall clock otherwise.
    """

    def __init__(
        self, settle: float = 2.0, now: Callable[[], float] = time.time, speed: float = 1.0
    ) -> None:
        super().__init__()
        self.settle = settle
        self.speed = speed
        self._now = now
        self.sent = self.due_slot()

    def due_slot(self) -> int:
        """Return the latest slot whose time to start has come."""
        return int(math.floor((self._now() - self.settle) / SLOT_SECONDS) * SLOT_SECONDS)

    def mark_sent(self, slot: int) -> None:
        """Remember that `slot` was sent."""
        self.sent = max(self.sent, slot)

    def is_due(self, last_run_at: datetime) -> tuple[bool, float]:
        slot = self.due_slot()
        wait = (slot + SLOT_SECONDS + self.settle - self._now()) / self.speed
        # Look again within a second at most: a clock that jumps (a laptop waking up, a
        # test's clock) is followed; the wall clock's next slot is met on time anyway.
        return slot > self.sent, min(max(0.0, wait), LOOK_AGAIN_S)

    def remaining_estimate(self, last_run_at: datetime) -> timedelta:
        return timedelta(seconds=self.is_due(last_run_at)[1])

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return id(self)


class Leadership(Protocol):
    """The leader election among schedulers (bootstrap wires it on PostgreSQL)."""

    def leads(self) -> bool: ...
    def release(self) -> None: ...


class LeaderScheduler(Scheduler):  # type: ignore[misc]
    """Beat's scheduler, sending nothing unless this process is the leader."""

    _leader: Leadership | None = None
    _leading: bool | None = None  # None: not asked yet
    _next_try = 0.0

    def setup_schedule(self) -> None:
        super().setup_schedule()
        from tradewind.bootstrap.worker import leader_lock

        self._leader = leader_lock(settings_of(self.app))

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._leads():
            return STANDBY_CHECK_S
        return float(super().tick(*args, **kwargs))

    def _leads(self) -> bool:
        if self._leader is None:
            return False
        if not self._leading and time.monotonic() < self._next_try:
            return False
        leads = self._leader.leads()
        if leads is not self._leading:
            if leads:
                log.warning("scheduler: leading; this scheduler sends the slots")
                self._send_reconcile()
            else:
                log.warning(
                    "scheduler: another scheduler leads (or the database is away); standing by"
                )
        self._leading = leads
        self._next_try = time.monotonic() + STANDBY_CHECK_S
        return leads

    def _send_reconcile(self) -> None:
        """Have a worker compare each bot with its venue: the runner starts (again)."""
        try:
            self.app.send_task("tradewind.reconcile")
        except Exception as e:  # the broker away: the ticks settle what they can meanwhile
            log.warning("scheduler: reconciliation not sent (%s)", e)

    def apply_async(
        self, entry: ScheduleEntry, producer: Any = None, advance: bool = True, **kwargs: Any
    ) -> Any:
        schedule = entry.schedule
        if isinstance(schedule, EverySlot):
            slot = schedule.due_slot()
            schedule.mark_sent(slot)
            entry.kwargs = {**entry.kwargs, "slot": slot}
            # The broker may drop a plan the workers did not take before the next slot.
            entry.options = {**entry.options, "expires": SLOT_SECONDS / schedule.speed}
        return super().apply_async(entry, producer=producer, advance=advance, **kwargs)

    def close(self) -> None:
        super().close()
        if self._leader is not None:
            self._leader.release()

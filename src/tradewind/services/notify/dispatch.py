"""One pass of the dispatcher: route new events, then try every delivery that is due.

At least once: a delivery is claimed (its try counted, not due again until the try's
lease ends) in one transaction, sent with no transaction open, and settled in another.
A process that dies between the two leaves the delivery due again when the lease ends;
the receiver then sees the same event id twice and can drop the copy. A failed try is
due again after an exponential backoff with jitter; after the last allowed try the
delivery is dead-lettered (`tradewind notify retry` revives it). Nothing here runs on a
tick's path: ticks only write the outbox.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tradewind.domain.errors import DeliveryFailed
from tradewind.domain.notifications import ChannelKind, EventType, retry_delay
from tradewind.ports import ChannelSender, Clock, DeliveryJob, NotifyUnitOfWork
from tradewind.services.notify.routing import channels_for

log = logging.getLogger("tradewind.notify")

ROUTE_BATCH = 500  # events handed to their channels per transaction
SEND_BATCH = 10  # deliveries claimed per transaction
MAX_SENDS_PER_PASS = 200  # so a pass ends and a stop request is heard


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often, and how far apart, a delivery is tried."""

    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_cap_seconds: float = 6 * 3600.0
    # How long one claimed batch may take before its deliveries are due again: longer
    # than SEND_BATCH tries at their timeouts, so a slow try is never sent twice at once.
    lease_seconds: int = 330

    def retry_at(self, job: DeliveryJob, now: int, jitter: float) -> int | None:
        """Return when to try again after a failed try, or None: dead-letter it."""
        if job.attempts >= self.max_attempts or job.notification.event_type == EventType.TEST:
            return None  # a test is tried once: its sender waits for the answer
        delay = retry_delay(job.attempts, self.backoff_seconds, self.backoff_cap_seconds, jitter)
        return now + max(1, round(delay))


def _jitter() -> float:
    return random.uniform(0.8, 1.2)  # spreads retries; nothing secret


@dataclass(frozen=True, slots=True)
class NotifyDeps:
    """What the dispatcher needs; bootstrap builds one per process."""

    uow: Callable[[], NotifyUnitOfWork]
    senders: Mapping[ChannelKind, ChannelSender]
    clock: Clock  # the wall clock: retry times, and webhook timestamps
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    jitter: Callable[[], float] = _jitter


@dataclass(slots=True)
class DeliveryPass:
    """What one pass did."""

    routed: int = 0  # events handed to their channels
    delivered: int = 0
    retrying: int = 0  # failed tries that will be tried again
    dead: int = 0  # failed tries that were the last
    results: list[tuple[DeliveryJob, str | None]] = field(default_factory=list)  # error or None

    @property
    def sent(self) -> int:
        return self.delivered + self.retrying + self.dead


def deliver_due(deps: NotifyDeps, max_sends: int = MAX_SENDS_PER_PASS) -> DeliveryPass:
    """Route the events not routed yet, then try each delivery due now, once.

    Safe to run in several processes at once: each claims its own rows and skips the
    others' (never waits on them).
    """
    done = DeliveryPass()
    done.routed = route_events(deps)
    while done.sent < max_sends:
        now = deps.clock.now()
        with deps.uow() as uow:
            limit = min(SEND_BATCH, max_sends - done.sent)
            jobs = uow.deliveries.claim_due(now, now + deps.policy.lease_seconds, limit)
            uow.commit()
        if not jobs:
            break
        outcomes = [(job, _try(deps, job)) for job in jobs]
        _settle(deps, outcomes, done)
    return done


def route_events(deps: NotifyDeps) -> int:
    """Give each new event one delivery per channel it goes to; return how many events."""
    total = 0
    while True:
        with deps.uow() as uow:
            events = uow.outbox.claim_unrouted(ROUTE_BATCH)
            if not events:
                return total
            now = deps.clock.now()
            routes, channels = uow.outbox.routes_of(sorted({e.user_id for e in events}))
            pairs = [(e.id, c) for e in events for c in channels_for(e, routes, channels)]
            uow.deliveries.add_all(pairs, now)
            uow.outbox.mark_routed([e.id for e in events], now)
            uow.commit()
        total += len(events)
        if len(events) < ROUTE_BATCH:
            return total


def _try(deps: NotifyDeps, job: DeliveryJob) -> str | None:
    """Send one delivery; return None when it was taken, else why not."""
    sender = deps.senders.get(job.channel.kind)
    if sender is None:
        return f"no sender for {job.channel.kind.value} channels in this process"
    try:
        sender.send(job.notification, job.channel)
    except DeliveryFailed as e:
        return str(e)
    except Exception as e:  # a bug or an unforeseen failure must not stop the others
        # One line (the try's failure is logged with it); the traceback only at debug.
        log.debug("delivery %d to channel %r broke", job.delivery_id, job.channel.name,
                  exc_info=True)  # fmt: skip
        return f"unexpected {type(e).__name__}"  # never its text: it may quote a URL's token
    return None


def _settle(
    deps: NotifyDeps, outcomes: list[tuple[DeliveryJob, str | None]], done: DeliveryPass
) -> None:
    now = deps.clock.now()
    with deps.uow() as uow:
        for job, error in outcomes:
            done.results.append((job, error))
            if error is None:
                uow.deliveries.delivered(job, now)
                done.delivered += 1
                continue
            retry_at = deps.policy.retry_at(job, now, deps.jitter())
            uow.deliveries.failed(job, error, retry_at)
            if retry_at is None:
                done.dead += 1
            else:
                done.retrying += 1
            log.warning(
                "%s %s to channel %r failed (try %d of %d): %s; %s",
                job.notification.event_type, job.notification.event_id, job.channel.name,
                job.attempts, deps.policy.max_attempts, error,
                "dead-lettered" if retry_at is None else f"next try in {retry_at - now} s",
            )  # fmt: skip
        uow.commit()

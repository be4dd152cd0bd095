"""The tasks of a slot: plan it, fetch each market group's candles, tick bots in batches.

    plan_slot(slot)                      sent by the scheduler a moment after each minute
      └ tick_group(slot, market, …)      one per (market, symbol, timeframe): candles once
          └ tick_batch(slot, bot_ids)    `tick_batch_size` bots each, in a few round trips
    plan_streamed(slot)                  at the minute: the groups whose candles come from
      └ tick_group(…)                    the streams, each as its candle lands (stream_tasks)

Every task may run twice (late acknowledgement, redelivery, two schedulers): a slot is
planned by its first plan only, and each (bot, slot) is decided at most once by its
claim. The database away: a batch waits and tries again until its slot ends.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from celery import Task
from celery.signals import worker_process_init
from sqlalchemy.exc import DBAPIError

from tradewind.bootstrap.runtime import WorkerRuntime
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.types import PositionType, Symbol
from tradewind.entrypoints.worker import stats
from tradewind.entrypoints.worker.app import app, settings_of
from tradewind.entrypoints.worker.runtime import runtime
from tradewind.services.reconcile import reconcile_at_start
from tradewind.services.slots import (
    SLOT_SECONDS,
    STREAMED_VENUES,
    MarketGroup,
    batches,
    prefetch_candles,
    slot_ended,
    waits_for_stream,
)
from tradewind.services.slots import (
    plan_slot as groups_of_slot,
)
from tradewind.services.tick import run_ticks, run_ticks_one_by_one

log = logging.getLogger(__name__)
PLAN_KEPT_S = 86_400
RETRY_MAX_S = 5.0


def _runtime() -> WorkerRuntime:
    return runtime(settings_of(app), int(app.conf.get("tradewind_paper_seed", 7)))


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _warm_up(**_: Any) -> None:
    """Build the runtime as the pool process starts, not at its first task."""
    try:
        _runtime()
    except Exception as e:  # the first task tries again, and says why
        log.warning("worker process not ready yet: %s", e)


def _ready(task: Task) -> WorkerRuntime:
    """Return the runtime; one that cannot be built yet (the database away) makes the task
    wait and try again, until its slot's tasks expire."""
    try:
        return _runtime()
    except Exception as e:
        log.warning("worker process not ready, %s waits: %s", task.name, e)
        raise task.retry(exc=e, countdown=RETRY_MAX_S) from e


def _expires(rt: WorkerRuntime, slot: int) -> float:
    """Seconds until the next slot begins: the broker may drop the task after that."""
    return float(max(1, slot + SLOT_SECONDS - rt.deps.clock.now()))


def _retry_in(task: Task, rt: WorkerRuntime, slot: int) -> float:
    """Return the backoff of the task's next attempt, within its slot."""
    wait: float = min(RETRY_MAX_S, 0.5 * 2 ** int(task.request.retries or 0))
    return max(0.1, min(wait, _expires(rt, slot)))


def _late(rt: WorkerRuntime, name: str, slot: int) -> bool:
    """Tell (and log) whether the slot is over: the task is dropped, nothing decided."""
    if slot_ended(slot, rt.deps.clock.now()):
        log.warning("%s of slot %s dropped: the next slot has begun", name, slot)
        return True
    return False


@app.task(name="tradewind.plan_slot", bind=True, max_retries=None)  # type: ignore[untyped-decorator]
def plan_slot(self: Task, slot: int) -> int:
    """Send one tick_group per market group of the bots that run; return how many."""
    rt = _ready(self)
    if _late(rt, "plan", slot):
        return 0
    if not _first_plan(rt, slot, str(self.request.id)):
        log.info("slot %s planned already (by another scheduler's task)", slot)
        return 0
    try:
        with rt.deps.uow() as uow:
            groups = groups_of_slot(uow, rt.trades)
    except DBAPIError as e:  # the database is away: wait, try again (until the slot ends)
        log.warning("plan of slot %s waits for the database: %s", slot, e.orig)
        raise self.retry(exc=e, countdown=_retry_in(self, rt, slot)) from e
    streamed = rt.trades & STREAMED_VENUES  # those groups are plan_streamed's
    mine = [g for g in groups if not waits_for_stream(g, slot, streamed)]
    for group in mine:
        send_group(rt, slot, group)
    return len(mine)


def send_group(rt: WorkerRuntime, slot: int, group: MarketGroup) -> None:
    """Send the group's tick_group, to expire when the next slot begins."""
    args = (slot, group.position_type.value, group.symbol, group.timeframe, group.bot_ids)
    tick_group.apply_async((*args, group.venue.value), expires=_expires(rt, slot))


def _first_plan(rt: WorkerRuntime, slot: int, task_id: str, plan: str = "planned") -> bool:
    """Tell whether this task is the slot's plan: the first one, or it again (redelivered)."""
    key = rt.names.key(plan, slot)
    try:
        if rt.redis.set(key, task_id, nx=True, ex=PLAN_KEPT_S):
            return True
        planner = rt.redis.get(key)
    except redis.RedisError as e:
        log.warning("cannot tell whether slot %s was planned (%s): planning it", slot, e)
        return True
    return planner is not None and bytes(planner).decode() == task_id  # type: ignore[arg-type]


@app.task(name="tradewind.tick_group", bind=True, max_retries=None)  # type: ignore[untyped-decorator]
def tick_group(
    self: Task,
    slot: int,
    position_type: str,
    symbol: str,
    timeframe: str,
    bot_ids: list[int],
    venue: str = ExchangeKind.PAPER.value,
) -> int:
    """Fetch the group's candles once, then send its bots in batches; return how many."""
    rt = _ready(self)
    if _late(rt, "group", slot):
        return 0
    group = MarketGroup(
        PositionType(position_type), Symbol(symbol), timeframe, tuple(bot_ids), ExchangeKind(venue)
    )
    try:
        market = rt.deps.candles_of(group.venue)
        prefetched = prefetch_candles(market, group, slot, rt.deps.history)
    except Exception as e:  # the source is down: the ticks will say "market data behind"
        log.warning("candles of %s %s at %s not fetched: %s", symbol, timeframe, slot, e)
        prefetched = False
    stats.record_group(rt.redis, rt.names, slot, prefetched)
    sent = batches(group.bot_ids, settings_of(app).tick_batch_size)
    for batch in sent:
        tick_batch.apply_async((slot, batch), expires=_expires(rt, slot))
    return len(sent)


@app.task(name="tradewind.tick_batch", bind=True, max_retries=None)  # type: ignore[untyped-decorator]
def tick_batch(self: Task, slot: int, bot_ids: list[int]) -> dict[str, Any]:
    """Tick the bots at `slot`; return how many ended how."""
    rt = _ready(self)
    if _late(rt, "batch", slot):
        return {}
    trips, calls = rt.round_trips(), rt.venues.calls
    try:
        results = run_ticks(rt.deps, bot_ids, slot, settings_of(app).tick_threads)
    except DBAPIError as e:  # the database is away: nothing was decided; wait, try again
        log.warning("batch of slot %s waits for the database: %s", slot, e.orig)
        raise self.retry(exc=e, countdown=_retry_in(self, rt, slot)) from e
    except Exception:
        log.exception("batch of slot %s failed; ticking its bots one by one", slot)
        results = run_ticks_one_by_one(rt.deps, bot_ids, slot)
    stats.record_batch(
        rt.redis, rt.names, slot, results, rt.round_trips() - trips, rt.venues.calls - calls
    )
    counts: dict[str, Any] = {}
    for result in results.values():
        counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
    return counts


@app.task(name="tradewind.reconcile", bind=True, max_retries=None)  # type: ignore[untyped-decorator]
def reconcile(self: Task) -> dict[str, int]:
    """Reconcile every active bot with its venue (a scheduler sends it as it starts to
    lead); return how many ended how. Bots ticking meanwhile are left to their ticks."""
    rt = _ready(self)
    try:
        found = reconcile_at_start(rt.deps)
    except DBAPIError as e:  # the database is away: wait, try again
        log.warning("reconciliation waits for the database: %s", e.orig)
        raise self.retry(exc=e, countdown=RETRY_MAX_S) from e
    log.warning("%s", found.summary())
    counts: dict[str, int] = {}
    for outcome in found.outcomes.values():
        counts[outcome.value] = counts.get(outcome.value, 0) + 1
    return counts

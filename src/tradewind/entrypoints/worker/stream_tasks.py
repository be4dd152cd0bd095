"""The plan of the groups whose candles come from the streams: each starts as its candle lands.

The scheduler sends `plan_streamed(slot)` at the minute itself. It takes the groups of the
slot that close a candle on a streamed venue (Binance), and sends each one's `tick_group`
the moment the feeder has stored the group's closed candle in the stream book (announced
on Redis pub/sub): no fixed delay, and a group whose market is quick is not held by a slow
one. A group whose candle is not in by `stream_wait_s` after the minute is sent anyway:
its candles are then read from REST (decided late), and when REST lacks the slot's candle
too, each bot's tick records "market data behind" and decides nothing (skipped, and said
so) — never a decision on the candle before. Paper groups and exit checks are
`plan_slot`'s, at their usual moment.
"""

from __future__ import annotations

import logging

import redis
from celery import Task
from sqlalchemy.exc import DBAPIError

from tradewind.bootstrap.worker import watch_candles
from tradewind.entrypoints.worker import stats
from tradewind.entrypoints.worker.app import app, settings_of
from tradewind.entrypoints.worker.tasks import _first_plan, _late, _ready, _retry_in, send_group
from tradewind.services.slots import STREAMED_VENUES, MarketGroup, waits_for_stream
from tradewind.services.slots import plan_slot as groups_of_slot

log = logging.getLogger(__name__)


@app.task(name="tradewind.plan_streamed", bind=True, max_retries=None)  # type: ignore[untyped-decorator]
def plan_streamed(self: Task, slot: int) -> int:
    """Send each streamed group's tick_group as its candle lands; return how many."""
    rt = _ready(self)
    streamed = rt.trades & STREAMED_VENUES
    if not streamed or _late(rt, "streamed plan", slot):
        return 0
    if not _first_plan(rt, slot, str(self.request.id), "planned-streamed"):
        log.info("slot %s: streamed groups planned already", slot)
        return 0
    try:
        with rt.deps.uow() as uow:
            groups = [
                g for g in groups_of_slot(uow, streamed) if waits_for_stream(g, slot, streamed)
            ]
    except DBAPIError as e:  # the database is away: wait, try again (until the slot ends)
        log.warning("streamed plan of slot %s waits for the database: %s", slot, e.orig)
        raise self.retry(exc=e, countdown=_retry_in(self, rt, slot)) from e
    if not groups:
        return 0
    wait_s = settings_of(app).stream_wait_s

    def arrived(group: MarketGroup) -> None:
        send_group(rt, slot, group)

    late = watch_candles(rt, groups, slot, arrived, lambda: rt.deps.clock.now() >= slot + wait_s)
    if late:
        shown = ", ".join(f"{g.position_type.value} {g.symbol} {g.timeframe}" for g in late[:5])
        log.warning(
            "slot %s: candles of %d group(s) not on the streams %gs after the minute (%s%s): "
            "read from REST; a bot whose candle REST lacks too decides nothing and says why",
            slot, len(late), wait_s, shown, "…" if len(late) > 5 else "",
        )  # fmt: skip
        for group in late:
            send_group(rt, slot, group)
    _record(rt.redis, rt.names, slot, len(groups) - len(late), len(late))
    return len(groups)


def _record(client: redis.Redis, names: stats.Names, slot: int, on_time: int, late: int) -> None:
    """Count the slot's streamed groups: sent as their candles landed, or late."""
    key = names.key("slot", slot)
    pipe = client.pipeline(transaction=False)
    pipe.hincrby(key, "streamed_groups", on_time)
    pipe.hincrby(key, "late_groups", late)
    pipe.expire(key, stats.KEEP_S)
    try:
        pipe.execute()
    except redis.RedisError as e:
        log.warning("slot figures not recorded: %s", e)

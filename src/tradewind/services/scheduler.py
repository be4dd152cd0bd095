"""Run every active bot at its slots: each minute, a candle close or an exit check.

A slot is a minute boundary (Unix seconds). At each one every active bot ticks once: on
its timeframe's candle closes the tick decides on signals; in between it checks exits.
The same loop serves the live clock (sleeping to the next minute) and a replay (stepping
a replay clock through the data as fast as asked).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tradewind.domain.accounts import ExchangeKind
from tradewind.services.tick import TickDeps, TickOutcome, run_tick

if TYPE_CHECKING:
    from tradewind.services.outages import DatabaseOutages

SLOT_SECONDS = 60
# Live ticks start this long after the minute so the exchange has closed the candle.
SETTLE_SECONDS = 2


def slots_between(after: int, until: int) -> Iterator[int]:
    """Yield the minute boundaries in (after, until]."""
    first = (after // SLOT_SECONDS + 1) * SLOT_SECONDS
    yield from range(first, until + 1, SLOT_SECONDS)


@dataclass(slots=True)
class SlotReport:
    """How the ticks of one slot ended."""

    slot: int
    outcomes: Counter[TickOutcome]
    seconds: float


def run_slot(deps: TickDeps, bot_ids: list[int], slot: int) -> SlotReport:
    """Tick every bot in `bot_ids` once at `slot`."""
    started = time.perf_counter()
    outcomes: Counter[TickOutcome] = Counter()
    for bot_id in bot_ids:
        outcomes[run_tick(deps, bot_id, slot)] += 1
    return SlotReport(slot, outcomes, time.perf_counter() - started)


def _tick_slot(
    deps: TickDeps,
    slot: int,
    account_kind: ExchangeKind | None,
    outages: DatabaseOutages | None,
) -> SlotReport | None:
    """Tick the active bots at `slot`; None when `outages` saw the database away."""
    if outages is None:
        return run_slot(deps, active_bots(deps, account_kind), slot)
    return outages.run_slot(deps, slot, account_kind)


def active_bots(deps: TickDeps, account_kind: ExchangeKind | None = None) -> list[int]:
    """Return the ids of the bots that should tick (on `account_kind` accounts only)."""
    with deps.uow() as uow:
        return uow.bots.active_ids(account_kind)


def run_live(
    deps: TickDeps,
    on_slot: Callable[[SlotReport], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    account_kind: ExchangeKind | None = None,
    outages: DatabaseOutages | None = None,
) -> None:
    """Tick the active bots (on `account_kind` accounts) every minute until told to stop.

    With `outages`, a slot that meets the database away is tried again until it is back
    or a newer slot is due (the one missed is said when the database is back).
    """
    last = deps.clock.now() // SLOT_SECONDS * SLOT_SECONDS
    while not should_stop():
        now = deps.clock.now()
        due = list(slots_between(last, now - SETTLE_SECONDS))
        if not due:
            sleep(min(1.0, last + SLOT_SECONDS + SETTLE_SECONDS - now))
            continue
        # After a pause (laptop asleep, broker down) only the latest slot is decided:
        # old slots cannot be traded at their prices any more.
        report = _tick_slot(deps, due[-1], account_kind, outages)
        if report is None and outages is not None:
            sleep(outages.retry_seconds)
            continue
        last = due[-1]
        if on_slot is not None and report is not None:
            on_slot(report)


def run_replay(
    deps: TickDeps,
    set_time: Callable[[int], None],
    start: int,
    end: int,
    speed: float = 0.0,
    on_slot: Callable[[SlotReport], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    account_kind: ExchangeKind | None = None,
    outages: DatabaseOutages | None = None,
) -> int:
    """Step a replay clock through [start, end] a minute at a time; return slots run.

    `speed` is how many replayed seconds pass per real second (0 = as fast as possible).
    With `outages`, the replay waits at a slot that meets the database away, and decides
    it once the database is back: the replay's time is its own, so none is missed.
    """
    count = 0
    for slot in slots_between(start, end):
        if should_stop():
            break
        set_time(slot)
        report = _tick_slot(deps, slot, account_kind, outages)
        while report is None and outages is not None:
            if should_stop():
                return count
            time.sleep(outages.retry_seconds)
            report = _tick_slot(deps, slot, account_kind, outages)
        assert report is not None
        count += 1
        if on_slot is not None:
            on_slot(report)
        if speed > 0:
            time.sleep(max(0.0, SLOT_SECONDS / speed - report.seconds))
    return count


def run_on_market(
    deps: TickDeps,
    set_time: Callable[[int], None],
    market_minute: Callable[[], int],
    on_slot: Callable[[SlotReport], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    poll_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    account_kind: ExchangeKind | None = None,
    since: int | None = None,
    outages: DatabaseOutages | None = None,
) -> None:
    """Tick the active bots each time the market begins a new 1m candle, until told to stop.

    `since` is the market minute already seen (read now when None): the first slot ticked
    is the next one.

    Paper trading on the real market keeps the market's time, not the machine's: the slot
    is the open of the newest 1m candle (the close of the one before), read every
    `poll_seconds`; `set_time` moves the tick's clock there, so orders fill at that
    candle's open. A market that moved on by several minutes between two reads (the
    machine slept) is decided at its latest slot only, as `run_live` does; so is one
    that moved on while `outages` saw the database away.
    """
    from tradewind.domain.errors import TemporaryExchangeError

    last = market_minute() if since is None else since
    while not should_stop():
        try:
            minute = market_minute()
        except TemporaryExchangeError:
            sleep(poll_seconds)  # the market source away for a moment: ask again
            continue
        if minute <= last:
            sleep(poll_seconds)
            continue
        set_time(minute)
        report = _tick_slot(deps, minute, account_kind, outages)
        if report is None:
            sleep(poll_seconds)  # the database away: this minute again, or the next one
            continue
        last = minute
        if on_slot is not None:
            on_slot(report)

"""`run_ticks`: one slot's decisions for a batch of bots, in a few statements.

Each bot is decided as `run_tick` decides it, by the same code; only the statements
around the decisions are shared, so a batch of a hundred bots costs a handful of round
trips instead of three per bot:

1. take the locks of the bots no tick holds, in one statement (the others are BUSY);
2. read the markets the bots trade (one statement) and fetch each market's candles once,
   before any transaction is open;
3. in one transaction: claim the slot and load every bot locked (one statement), and
   decide each bot whose tick needs no exchange call (a write only where its state
   changed); the claims and those decisions become final together, at its commit;
4. decide the others as `run_tick` does after its claim, on a few threads: their claims
   are committed before any exchange call (a bot whose market changed since step 2
   reads its candles there too);
5. give the locks back, in one statement.

If fetching or deciding raises (a bug, not an exchange failure) in steps 2-3, nothing of
the batch is claimed, and the exception propagates: the caller may tick the batch again
bot by bot (`run_ticks_one_by_one`), so one failing bot never holds back the others. A
bot that raises in step 4 is logged and counted FAILED; the next one goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tradewind.domain.limits import utc_day
from tradewind.services.tick.context import BotAtSlot, TickDeps
from tradewind.services.tick.market import MarketView, batch_view, fetch_for_batch, read_market
from tradewind.services.tick.outcome import TickOutcome
from tradewind.services.tick.run import decide_quietly, proceed, run_tick, start
from tradewind.services.tick.state import write

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TickResult:
    """How one bot's tick ended, and when it was final (Unix seconds, fractional)."""

    outcome: TickOutcome
    final_at: float


def run_ticks(
    deps: TickDeps, bot_ids: Sequence[int], slot: int, threads: int = 1
) -> dict[int, TickResult]:
    """Decide for each bot at `slot` unless another tick has or is doing so (see module).

    Step 3 runs the bots on `threads` threads: their ticks wait on the exchange and the
    database, each on its own connections, and never on each other.
    """
    wanted = list(dict.fromkeys(bot_ids))
    held = deps.lock.try_acquire_many(wanted)
    try:
        results = {b: TickResult(TickOutcome.BUSY, time.time()) for b in wanted if b not in held}
        if held:
            results |= _decide_locked(deps, held, slot, threads)
    finally:
        deps.lock.release_many(held)
    return {bot_id: results[bot_id] for bot_id in wanted}


def _decide_locked(
    deps: TickDeps, bot_ids: list[int], slot: int, threads: int
) -> dict[int, TickResult]:
    fetched = fetch_for_batch(deps, bot_ids, slot)
    now = deps.clock.now()
    later: list[tuple[BotAtSlot, MarketView | None]] = []
    decided: dict[int, TickOutcome] = {}
    with deps.uow() as uow:
        loads = uow.bots.claim_and_load_many(bot_ids, slot, now, utc_day(slot))
        for bot_id in bot_ids:
            if bot_id not in loads:
                decided[bot_id] = TickOutcome.SLOT_TAKEN
                continue
            started = start(uow, loads[bot_id], slot, now)
            if isinstance(started, TickOutcome):
                decided[bot_id] = started
                continue
            view = batch_view(started, fetched)
            quiet = None if view is None else decide_quietly(started, view)
            if quiet is None:
                later.append((started, view))
                continue
            outcome, events = quiet
            write(uow, started, events)
            decided[bot_id] = outcome
        uow.commit()
    committed = time.time()
    results = {bot_id: TickResult(outcome, committed) for bot_id, outcome in decided.items()}

    def finish(item: tuple[BotAtSlot, MarketView | None]) -> tuple[int, TickResult]:
        at, view = item
        try:
            outcome = proceed(deps, at, read_market(deps, at) if view is None else view)
        except Exception:
            log.exception("tick of bot %s at slot %s failed", at.bot.id, slot)
            outcome = TickOutcome.FAILED
        return at.bot.id, TickResult(outcome, time.time())

    if threads > 1 and len(later) > 1:
        with ThreadPoolExecutor(min(threads, len(later)), "tick") as pool:
            results.update(pool.map(finish, later))
    else:
        results.update(map(finish, later))
    return results


def run_ticks_one_by_one(
    deps: TickDeps, bot_ids: Sequence[int], slot: int
) -> dict[int, TickResult]:
    """Tick each bot on its own with `run_tick`; a bot that raises is logged, FAILED."""
    results: dict[int, TickResult] = {}
    for bot_id in dict.fromkeys(bot_ids):
        try:
            outcome = run_tick(deps, bot_id, slot)
        except Exception:
            log.exception("tick of bot %s at slot %s failed", bot_id, slot)
            outcome = TickOutcome.FAILED
        results[bot_id] = TickResult(outcome, time.time())
    return results

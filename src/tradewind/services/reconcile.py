"""Reconcile every active bot with its venue when a runner starts.

A runner that stopped (killed, crashed, restarted on another machine) left the venue to
go on without it: a protective exit may have filled, an order sent just before the stop
may have filled or not, a paper venue's state may be gone. Before the first slot, each
active bot, under its tick lock (never beside one of its ticks):

1. settles its open orders by client order id, as a tick does (`settle_open_orders`): the
   fills the venue made meanwhile are recorded (once: a trade is keyed by its client
   order id), the orders it does not hold are closed, orphaned exits cancelled;
2. lists the orders resting at the venue on its market (`sweep_venue_orders`): those
   under the bot's client id prefix the database does not hold open (orphans) are
   cancelled, recorded and told once; orders tradewind did not place are left alone,
   and named in the bot's state on futures, where they share its net position;
3. compares its position with the venue's (`position_difference`). A difference the
   fills do not explain puts the bot in error, with the reason in its state, and queues
   one `bot_error` event (cause `venue_mismatch`) for its owner. A bot in error is not
   ticked, so it sends nothing more: never a loop of refused orders.

A bot whose venue cannot answer now (an outage, an outcome still unknown) is left as it
is: its ticks settle it, as they would anyway. Nothing is ever sent here but cancels: of
exits left resting for a position that is gone, and of orphans.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.bots import BotStatus
from tradewind.domain.limits import utc_day
from tradewind.domain.notifications import ErrorCause
from tradewind.domain.orders import OrderStatus
from tradewind.services.scheduler import SLOT_SECONDS
from tradewind.services.tick.context import BotAtSlot, TickDeps
from tradewind.services.tick.market import FAILURES
from tradewind.services.tick.orphans import sweep_venue_orders
from tradewind.services.tick.reconcile import settle_open_orders
from tradewind.services.tick.sending import OrderDesk
from tradewind.services.tick.state import mark_error
from tradewind.services.tick.venue_check import mismatch_reason, position_difference


class Reconciled(StrEnum):
    """How one bot's reconciliation ended."""

    AGREES = "agrees"  # the venue holds what the database says (after recording its fills)
    STOPPED = "stopped"  # a difference the fills do not explain: the bot is in error
    LATER = "later"  # the venue could not tell now: the bot's ticks settle it
    SKIPPED = "skipped"  # not running, in error already, or ticking in another process


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """What a runner's start found, bot by bot."""

    outcomes: dict[int, Reconciled]
    fills: int  # orders found filled: what the venue did while no runner watched
    orphans: int = 0  # orders resting under a bot's ids the database lacked: cancelled

    def summary(self) -> str:
        """Say in a line what was found."""
        counts = Counter(self.outcomes.values())
        parts = [f"{counts[r]} {_SAID[r]}" for r in Reconciled if counts[r]]
        return (
            f"reconciled {len(self.outcomes)} bots with their venues: "
            f"{', '.join(parts) or 'none active'}; {self.fills} orders found filled, recorded"
            + (f"; {self.orphans} orphan orders cancelled" if self.orphans else "")
        )


_SAID = {
    Reconciled.AGREES: "agree",
    Reconciled.STOPPED: "stopped in error (their position differs from the venue's)",
    Reconciled.LATER: "left to their next tick (the venue could not tell now)",
    Reconciled.SKIPPED: "skipped",
}


def reconcile_at_start(deps: TickDeps, account_kind: ExchangeKind | None = None) -> Reconciliation:
    """Reconcile each active bot (on `account_kind` accounts) with its venue; see above."""
    with deps.uow() as uow:
        bot_ids = uow.bots.active_ids(account_kind)
    outcomes: dict[int, Reconciled] = {}
    fills = orphans = 0
    for bot_id in bot_ids:
        if not deps.lock.try_acquire(bot_id):
            outcomes[bot_id] = Reconciled.SKIPPED  # another runner is ticking it now
            continue
        try:
            found = _reconcile(deps, bot_id)
        finally:
            deps.lock.release(bot_id)
        outcomes[bot_id] = found.outcome
        fills += found.fills
        orphans += found.orphans
    return Reconciliation(outcomes, fills, orphans)


@dataclass(frozen=True, slots=True)
class _Found:
    outcome: Reconciled
    fills: int = 0
    orphans: int = 0


def _reconcile(deps: TickDeps, bot_id: int) -> _Found:
    now = deps.clock.now()
    with deps.uow() as uow:
        load = uow.bots.load_for_tick(bot_id, utc_day(now))
    if load is None or not load.bot.active or load.access is None:
        return _Found(Reconciled.SKIPPED)  # gone, stopped, or its tick errs it with the reason
    if load.bot.state.status is BotStatus.ERROR:
        return _Found(Reconciled.SKIPPED)  # told already; it waits for its owner
    at = BotAtSlot.claimed(
        load.bot, load.access, load.open_orders, load.today, now // SLOT_SECONDS * SLOT_SECONDS, now
    )
    recorded = orphans = 0
    try:
        desk = OrderDesk(deps.uow, deps.exchanges.for_account(load.access), at)
        before = _filled(at)
        stuck = settle_open_orders(desk) if at.open_orders else None
        recorded = _filled(at) - before
        if stuck is not None:
            return _Found(Reconciled.LATER, recorded)
        sweep = sweep_venue_orders(desk)
        orphans = len(sweep.cancelled)
        if sweep.stopped:
            return _Found(Reconciled.STOPPED, recorded, orphans)
        difference = position_difference(desk.exchange, at.bot)
    except FAILURES:
        return _Found(Reconciled.LATER, recorded, orphans)
    if difference is None:
        return _Found(Reconciled.AGREES, recorded, orphans)
    with deps.uow() as uow:
        reason = mismatch_reason(difference)
        uow.outbox.add(mark_error(at.bot, now, reason, ErrorCause.VENUE_MISMATCH))
        at.book.save(uow)
        uow.commit()
    return _Found(Reconciled.STOPPED, recorded, orphans)


def _filled(at: BotAtSlot) -> int:
    """Count the bot's loaded orders that are filled (settling updates their status)."""
    return sum(1 for o in at.open_orders if o.status is OrderStatus.FILLED)

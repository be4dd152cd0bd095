"""`run_tick`: one decision for one bot at one slot, as a recipe (ARCHITECTURE.md §2).

    claim + load → read the market → settle open orders → decide → apply → say why

1-2 claim the slot under the bot's lock and load the bot, in one unit of work, committed
before anything else · then read what the closed candles say, with no transaction open
(`market`) · 3 settle the orders whose outcome is unknown (`reconcile`) · 4-7 the
domain's `decide`: protect, wait, pause, enter or close — an entry sized by the domain
from what the exchange says of the funds (`entry`) · 8-9 intent first, then send
(`sending`) · 10 record the fill and say what the bot does and why (`state`). A close
asked by the bot's owner is taken after step 3, in place of the decision (`closing`).

Most ticks need no exchange call: a flat bot, or one whose exits rest, with no order to
settle and a decision to wait. Such a tick is decided in memory and writes its state, only
when it changed, in one unit of work. A tick that calls the exchange writes each outcome
in a unit of work of its own: never is a transaction open across a network call.
"""

from __future__ import annotations

from collections.abc import Callable

from tradewind.domain.bots import BotStatus
from tradewind.domain.decide import NOTHING, Close, Enter, Pause, Protect, Reading, Wait, decide
from tradewind.domain.limits import DayTally, utc_day
from tradewind.domain.notifications import ErrorCause
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.records import OutboxEvent
from tradewind.domain.types import ExitReason, Signal
from tradewind.ports import TickLoad, UnitOfWork
from tradewind.services.tick import alerts
from tradewind.services.tick.closing import close_on_request
from tradewind.services.tick.context import BotAtSlot, TickDeps
from tradewind.services.tick.entry import enter
from tradewind.services.tick.market import FAILURES, MarketView, Unread, read_market
from tradewind.services.tick.orphans import sweep_venue_orders
from tradewind.services.tick.outcome import TickOutcome
from tradewind.services.tick.protection import (
    Protection,
    lift_protection,
    plan_protection,
    protect,
    write_intents,
)
from tradewind.services.tick.reconcile import UNSENT, settle_open_orders
from tradewind.services.tick.sending import OrderDesk
from tradewind.services.tick.state import conclude, failed, mark_error, saw, write
from tradewind.services.tick.venue_check import mismatch_reason, position_difference
from tradewind.services.tick.watch import look_at_watched_exits

Quiet = tuple[TickOutcome, list[OutboxEvent]]
# The MARKET order that closes a position, by what closed it (a watched exit keeps its name).
_CLOSING = {
    ExitReason.SIGNAL: OrderPurpose.CLOSE,
    ExitReason.STOP_LOSS: OrderPurpose.STOP_LOSS,
    ExitReason.TAKE_PROFIT: OrderPurpose.TAKE_PROFIT,
    ExitReason.TRAILING_STOP: OrderPurpose.TRAILING_STOP,
}


def run_tick(deps: TickDeps, bot_id: int, slot: int) -> TickOutcome:
    """Decide for `bot_id` at `slot` (Unix seconds) unless another tick has or is doing so."""
    if not deps.lock.try_acquire(bot_id):
        return TickOutcome.BUSY
    try:
        claimed = claim(deps, bot_id, slot)
        if isinstance(claimed, TickOutcome):
            return claimed
        return proceed(deps, claimed, read_market(deps, claimed))
    finally:
        deps.lock.release(bot_id)


def claim(deps: TickDeps, bot_id: int, slot: int) -> BotAtSlot | TickOutcome:
    """Claim the slot and load the bot (one statement where the database allows), committed."""
    now = deps.clock.now()
    with deps.uow() as uow:
        claimed, load = uow.bots.claim_and_load(bot_id, slot, now, utc_day(slot))
        started = start(uow, load, slot, now) if claimed else TickOutcome.SLOT_TAKEN
        uow.commit()
    return started


def start(uow: UnitOfWork, load: TickLoad | None, slot: int, now: int) -> BotAtSlot | TickOutcome:
    """Return the claimed bot, ready to decide; or how its tick ended (written in `uow`)."""
    if load is None or not load.bot.active:
        return TickOutcome.INACTIVE
    if load.bot.state.status is BotStatus.ERROR:
        return TickOutcome.ERROR  # it needs its owner: `bot start` clears it
    if load.access is None:
        uow.outbox.add(mark_error(load.bot, now, "the bot's exchange account no longer exists"))
        uow.bots.save_state(load.bot.id, load.bot.state)
        return TickOutcome.ERROR
    return BotAtSlot.claimed(load.bot, load.access, load.open_orders, load.today, slot, now)


def proceed(deps: TickDeps, at: BotAtSlot, view: MarketView) -> TickOutcome:
    """Decide for the claimed bot: in memory when it needs no exchange call, else with it.

    First the exits the bot watches itself (those the exchange cannot rest) look at the
    minutes closed since their last look: one reached closes the position by MARKET order.
    """
    reached = look_at_watched_exits(deps, at)
    quiet = decide_quietly(at, view) if reached is None else None
    if quiet is None:
        return trade(deps, at, view, reached)
    outcome, events = quiet
    if events or at.book.changed():
        with deps.uow() as uow:
            write(uow, at, events)
            uow.commit()
    return outcome


def decide_quietly(at: BotAtSlot, view: MarketView) -> Quiet | None:
    """Decide a tick that needs no exchange call; None when it needs one.

    Such a tick has no order to settle and its exits rest (or none are set), and decides
    to wait or pause — or its market could not be read. The state changes in memory; the
    caller writes it with the events returned.
    """
    if at.open_orders or at.bot.state.close_requested is not None or _watch_due(at):
        return None
    today = at.book.tally  # as loaded: nothing was recorded yet
    position = at.bot.state.position
    reading = view if isinstance(view, Reading) else NOTHING
    decision = decide(at.rules, position, today, reading, resting=at.protected())
    if isinstance(decision, Protect):
        return None
    if isinstance(view, Unread):
        return failed(at, lambda: today, view.error)
    if isinstance(decision, Wait):
        _wait(at, decision)
    elif not isinstance(decision, Pause):
        return None
    return TickOutcome.DECIDED, conclude(at, lambda: today, reading.signal)


def trade(
    deps: TickDeps, at: BotAtSlot, view: MarketView, reached: ExitReason | None = None
) -> TickOutcome:
    """Decide with the exchange; a failure it reports defers the decision or errs the bot.

    `reached` is a watched exit the position reached: it closes the position.
    """
    try:
        exchange = deps.exchanges.for_account(at.access)
        desk = OrderDesk(deps.uow, exchange, at.on_market(exchange))
        return _trade(desk, view, reached)
    except FAILURES as e:
        return _end_failed(deps.uow, at, e)


def _trade(desk: OrderDesk, view: MarketView, reached: ExitReason | None) -> TickOutcome:
    at = desk.at
    state = at.bot.state
    unsure = any(o.status in UNSENT for o in at.open_orders)
    stuck = settle_open_orders(desk) if at.open_orders else None
    if stuck is None and unsure and _parted_from_venue(desk):
        return TickOutcome.ERROR
    if stuck is not None:
        state.reason = f"waiting for the outcome of order {stuck.client_order_id}"
        with desk.transactions() as uow:
            write(uow, at, conclude(at, lambda: at.book.today(uow), None))
            alerts.if_long_unresolved(uow, at, stuck)
            uow.commit()
        return TickOutcome.UNRESOLVED
    if state.close_requested is not None:
        return close_on_request(desk, state.close_requested)
    reading = view if isinstance(view, Reading) else NOTHING
    # Only a flat bot's decision asks for today's tally; read it again if a fill changed it.
    today = _today(desk, at) if state.position is None else at.book.tally
    decision = decide(at.rules, state.position, today, reading, resting=at.protected())
    if isinstance(decision, Protect):
        protect(desk, decision)
        decision = decide(at.rules, state.position, today, reading)  # its exits were just placed
    if reached is not None and state.position is not None:  # checked before signals
        decision = Close(state.position.side.exit_side, reached)
    if isinstance(view, Unread):
        return _end_failed(desk.transactions, at, view.error)
    saw(at, reading.signal)  # before acting, so the state written with a fill has it
    if isinstance(decision, Close):
        lift_protection(desk)
        if state.position is not None:
            purpose = _CLOSING[decision.reason]
            desk.send_market(decision.side, state.position.quantity, purpose)
    elif isinstance(decision, Enter):
        _enter(desk, decision, today, reading.signal)
    elif isinstance(decision, Wait):
        _wait(at, decision)
    with desk.transactions() as uow:
        write(uow, at, conclude(at, lambda: at.book.today(uow), reading.signal))
        uow.commit()
    return TickOutcome.DECIDED


def _enter(desk: OrderDesk, decision: Enter, today: DayTally, signal: Signal | None) -> None:
    """Enter; a new position gets its exits at once.

    The transaction that records the fill also writes the exits' rows (committed before
    they are sent, as any order's) and the tick's conclusion, so an entry costs three
    transactions (intent, fill, exits' answers), not five.
    """
    at = desk.at
    planned: list[Protection] = []

    def after_fill(uow: UnitOfWork) -> None:
        position = at.bot.state.position
        if position is None:
            return
        after = decide(at.rules, position, today, NOTHING, resting=at.protected())
        if isinstance(after, Protect):
            planned.append(plan_protection(desk, after))
            write_intents(uow, desk, planned[0])
        conclude(at, lambda: today, signal)  # in position: the tally is not asked

    if enter(desk, decision, after_fill) and planned:
        protect(desk, planned[0])


def _parted_from_venue(desk: OrderDesk) -> bool:
    """After settling an order whose outcome was unknown, cancel the bot's orphans at the
    venue (`sweep_venue_orders`) and compare the position with the venue's; a difference
    the fills do not explain puts the bot in error (told once)."""
    at = desk.at
    if sweep_venue_orders(desk).stopped:
        return True
    difference = position_difference(desk.exchange, at.bot)
    if difference is None:
        return False
    with desk.transactions() as uow:
        error = mark_error(at.bot, at.now, mismatch_reason(difference), ErrorCause.VENUE_MISMATCH)
        write(uow, at, [error])
        uow.commit()
    return True


def _watch_due(at: BotAtSlot) -> bool:
    """Tell whether the position has exits the bot watches with minutes to look at."""
    position = at.bot.state.position
    return (
        position is not None
        and position.watch is not None
        and (position.watch.minutes_to_read(at.slot) > 0)
    )


def _wait(at: BotAtSlot, decision: Wait) -> None:
    if decision.reason is not None:
        at.bot.state.reason = decision.reason


def _today(desk: OrderDesk, at: BotAtSlot) -> DayTally:
    if not at.book.stale:
        return at.book.tally
    with desk.transactions() as uow:
        return at.book.today(uow)


def _end_failed(transactions: Callable[[], UnitOfWork], at: BotAtSlot, e: Exception) -> TickOutcome:
    with transactions() as uow:
        outcome, events = failed(at, lambda: at.book.today(uow), e)
        write(uow, at, events)
        uow.commit()
    return outcome

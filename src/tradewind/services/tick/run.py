"""`run_tick`: one decision for one bot at one slot, step by step (ARCHITECTURE.md §2).

1 claim the slot under the bot's lock · 2 load · 3 reconcile unknown orders · 4 exits
(resting protective orders, settled by step 3, re-placed if missing) · 5 signal on closed
candles · 6 risk gate · 7 size and normalize · 8 intent first · 9 send · 10 record.

Most ticks need no exchange call: a flat bot, or one whose position needs no protective
order, with no order to settle, and a signal that asks for nothing. Such a tick decides
in the unit of work that claimed its slot. A tick that calls the exchange commits its
claim first and never holds a transaction open across a call. The claim records the run
(last run, last slot); the state is written again only where something else changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum

from tradewind.domain.bots import BotStatus
from tradewind.domain.errors import (
    AuthenticationFailed,
    ConfigurationError,
    OutcomeUnknown,
    TemporaryExchangeError,
)
from tradewind.domain.limits import utc_day
from tradewind.domain.notifications import ErrorCause
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.records import OutboxEvent
from tradewind.domain.timeframes import is_candle_close
from tradewind.domain.types import PositionSide, PositionType, Signal
from tradewind.ports import AccountAccess, Exchange, TickLoad, UnitOfWork
from tradewind.services.tick import alerts
from tradewind.services.tick.context import Tick, TickDeps
from tradewind.services.tick.entry import closed_signal, enter, pause_reason, today
from tradewind.services.tick.events import event
from tradewind.services.tick.protection import (
    ensure_protection,
    lift_protection,
    needs_protection,
)
from tradewind.services.tick.reconcile import reconcile_orders
from tradewind.services.tick.sending import error_cause, mark_error, send_market_order


class TickOutcome(StrEnum):
    """How a tick ended."""

    DECIDED = "decided"
    BUSY = "busy"  # another tick of this bot is running: skipped, not waited for
    SLOT_TAKEN = "slot_taken"  # this slot was decided already
    INACTIVE = "inactive"
    UNRESOLVED = "unresolved"  # an order's outcome is still unknown: nothing new decided
    DEFERRED = "deferred"  # the exchange was unavailable: the next slot tries again
    ERROR = "error"  # the bot needs its owner
    FAILED = "failed"  # the tick raised (logged); the next slot tries again


_FAILURES = (AuthenticationFailed, ConfigurationError, TemporaryExchangeError, OutcomeUnknown)


class _Step(Enum):
    WAIT = "wait"
    CLOSE = "close"
    ENTER = "enter"


@dataclass(frozen=True, slots=True)
class _Reading:
    """The signal at the slot, the close it came at, or why there is none."""

    signal: Signal
    price: Decimal | None = None
    note: str | None = None


def run_tick(deps: TickDeps, bot_id: int, slot: int) -> TickOutcome:
    """Decide for `bot_id` at `slot` (Unix seconds) unless another tick has or is doing so."""
    if not deps.lock.try_acquire(bot_id):
        return TickOutcome.BUSY
    try:
        return _run(deps, bot_id, slot)
    finally:
        deps.lock.release(bot_id)


def _run(deps: TickDeps, bot_id: int, slot: int) -> TickOutcome:
    now = deps.clock.now()
    with deps.uow() as uow:  # 1 claim and 2 load: one statement where the database allows
        claimed, load = uow.bots.claim_and_load(bot_id, slot, now, utc_day(slot))
        if not claimed:
            return TickOutcome.SLOT_TAKEN
        started = start_claimed(deps, load, slot, now, uow)
        uow.commit()
    return finish_started(deps, started)


@dataclass(slots=True)
class Started:
    """A claimed tick after the unit of work that claimed its slot.

    Decided there already (`outcome`), or still to decide with the exchange.
    """

    outcome: TickOutcome | None
    tick: Tick | None = None
    access: AccountAccess | None = None
    reading: _Reading | None = None


def start_claimed(
    deps: TickDeps, load: TickLoad | None, slot: int, now: int, uow: UnitOfWork
) -> Started:
    """Decide a claimed tick in the claiming unit of work when no exchange call is needed.

    The caller commits `uow`, then calls `finish_started`.
    """
    if load is None or not load.bot.active:
        return Started(TickOutcome.INACTIVE)
    if load.bot.state.status is BotStatus.ERROR:
        return Started(TickOutcome.ERROR)  # it needs its owner: `bot start` clears it
    tick = Tick(deps, load.bot, slot, now, load.open_orders, load.today)
    tick.stored()  # the claim recorded this run already: last_run_at and last_slot
    if load.access is None:
        return Started(_error(tick, "the bot's exchange account no longer exists", uow))
    reading = None
    if not tick.open_orders and not needs_protection(tick):
        try:
            reading = _read(tick)
            step, why = _plan(tick, reading)
            if step is _Step.WAIT:
                _wait(tick, why)
                _finish(tick, reading.signal, uow)
                return Started(TickOutcome.DECIDED)
        except _FAILURES as e:
            return Started(_failed(tick, e, uow))
    return Started(None, tick, load.access, reading)


def finish_started(deps: TickDeps, started: Started) -> TickOutcome:
    """Decide what `start_claimed` left to decide, with the exchange, after its commit."""
    if started.outcome is not None:
        return started.outcome
    tick, access = started.tick, started.access
    assert tick is not None
    assert access is not None
    try:
        return _decide(tick, deps.exchanges.for_account(access), started.reading)
    except _FAILURES as e:
        return _failed(tick, e)


def _decide(tick: Tick, exchange: Exchange, reading: _Reading | None) -> TickOutcome:
    state = tick.bot.state
    stuck = reconcile_orders(tick, exchange) if tick.open_orders else None
    if stuck is not None:
        state.reason = f"waiting for the outcome of order {stuck.client_order_id}"
        _finish(tick, None)
        alerts.if_long_unresolved(tick, stuck)
        return TickOutcome.UNRESOLVED
    ensure_protection(tick, exchange)
    reading = reading or _read(tick)
    step, why = _plan(tick, reading)
    _saw(tick, reading.signal)  # before acting, so the state written with a fill has it
    position = state.position
    if step is _Step.CLOSE and position is not None:
        lift_protection(tick, exchange)
        if state.position is not None:
            send_market_order(
                tick, exchange, position.side.exit_side, state.position.quantity,
                OrderPurpose.CLOSE,
            )  # fmt: skip
    elif step is _Step.ENTER and reading.price is not None:
        if enter(tick, exchange, reading.signal, reading.price):
            ensure_protection(tick, exchange)
    else:
        _wait(tick, why)
    _finish(tick, reading.signal)
    return TickOutcome.DECIDED


def _read(tick: Tick) -> _Reading:
    """Return the signal at the slot: only a candle close has one."""
    if not is_candle_close(tick.slot, tick.bot.config.timeframe):
        return _Reading(Signal.NONE)
    return _Reading(*closed_signal(tick))


def _plan(tick: Tick, reading: _Reading) -> tuple[_Step, str | None]:
    """Return what the signal asks of the bot as it stands (risk gate included), or why not."""
    position = tick.bot.state.position
    if position is not None:
        closing = Signal.SELL if position.side is PositionSide.LONG else Signal.BUY
        return (_Step.CLOSE if reading.signal is closing else _Step.WAIT), None
    if reading.signal is Signal.NONE or reading.price is None:
        return _Step.WAIT, reading.note
    if pause_reason(tick, today(tick)) is not None:
        return _Step.WAIT, None  # `_finish` names the limit
    if reading.signal is Signal.SELL and tick.bot.config.position_type is PositionType.SPOT:
        return _Step.WAIT, "sell signal while flat: a spot bot has nothing to sell"
    return _Step.ENTER, None


def _wait(tick: Tick, why: str | None) -> None:
    if why is not None:
        tick.bot.state.reason = why


def _failed(tick: Tick, e: Exception, uow: UnitOfWork | None = None) -> TickOutcome:
    """End a tick the exchange (or the config) failed: the bot errs, or waits a slot."""
    if isinstance(e, AuthenticationFailed | ConfigurationError):
        return _error(tick, str(e), uow, cause=error_cause(e))
    tick.bot.state.reason = f"exchange unavailable ({e}); trying again next slot"
    _finish(tick, None, uow)
    return TickOutcome.DEFERRED


def _saw(tick: Tick, signal: Signal | None) -> None:
    if signal is not None and signal is not Signal.NONE:
        tick.bot.state.last_signal, tick.bot.state.last_signal_at = signal, tick.slot


def _mark_run(tick: Tick) -> None:
    tick.bot.state.last_run_at = tick.now
    tick.bot.state.last_slot = tick.slot


def _finish(tick: Tick, signal: Signal | None, uow: UnitOfWork | None = None) -> None:
    """Write the bot's state: last run, last signal, status and why; pause or resume.

    Only what changed: nothing when the state is the one the database holds (the claim
    wrote the last run). In `uow` when given, else in a transaction of its own.
    """
    if uow is None and tick.recorded:  # today's counters must be read again: same transaction
        with tick.deps.uow() as own:
            _finish(tick, signal, own)
            own.commit()
        return
    bot, state = tick.bot, tick.bot.state
    _mark_run(tick)
    _saw(tick, signal)
    events: list[OutboxEvent] = []
    if state.status is not BotStatus.ERROR:
        if state.position is not None:
            state.status = BotStatus.IN_POSITION
        else:
            pause = pause_reason(tick, today(tick, uow))
            if pause is not None:
                if state.pause_reason is not pause:
                    events.append(event(bot, "bot_paused", tick.now, limit=pause.value))
                state.status, state.pause_reason = BotStatus.PAUSED, pause
                state.reason = f"{pause.value} reached today: no new entries until 00:00 UTC"
            else:
                if state.status is BotStatus.PAUSED:
                    events.append(event(bot, "bot_resumed", tick.now))
                state.status, state.pause_reason = BotStatus.WAITING, None
    if not events and not tick.state_changed():
        return
    if uow is not None:
        _write(tick, events, uow)
    else:
        with tick.deps.uow() as own:
            _write(tick, events, own)
            own.commit()


def _write(tick: Tick, events: list[OutboxEvent], uow: UnitOfWork) -> None:
    for item in events:
        uow.outbox.add(item)
    tick.save_state(uow)


def _error(
    tick: Tick,
    message: str,
    uow: UnitOfWork | None = None,
    cause: ErrorCause = ErrorCause.CONFIGURATION,
) -> TickOutcome:
    if uow is None:
        with tick.deps.uow() as own:
            _error(tick, message, own, cause)
            own.commit()
        return TickOutcome.ERROR
    mark_error(uow, tick.bot, tick.now, message, cause)
    tick.save_state(uow)
    return TickOutcome.ERROR

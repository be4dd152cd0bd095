"""Say what the bot is doing and why (ARCHITECTURE.md §2, step 10): the tick's last step.

Each function here changes the bot's state in memory and returns the outbox events the
change raises; `write` puts both in the unit of work it is given, and only when something
changed (the claim recorded the run already, so most ticks write nothing).
"""

from __future__ import annotations

from collections.abc import Callable

from tradewind.domain.bots import BotStatus
from tradewind.domain.errors import AuthenticationFailed, ConfigurationError
from tradewind.domain.limits import DayTally, entry_pause_reason
from tradewind.domain.notifications import ErrorCause
from tradewind.domain.records import OutboxEvent
from tradewind.domain.types import Signal
from tradewind.ports import Bot, UnitOfWork
from tradewind.services.tick.context import BotAtSlot
from tradewind.services.tick.events import event
from tradewind.services.tick.outcome import TickOutcome


def saw(at: BotAtSlot, signal: Signal | None) -> None:
    """Remember the signal the bot acted on (none is not remembered)."""
    if signal is not None and signal is not Signal.NONE:
        at.bot.state.last_signal, at.bot.state.last_signal_at = signal, at.slot


def conclude(
    at: BotAtSlot, today: Callable[[], DayTally], signal: Signal | None
) -> list[OutboxEvent]:
    """Bring the state up to date: last run, last signal, status and why; pause or resume.

    `today` gives the tally after this tick's fills (asked only for a flat bot, the one a
    daily limit may pause). Returns the events of a pause or resume.
    """
    bot, state = at.bot, at.bot.state
    state.last_run_at, state.last_slot = at.now, at.slot
    saw(at, signal)
    events: list[OutboxEvent] = []
    if state.status is BotStatus.ERROR:
        return events
    if state.position is not None:
        state.status = BotStatus.IN_POSITION
        return events
    pause = entry_pause_reason(at.rules.limits, today())
    if pause is not None:
        if state.pause_reason is not pause:
            events.append(event(bot, "bot_paused", at.now, limit=pause.value))
        state.status, state.pause_reason = BotStatus.PAUSED, pause
        state.reason = f"{pause.value} reached today: no new entries until 00:00 UTC"
    else:
        if state.status is BotStatus.PAUSED:
            events.append(event(bot, "bot_resumed", at.now))
        state.status, state.pause_reason = BotStatus.WAITING, None
    return events


def failed(
    at: BotAtSlot, today: Callable[[], DayTally], e: Exception
) -> tuple[TickOutcome, list[OutboxEvent]]:
    """End a tick the exchange (or the config) failed: the bot errs, or waits a slot."""
    if isinstance(e, AuthenticationFailed | ConfigurationError):
        return TickOutcome.ERROR, [mark_error(at.bot, at.now, str(e), error_cause(e))]
    at.bot.state.reason = f"exchange unavailable ({e}); trying again next slot"
    return TickOutcome.DEFERRED, conclude(at, today, None)


def write(uow: UnitOfWork, at: BotAtSlot, events: list[OutboxEvent]) -> None:
    """Write the events and the state in `uow`, if anything changed."""
    if not events and not at.book.changed():
        return
    for item in events:
        uow.outbox.add(item)
    at.book.save(uow)


def mark_error(
    bot: Bot, now: int, error: str, cause: ErrorCause = ErrorCause.CONFIGURATION
) -> OutboxEvent:
    """Put the bot in error state; return the event that tells its owner why."""
    bot.state.status = BotStatus.ERROR
    bot.state.reason = error
    return event(bot, "bot_error", now, cause=cause.value, error=error)


def error_cause(e: Exception) -> ErrorCause:
    """Return why a failure stops the bot, as its owner is told."""
    if isinstance(e, AuthenticationFailed):
        return ErrorCause.CREDENTIALS
    return ErrorCause.CONFIGURATION

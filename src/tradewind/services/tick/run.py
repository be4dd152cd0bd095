"""`run_tick`: one decision for one bot at one slot, step by step (ARCHITECTURE.md §2).

1 claim the slot under the bot's lock · 2 load · 3 reconcile unknown orders · 4 exits
(resting protective orders, settled by step 3, re-placed if missing) · 5 signal on closed
candles · 6 risk gate · 7 size and normalize · 8 intent first · 9 send · 10 record.
"""

from __future__ import annotations

from enum import StrEnum

from tradewind.domain.bots import BotStatus
from tradewind.domain.errors import (
    AuthenticationFailed,
    ConfigurationError,
    OutcomeUnknown,
    TemporaryExchangeError,
)
from tradewind.domain.limits import utc_day
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.timeframes import is_candle_close
from tradewind.domain.types import PositionSide, Signal
from tradewind.ports import Exchange
from tradewind.services.tick.context import Tick, TickDeps
from tradewind.services.tick.entry import closed_signal, enter, pause_reason, today
from tradewind.services.tick.events import event
from tradewind.services.tick.protection import ensure_protection, lift_protection
from tradewind.services.tick.reconcile import reconcile_orders
from tradewind.services.tick.sending import mark_error, send_market_order


class TickOutcome(StrEnum):
    """How a tick ended."""

    DECIDED = "decided"
    BUSY = "busy"  # another tick of this bot is running: skipped, not waited for
    SLOT_TAKEN = "slot_taken"  # this slot was decided already
    INACTIVE = "inactive"
    UNRESOLVED = "unresolved"  # an order's outcome is still unknown: nothing new decided
    DEFERRED = "deferred"  # the exchange was unavailable: the next slot tries again
    ERROR = "error"  # the bot needs its owner


def run_tick(deps: TickDeps, bot_id: int, slot: int) -> TickOutcome:
    """Decide for `bot_id` at `slot` (Unix seconds) unless another tick has or is doing so."""
    if not deps.lock.try_acquire(bot_id):
        return TickOutcome.BUSY
    try:
        now = deps.clock.now()
        with deps.uow() as uow:  # 1 claim and 2 load, in one transaction
            if not uow.slots.claim(bot_id, slot, now):
                return TickOutcome.SLOT_TAKEN
            bot = uow.bots.get(bot_id)
            if bot is None or not bot.active:
                uow.commit()
                return TickOutcome.INACTIVE
            access = uow.accounts.access(bot.account_id)
            open_orders = uow.orders.unresolved(bot_id)
            today = uow.counters.get(bot_id, utc_day(slot))
            uow.commit()
        tick = Tick(deps, bot, slot, now, open_orders, today)
        if access is None:
            return _error(tick, "the bot's exchange account no longer exists")
        try:
            return _decide(tick, deps.exchanges.for_account(access))
        except (AuthenticationFailed, ConfigurationError) as e:
            return _error(tick, str(e))
        except (TemporaryExchangeError, OutcomeUnknown) as e:
            tick.bot.state.reason = f"exchange unavailable ({e}); trying again next slot"
            _finish(tick, None)
            return TickOutcome.DEFERRED
    finally:
        deps.lock.release(bot_id)


def _decide(tick: Tick, exchange: Exchange) -> TickOutcome:
    state = tick.bot.state
    stuck = reconcile_orders(tick, exchange) if tick.open_orders else None
    if stuck is not None:
        state.reason = f"waiting for the outcome of order {stuck.client_order_id}"
        _finish(tick, None)
        return TickOutcome.UNRESOLVED
    ensure_protection(tick, exchange)
    signal, price, note = Signal.NONE, None, None
    if is_candle_close(tick.slot, tick.bot.config.timeframe):
        signal, price, note = closed_signal(tick)
    position = state.position
    if position is not None:
        closing = Signal.SELL if position.side is PositionSide.LONG else Signal.BUY
        if signal is closing:
            lift_protection(tick, exchange)
            if state.position is not None:
                send_market_order(
                    tick, exchange, position.side.exit_side, state.position.quantity,
                    OrderPurpose.CLOSE,
                )  # fmt: skip
    elif signal is not Signal.NONE and price is not None:
        pause = pause_reason(tick, today(tick))
        if pause is None and enter(tick, exchange, signal, price):
            ensure_protection(tick, exchange)
    elif note is not None:
        state.reason = note
    _finish(tick, signal)
    return TickOutcome.DECIDED


def _finish(tick: Tick, signal: Signal | None) -> None:
    """Write the bot's state: last run, last signal, status and why; pause or resume."""
    bot, state = tick.bot, tick.bot.state
    with tick.deps.uow() as uow:
        state.last_run_at = tick.now
        state.last_slot = tick.slot
        if signal is not None and signal is not Signal.NONE:
            state.last_signal, state.last_signal_at = signal, tick.slot
        if state.status is not BotStatus.ERROR:
            if state.position is not None:
                state.status = BotStatus.IN_POSITION
            else:
                pause = pause_reason(tick, today(tick, uow))
                if pause is not None:
                    if state.pause_reason is not pause:
                        uow.outbox.add(event(bot, "bot_paused", tick.now, limit=pause.value))
                    state.status, state.pause_reason = BotStatus.PAUSED, pause
                    state.reason = f"{pause.value} reached today: no new entries until 00:00 UTC"
                else:
                    if state.status is BotStatus.PAUSED:
                        uow.outbox.add(event(bot, "bot_resumed", tick.now))
                    state.status, state.pause_reason = BotStatus.WAITING, None
        uow.bots.save_state(bot.id, state)
        uow.commit()


def _error(tick: Tick, message: str) -> TickOutcome:
    with tick.deps.uow() as uow:
        mark_error(uow, tick.bot, tick.now, message)
        uow.bots.save_state(tick.bot.id, tick.bot.state)
        uow.commit()
    return TickOutcome.ERROR

"""What one tick works with: its dependencies, the bot, the slot and the time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from tradewind.domain.bots import BotState
from tradewind.domain.limits import DayTally
from tradewind.domain.orders import OrderStatus
from tradewind.domain.records import OrderRecord
from tradewind.ports import Bot, BotLock, Clock, ExchangeProvider, MarketData, UnitOfWork

INDICATOR_HISTORY = 1_000  # closed candles fed to the indicators at each decision


@dataclass(frozen=True, slots=True)
class TickDeps:
    """The ports a tick needs; bootstrap builds one per process."""

    uow: Callable[[], UnitOfWork]
    exchanges: ExchangeProvider
    market_data: MarketData
    lock: BotLock
    clock: Clock
    history: int = INDICATOR_HISTORY


@dataclass(slots=True)
class Tick:
    """One bot at one slot."""

    deps: TickDeps
    bot: Bot
    slot: int
    now: int
    open_orders: list[OrderRecord]  # loaded with the bot: unresolved and resting orders
    today: DayTally  # the counters of the slot's UTC day, as loaded
    recorded: bool = False  # a fill was recorded: counters must be read again
    saved: BotState | None = None  # the state as the database holds it (loaded or written)

    def save_state(self, uow: UnitOfWork) -> None:
        """Write the bot's state in `uow`, and remember what was written."""
        uow.bots.save_state(self.bot.id, self.bot.state)
        self.stored()

    def stored(self) -> None:
        """Remember the bot's state as the one the database holds now."""
        self.saved = _copy(self.bot.state)

    def state_changed(self) -> bool:
        """Tell whether the state differs from the one the database holds."""
        return self.saved is None or self.saved != self.bot.state

    def resting(self, client_ids: list[str]) -> bool:
        """Tell whether any of these orders still rests on the exchange (status NEW)."""
        wanted = set(client_ids)
        return any(
            o.client_order_id in wanted and o.status is OrderStatus.NEW for o in self.open_orders
        )


def _copy(state: BotState) -> BotState:
    position = state.position
    if position is not None:
        position = replace(position, protection=dict(position.protection))
    return replace(state, position=position)

"""What one tick works with: its dependencies, the bot, the slot and the time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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

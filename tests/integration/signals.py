"""What a bot's strategy reads at a slot, for tests that look for a slot with a signal."""

from __future__ import annotations

from tradewind.domain.decide import read_closed
from tradewind.domain.types import Signal
from tradewind.ports import Bot, MarketData
from tradewind.services.tick.context import INDICATOR_HISTORY


def signal_at(market: MarketData, bot: Bot, slot: int) -> Signal:
    """Return the signal `bot` reads in `market` at the candle that closed at `slot`."""
    config = bot.config
    candles = market.closed_candles(
        config.symbol, config.timeframe, config.position_type, slot, INDICATOR_HISTORY
    )
    return read_closed(config.strategy_choice(), config.timeframe, slot, candles).signal

"""The interfaces services depend on. Adapters implement them; bootstrap wires them.

Only the ports the current services use are defined; the exchange, unit of work and
notifier ports arrive with the bot engine.
"""

from __future__ import annotations

from typing import Protocol

from tradewind.domain.candles import Candles


class Clock(Protocol):
    """Tells the time, so the live loop and a replay run the same code."""

    def now(self) -> int:
        """Return the current time as Unix seconds (UTC)."""
        ...


class MarketData(Protocol):
    """Serves closed candles of one symbol and timeframe."""

    def closed_candles(self, symbol: str, timeframe: str, limit: int) -> Candles:
        """Return up to `limit` most recent closed candles, oldest first."""
        ...

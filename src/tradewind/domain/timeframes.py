"""Candle timeframes and the slots at which bots decide."""

from __future__ import annotations

from tradewind.domain.errors import DomainError

TIMEFRAME_SECONDS = {
    "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200,
    "4h": 14_400, "6h": 21_600, "8h": 28_800, "12h": 43_200, "1d": 86_400,
}  # fmt: skip
EXIT_CHECK_SECONDS = 60  # exits are checked at least every minute between candle closes


def timeframe_seconds(timeframe: str) -> int:
    """Return the length of one candle of `timeframe` in seconds."""
    try:
        return TIMEFRAME_SECONDS[timeframe]
    except KeyError:
        raise DomainError(f"unknown timeframe {timeframe!r}") from None


def is_candle_close(slot: int, timeframe: str) -> bool:
    """Tell whether `slot` (Unix seconds) is the close of a candle of `timeframe`."""
    return slot % timeframe_seconds(timeframe) == 0

"""Daily limits on new entries (docs/strategy.md, "Daily limits"). Exits are never limited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.params import DailyLimits


class PauseReason(StrEnum):
    """Which daily limit stopped new entries for the rest of the UTC day."""

    MAX_DAILY_TRADES = "max_daily_trades"
    MAX_DAILY_LOSS = "max_daily_loss"
    DAILY_PROFIT_TARGET = "daily_profit_target"


@dataclass(slots=True)
class DayTally:
    """What one UTC day has seen so far: entries filled and PnL realized by exits."""

    day: date
    entries: int = 0
    realized_pnl: Decimal = field(default_factory=Decimal)


def utc_day(unix_seconds: int) -> date:
    """Return the UTC calendar date of a Unix timestamp in seconds."""
    return datetime.fromtimestamp(unix_seconds, tz=UTC).date()


def entry_pause_reason(limits: DailyLimits, tally: DayTally) -> PauseReason | None:
    """Return the limit that forbids a new entry today, or None when entries are allowed."""
    if limits.max_trades is not None and tally.entries >= limits.max_trades:
        return PauseReason.MAX_DAILY_TRADES
    if limits.max_loss is not None and tally.realized_pnl <= -limits.max_loss:
        return PauseReason.MAX_DAILY_LOSS
    if limits.profit_target is not None and tally.realized_pnl >= limits.profit_target:
        return PauseReason.DAILY_PROFIT_TARGET
    return None

"""A slot's fan-out: the bots grouped by the market they trade, then ticked in batches.

Every bot of one (market, symbol, timeframe) reads the same closed candles, so a slot
fetches them once per group, before any of the group's bots tick; then the group's bots
are ticked in batches (`run_ticks`). The scale-out workers run these steps as tasks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.timeframes import is_candle_close
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports import MarketData, RunningBot, UnitOfWork

SLOT_SECONDS = 60
# Venues whose candles come from the stream feeder: their groups start as the candles land.
STREAMED_VENUES = frozenset({ExchangeKind.BINANCE})


@dataclass(frozen=True, slots=True)
class MarketGroup:
    """The bots that trade one symbol on one timeframe of one market of one venue."""

    position_type: PositionType
    symbol: Symbol
    timeframe: str
    bot_ids: tuple[int, ...]
    venue: ExchangeKind = ExchangeKind.PAPER


def market_groups(bots: Sequence[RunningBot]) -> list[MarketGroup]:
    """Group bots by (venue, market, symbol, timeframe); groups and bots in a stable order."""
    grouped: dict[tuple[ExchangeKind, PositionType, Symbol, str], list[int]] = {}
    for bot in bots:
        key = (bot.venue, bot.position_type, bot.symbol, bot.timeframe)
        grouped.setdefault(key, []).append(bot.id)
    return [
        MarketGroup(kind, symbol, timeframe, tuple(sorted(ids)), venue)
        for (venue, kind, symbol, timeframe), ids in sorted(grouped.items())
    ]


def plan_slot(uow: UnitOfWork, venues: Collection[ExchangeKind]) -> list[MarketGroup]:
    """Return the groups of the running bots on accounts of `venues` (one statement).

    The workers trade paper venues shared through Redis, and Binance when told to
    (`TRADEWIND_WORKERS_TRADE_BINANCE`); otherwise bots on Binance accounts run in
    `tradewind run --exchange binance`.
    """
    return market_groups([b for b in uow.bots.running_bots() if b.venue in venues])


def waits_for_stream(group: MarketGroup, slot: int, streamed: Collection[ExchangeKind]) -> bool:
    """Tell whether the group's tick at `slot` waits for its candle on the streams: a candle
    close of a venue in `streamed`. Other groups (paper, exit checks) start at a fixed
    moment after the minute."""
    return group.venue in streamed and is_candle_close(slot, group.timeframe)


def batches(bot_ids: Sequence[int], size: int) -> list[list[int]]:
    """Cut `bot_ids` into batches of at most `size`, as even as can be.

    As few batches as `size` allows, whose lengths differ by one at most, the last one
    included: 10 bots by 4 are 4 + 3 + 3, not 4 + 4 + 2 (the longest batch sets how long
    the slot's fan-out takes).
    """
    if not bot_ids:
        return []
    count = -(-len(bot_ids) // size)
    short, longer = divmod(len(bot_ids), count)  # the first `longer` batches get one more
    cut: list[list[int]] = []
    start = 0
    for index in range(count):
        end = start + short + (1 if index < longer else 0)
        cut.append(list(bot_ids[start:end]))
        start = end
    return cut


def prefetch_candles(market_data: MarketData, group: MarketGroup, slot: int, limit: int) -> bool:
    """Fetch the group's closed candles of `slot` once, if the slot closes a candle.

    Returns whether it did; at the other slots the group's ticks only check exits.
    """
    if not is_candle_close(slot, group.timeframe):
        return False
    market_data.closed_candles(group.symbol, group.timeframe, group.position_type, slot, limit)
    return True


def slot_ended(slot: int, now: float) -> bool:
    """Tell whether the next slot has begun: this one's decisions are no longer made."""
    return now >= slot + SLOT_SECONDS

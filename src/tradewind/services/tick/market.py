"""What the market says at a slot, read with no transaction open (ARCHITECTURE.md §2, step 2).

A live bot's candles come over HTTP, with retries: read inside a transaction, they would
keep the database (SQLite: its one writer) locked for as long as the exchange takes to
answer, and every other writer out (`tradewind bot stop`: "database is locked"). So a
lone tick reads after its claim is committed, and a batch reads before it claims, once
per market, whatever the number of bots.

Only a candle close has something to read. A source that fails as the exchange fails
(down, refusing us, not knowing the symbol) gives `Unread`: the tick still settles and
protects what it holds, then defers or errs as the failure says. Any other exception is
a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.candles import Candles
from tradewind.domain.decide import NOTHING, Reading, read_closed
from tradewind.domain.errors import (
    AuthenticationFailed,
    ConfigurationError,
    OutcomeUnknown,
    TemporaryExchangeError,
)
from tradewind.domain.timeframes import is_candle_close
from tradewind.domain.types import PositionType, Symbol
from tradewind.services.tick.context import BotAtSlot, TickDeps

FAILURES = (AuthenticationFailed, ConfigurationError, TemporaryExchangeError, OutcomeUnknown)

Market = tuple[ExchangeKind, PositionType, Symbol, str]  # (venue, market, symbol, timeframe)


@dataclass(frozen=True, slots=True)
class Unread:
    """The market could not be read at this slot: why (the tick defers or errs)."""

    error: Exception


MarketView = Reading | Unread


def market_of(at: BotAtSlot) -> Market:
    """Return the market the bot trades, on its account's venue."""
    config = at.bot.config
    return (at.access.kind, config.position_type, config.symbol, config.timeframe)


def read_market(deps: TickDeps, at: BotAtSlot) -> MarketView:
    """Return what the candles say at the bot's slot: fetch them first at a candle close."""
    if not is_candle_close(at.slot, at.bot.config.timeframe):
        return NOTHING
    return reading_of(at, fetch_candles(deps, market_of(at), at.slot, candles_needed(deps, at)))


def candles_needed(deps: TickDeps, at: BotAtSlot) -> int:
    """Return how many closed candles the bot reads: its strategy's history (what makes its
    indicators equal the backtest's over all the data), and never fewer than `deps.history`."""
    return max(deps.history, at.rules.strategy.history)


def fetch_candles(deps: TickDeps, market: Market, slot: int, count: int) -> Candles | Unread:
    """Return the market's last `count` candles that closed by `slot`, or why they could not
    be had."""
    venue, position_type, symbol, timeframe = market
    try:
        return deps.candles_of(venue).closed_candles(symbol, timeframe, position_type, slot, count)
    except FAILURES as e:
        return Unread(e)


def reading_of(at: BotAtSlot, candles: Candles | Unread) -> MarketView:
    """Return what the bot's strategy reads in its market's candles at its slot."""
    if isinstance(candles, Unread):
        return candles
    return read_closed(at.rules.strategy, at.bot.config.timeframe, at.slot, candles)


def fetch_for_batch(
    deps: TickDeps, bot_ids: Sequence[int], slot: int
) -> dict[Market, Candles | Unread]:
    """Fetch the candles of every market these bots trade and close a candle in at `slot`.

    The bots' markets are read first (one statement, no transaction left open), so
    the candles are in hand before the batch claims its slot.
    """
    with deps.uow() as uow:
        markets = uow.bots.markets_of(bot_ids)
    closing = dict.fromkeys(
        (m.venue, m.position_type, m.symbol, m.timeframe)
        for m in markets
        if is_candle_close(slot, m.timeframe)
    )
    return {market: fetch_candles(deps, market, slot, deps.history) for market in closing}


def batch_view(
    deps: TickDeps, at: BotAtSlot, fetched: dict[Market, Candles | Unread]
) -> MarketView | None:
    """Return the bot's view from the batch's candles; None when its market was not fetched
    (its config changed since) or its strategy reads a longer history than the batch's
    `deps.history`: the tick then reads it itself, after the claim's commit."""
    if not is_candle_close(at.slot, at.bot.config.timeframe):
        return NOTHING
    if candles_needed(deps, at) > deps.history:
        return None
    candles = fetched.get(market_of(at))
    return None if candles is None else reading_of(at, candles)

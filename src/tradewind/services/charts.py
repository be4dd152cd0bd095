"""A bot's chart: the candles of its market, its strategy's indicators over them, and its
entries and exits marked where they filled, each exit with its reason.

The candles come from the market source the bot decides on (the runtime's, when the API
runs beside the ticks; the real market's klines otherwise). When that source cannot answer,
the chart still carries the bot's fills, and `note` says why the candles are missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from tradewind.domain.candles import Candles
from tradewind.domain.errors import TradewindError
from tradewind.domain.timeframes import TIMEFRAME_SECONDS
from tradewind.domain.types import Symbol
from tradewind.ports import Clock, MarketData
from tradewind.services.access import Actor, owned
from tradewind.services.manage import UowFactory

# The most fills a chart marks: a window of candles rarely holds more.
MAX_MARKERS = 500


@dataclass(frozen=True, slots=True)
class Marker:
    """One fill of the bot: `kind` is `entry` or `exit`; `reason` the exit's (stop_loss,
    take_profit, trailing_stop, signal), or `entry`."""

    time: int
    kind: str
    reason: str
    side: str
    price: Decimal
    quantity: Decimal
    realized_pnl: Decimal | None


@dataclass(frozen=True, slots=True)
class BotChart:
    symbol: str
    timeframe: str
    candles: Candles | None
    indicators: dict[str, list[float | None]]
    markers: list[Marker]
    note: str


def bot_chart(
    uow_factory: UowFactory,
    clock: Clock,
    actor: Actor,
    market: MarketData,
    bot_id: int,
    *,
    limit: int,
    since: int | None = None,
) -> BotChart:
    """Return the chart of the bot `bot_id` (NotFound when the actor may not see it): up to
    `limit` closed candles up to the bot's clock, or from `since` (Unix seconds) on."""
    with uow_factory() as uow:
        bot = owned(actor, uow.bots.get(bot_id), "bot", bot_id)
        fills = uow.trades.recent(bot_id=bot.id, limit=MAX_MARKERS)
    config = bot.config
    interval = TIMEFRAME_SECONDS[config.timeframe]
    # The bot's own clock: a replay's bots tick on the data's time, not the wall's.
    last = bot.state.last_slot
    until = clock.now() if last is None else min(clock.now(), last + interval)
    if since is not None:  # a page from `since` on, never past the bot's clock
        until = min(until, since + limit * interval)
    strategy = config.strategy_choice()
    try:
        # Read the history the tick reads before the window, so each indicator value is
        # the one the bot decided on.
        wanted = limit + strategy.history
        candles = market.closed_candles(
            Symbol(config.symbol), config.timeframe, config.position_type, until, wanted
        )
        note = "" if len(candles) else "the market source has no candles of this bot yet"
    except TradewindError as e:
        candles, note = None, f"the candles are not available: {e}"
    indicators: dict[str, list[float | None]] = {}
    if candles is not None and len(candles):
        series = strategy.indicators(candles)
        start = len(candles) - limit
        if since is not None:
            start = max(start, int(np.searchsorted(candles.open_time, since, side="left")))
        shown = slice(max(0, start), None)
        candles = _window(candles, shown)
        indicators = {
            name: [None if math.isnan(v) else float(v) for v in values[shown]]
            for name, values in series.items()
        }
    # The fills within the candles shown (or within the asked span, when none are).
    first, end = since or 0, until
    if candles is not None and len(candles):
        first, end = int(candles.open_time[0]), int(candles.open_time[-1]) + interval
    markers = [
        Marker(
            time=fill.timestamp,
            kind="entry" if fill.purpose.exit_reason is None else "exit",
            reason="entry" if fill.purpose.exit_reason is None else fill.purpose.exit_reason.value,
            side=fill.side.value,
            price=fill.price,
            quantity=fill.quantity,
            realized_pnl=fill.realized_pnl,
        )
        for fill in reversed(fills)
        if first <= fill.timestamp < end
    ]
    return BotChart(config.symbol, config.timeframe, candles, indicators, markers, note)


def _window(candles: Candles, shown: slice) -> Candles:
    return Candles(
        candles.open_time[shown], candles.open[shown], candles.high[shown],
        candles.low[shown], candles.close[shown], candles.volume[shown],
    )  # fmt: skip

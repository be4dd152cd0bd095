"""Look at the exits the bot watches itself, once a minute (domain/watched_exits.py).

The 1-minute candles that closed since the last look are read with no transaction open,
as any market read (tick/market.py). A market that cannot be read now is looked at again
next minute from where the last look stopped: no minute is skipped, none is read twice.
"""

from __future__ import annotations

from tradewind.domain.candles import to_decimal
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.types import ExitReason
from tradewind.domain.watched_exits import MINUTE, Minute, look
from tradewind.services.tick.context import BotAtSlot, TickDeps
from tradewind.services.tick.market import FAILURES

# The most minutes one look reads (one klines call); a watch further behind catches up
# over the next minutes.
MINUTES_PER_LOOK = 1_000
_LEVELS = frozenset({OrderPurpose.STOP_LOSS, OrderPurpose.TAKE_PROFIT})


def look_at_watched_exits(deps: TickDeps, at: BotAtSlot) -> ExitReason | None:
    """Move the position's watch over the minutes closed since; the exit reached, if any."""
    position = at.bot.state.position
    if position is None or position.watch is None:
        return None
    watch = position.watch
    count = min(watch.minutes_to_read(at.slot), MINUTES_PER_LOOK)
    if count == 0:
        return None
    config = at.bot.config
    until = watch.until + count * MINUTE
    try:
        # The minutes of the bot's own venue (on the workers, Binance bots read the stream
        # book, paper bots the paper market).
        candles = deps.candles_of(at.access.kind).closed_candles(
            config.symbol, "1m", config.position_type, until, count
        )
        if watch.purposes & _LEVELS:  # a watched level is on the tick, as a resting one
            at = at.on_market(deps.exchanges.for_account(at.access))
    except FAILURES:
        return None
    minutes: list[Minute] = [
        (int(t), to_decimal(float(o)), to_decimal(float(h)), to_decimal(float(lo)))
        for t, o, h, lo in zip(
            candles.open_time, candles.open, candles.high, candles.low, strict=True
        )
    ]
    position.watch, reached = look(
        watch, position.side, position.entry_price, at.rules.exits, minutes
    )
    return reached

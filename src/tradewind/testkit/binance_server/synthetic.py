"""Market data the venue has no record of, made up from its 1m candles by fixed rules.

The venue keeps candles, not an order book or a tape, so the server answers the book and
trade endpoints from the candles, the same way every time:

- **The last price** is the price a MARKET order gets now: the open of the venue's current
  minute (GET ticker/price answers it too).
- **The book** (depth, bookTicker): the best bid is the last price and the best ask one
  tick above; level `k` lies `k` ticks further out on its side. Every level holds the same
  quantity: a tenth of the last closed minute's volume, rounded down to the step, at
  least the minimum quantity. `lastUpdateId` is the venue's minute number, so it moves on
  with each minute. (A MARKET order still fills at the last price on both sides: the venue
  has no spread; the book shows one tick so that bid < ask as on any exchange.)
- **The tape** (trades, aggTrades): each closed minute is one trade at its close, of its
  volume, at the minute's last millisecond; its id is the minute's open time in minutes
  (Unix seconds / 60), so ids rise with time and a minute's trade is the same trade in
  every answer. The buyer was the maker when the minute closed below its open.
- **24 hours** (ticker/24hr): the minutes of the last 24 hours up to now, the forming one
  at its open.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from tradewind.adapters.exchange.simulated.feed import PriceFeed
from tradewind.domain.candles import Candles, to_decimal
from tradewind.domain.market_rules import MarketRules

MINUTE = 60
DAY = 86_400
_LAST_MS = MINUTE * 1000 - 1


@dataclass(frozen=True, slots=True)
class Book:
    """A synthetic order book: (price, quantity) levels, best first."""

    update_id: int
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]


def book(feed: PriceFeed, rules: MarketRules, now: int, last: Decimal, depth: int) -> Book:
    """Return `depth` levels a side around the `last` price (see the module docstring)."""
    minute = now - now % MINUTE
    previous = feed.minute_candles(rules.symbol, rules.position_type, minute - MINUTE, minute)
    volume = to_decimal(float(previous.volume[-1])) if len(previous) else Decimal(0)
    step = rules.step or Decimal("0.00000001")
    quantity = (volume / 10 / step).to_integral_value(ROUND_DOWN) * step
    quantity = max(quantity, rules.min_qty, step)
    tick = rules.tick_size
    bids = [(last - k * tick, quantity) for k in range(depth) if last - k * tick > 0]
    asks = [(last + (k + 1) * tick, quantity) for k in range(depth)]
    return Book(minute // MINUTE, bids, asks)


@dataclass(frozen=True, slots=True)
class Trade:
    """One synthetic trade: a closed minute at its close (see the module docstring)."""

    trade_id: int
    price: Decimal
    quantity: Decimal
    time_ms: int
    buyer_is_maker: bool


def trades(candles: Candles) -> list[Trade]:
    """Return the trades of closed minutes, oldest first."""
    return [
        Trade(
            int(t) // MINUTE,
            to_decimal(close),
            to_decimal(volume),
            int(t) * 1000 + _LAST_MS,
            close < opening,
        )
        for t, opening, close, volume in zip(
            candles.open_time.tolist(),
            candles.open.tolist(),
            candles.close.tolist(),
            candles.volume.tolist(),
            strict=True,
        )
    ]


def recent_trades(feed: PriceFeed, rules: MarketRules, now: int, limit: int) -> list[Trade]:
    """Return the last `limit` trades before now."""
    minute = now - now % MINUTE
    window = feed.minute_candles(rules.symbol, rules.position_type, minute - limit * MINUTE, minute)
    return trades(window)


def trades_between(
    feed: PriceFeed, rules: MarketRules, now: int, start: int, end: int, limit: int
) -> list[Trade]:
    """Return up to `limit` trades of the minutes opening in [start, end), before now."""
    minute = now - now % MINUTE
    first = -(-start // MINUTE) * MINUTE
    stop = min(end, minute, first + limit * MINUTE)
    return trades(feed.minute_candles(rules.symbol, rules.position_type, first, stop))


@dataclass(frozen=True, slots=True)
class Day:
    """The last 24 hours of a symbol (see the module docstring)."""

    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    last: Decimal
    previous_close: Decimal
    volume: Decimal
    quote_volume: Decimal
    first_id: int
    last_id: int
    count: int


def last_day(feed: PriceFeed, rules: MarketRules, now: int, last: Decimal) -> Day:
    """Return the 24-hour statistics ending now, the forming minute at `last`."""
    minute = now - now % MINUTE
    start = now - DAY
    symbol, kind = rules.symbol, rules.position_type
    closed = feed.minute_candles(symbol, kind, start - start % MINUTE + MINUTE, minute)
    before = feed.minute_candles(symbol, kind, start - start % MINUTE, start - start % MINUTE + 60)
    highs = [to_decimal(v) for v in closed.high.tolist()] + [last]
    lows = [to_decimal(v) for v in closed.low.tolist()] + [last]
    volume = sum((to_decimal(v) for v in closed.volume.tolist()), start=Decimal(0))
    quote = sum(
        (to_decimal(v) * to_decimal(c) for v, c in zip(
            closed.volume.tolist(), closed.close.tolist(), strict=True)),
        start=Decimal(0),
    )  # fmt: skip
    opening = to_decimal(float(closed.open[0])) if len(closed) else last
    previous = to_decimal(float(before.close[0])) if len(before) else opening
    ids = [int(t) // MINUTE for t in closed.open_time.tolist()]
    return Day(
        open_time=start,
        close_time=now,
        open=opening,
        high=max(highs),
        low=min(lows),
        last=last,
        previous_close=previous,
        volume=volume,
        quote_volume=quote,
        first_id=ids[0] if ids else -1,
        last_id=ids[-1] if ids else -1,
        count=len(ids),
    )

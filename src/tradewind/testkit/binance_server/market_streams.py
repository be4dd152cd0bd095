"""Binance's market streams over the venue: `<symbol>@kline_<interval>`, `@bookTicker`, `@aggTrade`.

A `MarketFeed` follows a set of streams of one market (spot or USDⓈ-M) and, each time it
is polled, returns the events that happened since the last poll, on the venue's clock:

- kline: the forming kline whenever it changed (its first poll included); when its
  interval ends, the closed kline (`"x": true`) before the next one;
- bookTicker: the best bid and ask of the synthetic book whenever they moved;
- aggTrade: each minute that closed, as the one trade of `synthetic`.

Stream names are lower case, as Binance writes them; an unknown name or symbol is refused
with Binance's error for a bad subscription.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server import common, errors, klines, synthetic
from tradewind.testkit.binance_server.context import ServerState
from tradewind.testkit.binance_server.render import ms, plain, spot_text

Events = list[tuple[str, dict[str, object]]]  # (stream name, event), in order


@dataclass(frozen=True, slots=True)
class Stream:
    """One stream: its name as subscribed, the symbol, the kind and the kline interval."""

    name: str
    symbol: str
    kind: str  # "kline", "bookTicker" or "aggTrade"
    interval: str = ""


def parse_stream(name: str, state: ServerState, market: PositionType) -> Stream:
    """Read a stream name such as `btcusdt@kline_1m` (-1121 for a symbol not listed)."""
    symbol, _, rest = name.partition("@")
    if not symbol or not rest or symbol != symbol.lower():
        raise errors.BinanceError(400, 2, f"Invalid request: unknown stream name {name!r}")
    common.rules_of(state, symbol.upper(), market)
    if rest in ("bookTicker", "aggTrade"):
        return Stream(name, symbol.upper(), rest)
    kind, _, interval = rest.partition("_")
    known = klines.INTERVALS if market is PositionType.SPOT else klines.FUTURES_INTERVALS
    if kind != "kline" or interval not in known:
        raise errors.BinanceError(400, 2, f"Invalid request: unknown stream name {name!r}")
    return Stream(name, symbol.upper(), "kline", interval)


@dataclass(slots=True)
class MarketFeed:
    """The streams one connection follows, and what it last sent of each."""

    state: ServerState
    market: PositionType
    streams: dict[str, Stream] = field(default_factory=dict)
    _last: dict[str, object] = field(default_factory=dict)

    def subscribe(self, names: list[str]) -> None:
        """Follow more streams (all checked before any is added)."""
        parsed = [parse_stream(n, self.state, self.market) for n in names]
        for stream in parsed:
            self.streams[stream.name] = stream

    def unsubscribe(self, names: list[str]) -> None:
        """Stop following streams."""
        for name in names:
            self.streams.pop(name, None)
            self._last.pop(name, None)

    def poll(self) -> Events:
        """Return (stream name, event) of what changed since the last poll, in order."""
        now = common.now(self.state)
        events: Events = []
        for stream in list(self.streams.values()):
            rules = common.rules_of(self.state, stream.symbol, self.market)
            if common.known_price_at(self.state, rules, now) is None:
                continue  # no market data yet: nothing to say
            if stream.kind == "kline":
                events += self._kline(stream, rules, now)
            elif stream.kind == "bookTicker":
                events += self._book(stream, rules, now)
            else:
                events += self._trades(stream, rules, now)
        return events

    def _text(self, value: Decimal) -> str:
        return spot_text(value) if self.market is PositionType.SPOT else plain(value)

    def _kline(self, stream: Stream, rules: MarketRules, now: int) -> Events:
        step = klines.INTERVALS[stream.interval]
        rows = klines.klines(self.state.venue.prices, rules, step, now, None, None, 2)
        if not rows:
            return []
        forming = rows[-1]
        previous = self._last.get(stream.name)
        out = []
        if isinstance(previous, list) and previous[0] != forming[0]:
            closed = next((r for r in rows if r[0] == previous[0]), previous)
            out.append((stream.name, self._kline_event(stream, closed, now, closed=True)))
        if forming != previous:
            out.append((stream.name, self._kline_event(stream, forming, now, closed=False)))
        self._last[stream.name] = forming
        return out

    def _kline_event(
        self, stream: Stream, row: list[object], now: int, closed: bool
    ) -> dict[str, object]:
        open_ms, o, h, lo, c, v, close_ms, q, n, tb, tq, _ = row
        first = int(str(open_ms)) // 60_000
        return {
            "e": "kline",
            "E": ms(now),
            "s": stream.symbol,
            "k": {
                "t": open_ms, "T": close_ms, "s": stream.symbol, "i": stream.interval,
                "f": first, "L": first + max(int(str(n)), 1) - 1, "o": o, "c": c, "h": h,
                "l": lo, "v": v, "n": n, "x": closed, "q": q, "V": tb, "Q": tq, "B": "0",
            },
        }  # fmt: skip

    def _book(self, stream: Stream, rules: MarketRules, now: int) -> Events:
        last = common.price_at(self.state, rules, now)
        book = synthetic.book(self.state.venue.prices, rules, now, last, 1)
        (bid, bid_qty), (ask, ask_qty) = book.bids[0], book.asks[0]
        quote = (bid, bid_qty, ask, ask_qty)
        if self._last.get(stream.name) == quote:
            return []
        self._last[stream.name] = quote
        event: dict[str, object] = {
            "u": book.update_id,
            "s": stream.symbol,
            "b": self._text(bid),
            "B": self._text(bid_qty),
            "a": self._text(ask),
            "A": self._text(ask_qty),
        }
        if self.market is PositionType.FUTURES:
            event = {"e": "bookTicker", **event, "E": ms(now), "T": ms(now)}
        return [(stream.name, event)]

    def _trades(self, stream: Stream, rules: MarketRules, now: int) -> Events:
        (latest,) = synthetic.recent_trades(self.state.venue.prices, rules, now, 1) or (None,)
        previous = self._last.get(stream.name)
        self._last[stream.name] = latest.trade_id if latest else previous
        if latest is None or previous is None or previous == latest.trade_id:
            return []  # only trades after the subscription are news
        assert isinstance(previous, int)
        fresh = synthetic.trades_between(
            self.state.venue.prices, rules, now, (previous + 1) * 60, now, 1000
        )
        return [
            (
                stream.name,
                {
                    "e": "aggTrade", "E": ms(now), "s": stream.symbol, "a": t.trade_id,
                    "p": self._text(t.price), "q": self._text(t.quantity), "f": t.trade_id,
                    "l": t.trade_id, "T": t.time_ms, "m": t.buyer_is_maker,
                    **({"M": True} if self.market is PositionType.SPOT else {}),
                },
            )
            for t in fresh
        ]  # fmt: skip

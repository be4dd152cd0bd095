"""Spot public market data beyond klines: depth, avgPrice, tickers, trades, aggTrades.

Answered from the venue's candles by the rules of `synthetic` (the book, the tape, the
24-hour window), with Binance's parameters, weights and fields.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server import common, errors, synthetic
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import ROUTES, Call, Reply, Weight
from tradewind.testkit.binance_server.limits import Market
from tradewind.testkit.binance_server.render import spot_text

SPOT = PositionType.SPOT
API = "/api/v3"
AVG_PRICE_MINUTES = 5


def _depth_weight(params: p.Params) -> int:
    try:
        limit = int(params.get("limit") or 100)
    except ValueError:
        return 5
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def _levels(levels: list[tuple[Decimal, Decimal]]) -> list[list[str]]:
    return [[spot_text(price), spot_text(quantity)] for price, quantity in levels]


@ROUTES.add("GET", f"{API}/depth", Market.SPOT, _depth_weight)
def depth(call: Call) -> Reply:
    """Answer the synthetic order book (see `synthetic`)."""
    state = call.state
    rules = common.rules_of(state, p.symbol(call.params), SPOT)
    limit = p.integer(call.params, "limit", default=100, low=1, high=5000)
    now = common.now(state)
    book = synthetic.book(state.venue.prices, rules, now, common.price_at(state, rules, now), limit)
    return Reply(
        {"lastUpdateId": book.update_id, "bids": _levels(book.bids), "asks": _levels(book.asks)}
    )


@ROUTES.add("GET", f"{API}/avgPrice", Market.SPOT, 2)
def avg_price(call: Call) -> Reply:
    """Answer the volume-weighted price of the last five closed minutes (the last price if none)."""
    state = call.state
    rules = common.rules_of(state, p.symbol(call.params), SPOT)
    now = common.now(state)
    minute = now - now % 60
    trades = synthetic.recent_trades(state.venue.prices, rules, now, AVG_PRICE_MINUTES)
    volume = sum((t.quantity for t in trades), start=Decimal(0))
    if volume:
        price = sum((t.price * t.quantity for t in trades), start=Decimal(0)) / volume
        price = price.quantize(Decimal("1e-8"))
    else:
        price = common.price_at(state, rules, now)
    return Reply(
        {"mins": AVG_PRICE_MINUTES, "price": spot_text(price), "closeTime": minute * 1000 - 1}
    )


def _ticker_weight(per_symbol: int, every: int) -> Weight:
    def weight(params: p.Params) -> int:
        if params.get("symbol"):
            return per_symbol
        many = params.get("symbols")
        if not many:
            return every
        count = many.count(",") + 1
        return per_symbol if count <= 20 else every // 2 if count <= 100 else every

    return weight


def _book_ticker(call: Call, rules: MarketRules) -> dict[str, object]:
    state = call.state
    now = common.now(state)
    book = synthetic.book(state.venue.prices, rules, now, common.price_at(state, rules, now), 1)
    (bid, bid_qty), (ask, ask_qty) = book.bids[0], book.asks[0]
    return {
        "symbol": rules.symbol,
        "bidPrice": spot_text(bid),
        "bidQty": spot_text(bid_qty),
        "askPrice": spot_text(ask),
        "askQty": spot_text(ask_qty),
    }


def _one_or_all(call: Call, entries: list[dict[str, object]]) -> Reply:
    return Reply(entries[0] if p.optional(call.params, "symbol") else entries)


@ROUTES.add("GET", f"{API}/ticker/bookTicker", Market.SPOT, _ticker_weight(2, 4))
def book_ticker(call: Call) -> Reply:
    """Answer the best bid and ask of a symbol (or of several, or of every listed one)."""
    asked = common.asked_symbols(call.state, call, SPOT, priced=True)
    return _one_or_all(call, [_book_ticker(call, r) for r in asked])


@ROUTES.add("GET", f"{API}/ticker/24hr", Market.SPOT, _ticker_weight(2, 80))
def ticker_24hr(call: Call) -> Reply:
    """Answer the last 24 hours of a symbol (or of several, or of every listed one)."""
    state = call.state
    kind = p.choice(call.params, "type", ("FULL", "MINI"), "FULL")
    entries = []
    for rules in common.asked_symbols(state, call, SPOT, priced=True):
        now = common.now(state)
        day = synthetic.last_day(state.venue.prices, rules, now, common.price_at(state, rules, now))
        entry: dict[str, object] = {
            "symbol": rules.symbol,
            "openPrice": spot_text(day.open),
            "highPrice": spot_text(day.high),
            "lowPrice": spot_text(day.low),
            "lastPrice": spot_text(day.last),
            "volume": spot_text(day.volume),
            "quoteVolume": spot_text(day.quote_volume.quantize(Decimal("1e-8"))),
            "openTime": day.open_time * 1000,
            "closeTime": day.close_time * 1000,
            "firstId": day.first_id,
            "lastId": day.last_id,
            "count": day.count,
        }
        if kind == "FULL":
            change = day.last - day.open
            book = _book_ticker(call, rules)
            weighted = day.quote_volume / day.volume if day.volume else day.last
            entry = {
                "symbol": rules.symbol,
                "priceChange": spot_text(change),
                "priceChangePercent": f"{(change / day.open * 100).quantize(Decimal('0.001'))}",
                "weightedAvgPrice": spot_text(weighted.quantize(Decimal("1e-8"))),
                "prevClosePrice": spot_text(day.previous_close),
                "lastQty": spot_text(Decimal(0)),
                **{k: book[k] for k in ("bidPrice", "bidQty", "askPrice", "askQty")},
                **{k: v for k, v in entry.items() if k != "symbol"},
            }
        entries.append(entry)
    return _one_or_all(call, entries)


def _trade(trade: synthetic.Trade) -> dict[str, object]:
    return {
        "id": trade.trade_id,
        "price": spot_text(trade.price),
        "qty": spot_text(trade.quantity),
        "quoteQty": spot_text((trade.price * trade.quantity).quantize(Decimal("1e-8"))),
        "time": trade.time_ms,
        "isBuyerMaker": trade.buyer_is_maker,
        "isBestMatch": True,
    }


@ROUTES.add("GET", f"{API}/trades", Market.SPOT, 25)
def recent_trades(call: Call) -> Reply:
    """Answer the recent trades (one per closed minute, see `synthetic`)."""
    state = call.state
    rules = common.rules_of(state, p.symbol(call.params), SPOT)
    limit = p.integer(call.params, "limit", default=500, low=1, high=1000)
    trades = synthetic.recent_trades(state.venue.prices, rules, common.now(state), limit)
    return Reply([_trade(t) for t in trades])


@ROUTES.add("GET", f"{API}/aggTrades", Market.SPOT, 4)
def agg_trades(call: Call) -> Reply:
    """Answer aggregate trades by fromId, by time window, or the most recent."""
    state, params = call.state, call.params
    rules = common.rules_of(state, p.symbol(params), SPOT)
    limit = p.integer(params, "limit", default=500, low=1, high=1000)
    from_id = p.optional_integer(params, "fromId")
    start = common.millis(params, "startTime", SPOT)
    end = common.millis(params, "endTime", SPOT)
    now = common.now(state)
    feed = state.venue.prices
    if from_id is not None:
        if start is not None or end is not None:
            raise errors.BinanceError(400, -1128, "Combination of optional parameters invalid.")
        trades = synthetic.trades_between(feed, rules, now, from_id * 60, now, limit)
    elif start is not None or end is not None:
        start_s = (start // 1000 - 59) if start is not None else (end or 0) // 1000 - 3_600
        end_s = (end // 1000 - 59) if end is not None else start_s + 3_600 + 59
        trades = synthetic.trades_between(feed, rules, now, start_s, end_s + 1, limit)
    else:
        trades = synthetic.recent_trades(feed, rules, now, limit)
    return Reply(
        [
            {
                "a": t.trade_id,
                "p": spot_text(t.price),
                "q": spot_text(t.quantity),
                "f": t.trade_id,
                "l": t.trade_id,
                "T": t.time_ms,
                "m": t.buyer_is_maker,
                "M": True,
            }
            for t in trades
        ]
    )

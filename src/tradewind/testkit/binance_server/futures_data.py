"""USDⓈ-M public market data beyond klines: depth, tickers, mark price and funding.

The book and the 24 hours follow the rules of `synthetic`. The venue charges no funding,
so the funding rate is zero at every funding time (every eight hours from 00:00 UTC) and
the mark and index prices are the last price.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server import common, synthetic
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import ROUTES, Call, Reply
from tradewind.testkit.binance_server.futures import F1
from tradewind.testkit.binance_server.limits import Market
from tradewind.testkit.binance_server.render import ms, plain

FUTURES = PositionType.FUTURES
F2 = "/fapi/v2"
FUNDING_HOURS = 8
_DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
_ZERO_RATE = "0.00000000"


def _depth_weight(params: p.Params) -> int:
    try:
        limit = int(params.get("limit") or 500)
    except ValueError:
        return 2
    return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


def _levels(levels: list[tuple[Decimal, Decimal]]) -> list[list[str]]:
    return [[plain(price), plain(quantity)] for price, quantity in levels]


def _book(call: Call, rules: MarketRules, depth: int) -> tuple[int, synthetic.Book]:
    state = call.state
    now = common.now(state)
    last = common.price_at(state, rules, now)
    return now, synthetic.book(state.venue.prices, rules, now, last, depth)


@ROUTES.add("GET", f"{F1}/depth", Market.FUTURES, _depth_weight)
def depth(call: Call) -> Reply:
    """Answer the synthetic order book (see `synthetic`)."""
    rules = common.rules_of(call.state, p.symbol(call.params), FUTURES)
    limit = p.integer(call.params, "limit", default=500, low=1, high=1000)
    if limit not in _DEPTH_LIMITS:
        limit = next(n for n in _DEPTH_LIMITS if n >= limit)  # Binance rounds up to a valid one
    now, book = _book(call, rules, limit)
    return Reply(
        {
            "lastUpdateId": book.update_id,
            "E": ms(now),
            "T": ms(now),
            "bids": _levels(book.bids),
            "asks": _levels(book.asks),
        }
    )


def _one_or_all(call: Call, entries: list[dict[str, object]]) -> Reply:
    return Reply(entries[0] if p.optional(call.params, "symbol") else entries)


@ROUTES.add("GET", f"{F1}/ticker/bookTicker", Market.FUTURES, lambda q: 2 if q.get("symbol") else 5)
def book_ticker(call: Call) -> Reply:
    """Answer the best bid and ask of a symbol (or of every listed one)."""
    entries = []
    for rules in common.asked_symbols(call.state, call, FUTURES, priced=True):
        now, book = _book(call, rules, 1)
        (bid, bid_qty), (ask, ask_qty) = book.bids[0], book.asks[0]
        entries.append(
            {
                "symbol": rules.symbol,
                "bidPrice": plain(bid),
                "bidQty": plain(bid_qty),
                "askPrice": plain(ask),
                "askQty": plain(ask_qty),
                "time": ms(now),
                "lastUpdateId": book.update_id,
            }
        )
    return _one_or_all(call, entries)


@ROUTES.add("GET", f"{F1}/ticker/24hr", Market.FUTURES, lambda q: 1 if q.get("symbol") else 40)
def ticker_24hr(call: Call) -> Reply:
    """Answer the last 24 hours of a symbol (or of every listed one)."""
    state = call.state
    entries: list[dict[str, object]] = []
    for rules in common.asked_symbols(state, call, FUTURES, priced=True):
        now = common.now(state)
        day = synthetic.last_day(state.venue.prices, rules, now, common.price_at(state, rules, now))
        change = day.last - day.open
        weighted = day.quote_volume / day.volume if day.volume else day.last
        entries.append(
            {
                "symbol": rules.symbol,
                "priceChange": plain(change),
                "priceChangePercent": f"{(change / day.open * 100).quantize(Decimal('0.001'))}",
                "weightedAvgPrice": plain(weighted.quantize(rules.tick_size)),
                "lastPrice": plain(day.last),
                "lastQty": "0",
                "openPrice": plain(day.open),
                "highPrice": plain(day.high),
                "lowPrice": plain(day.low),
                "volume": plain(day.volume),
                "quoteVolume": plain(day.quote_volume.quantize(Decimal("1e-8"))),
                "openTime": ms(day.open_time),
                "closeTime": ms(day.close_time),
                "firstId": day.first_id,
                "lastId": day.last_id,
                "count": day.count,
            }
        )
    return _one_or_all(call, entries)


@ROUTES.add("GET", f"{F2}/ticker/price", Market.FUTURES, lambda q: 1 if q.get("symbol") else 2)
def ticker_price_v2(call: Call) -> Reply:
    """Answer the last price of a symbol (or of every listed one), with its time."""
    state = call.state
    at = ms(common.now(state))
    prices = [
        {"symbol": r.symbol, "price": plain(common.price_now(state, r)), "time": at}
        for r in common.asked_symbols(state, call, FUTURES, priced=True)
    ]
    return _one_or_all(call, prices)


def _next_funding(now: int) -> int:
    period = FUNDING_HOURS * 3_600
    return now - now % period + period


@ROUTES.add("GET", f"{F1}/premiumIndex", Market.FUTURES, lambda q: 1 if q.get("symbol") else 10)
def premium_index(call: Call) -> Reply:
    """Answer the mark price and funding of a symbol (or of every listed one)."""
    state = call.state
    now = common.now(state)
    entries = []
    for rules in common.asked_symbols(state, call, FUTURES, priced=True):
        price = plain(common.price_at(state, rules, now))
        entries.append(
            {
                "symbol": rules.symbol,
                "markPrice": price,
                "indexPrice": price,
                "estimatedSettlePrice": price,
                "lastFundingRate": _ZERO_RATE,
                "interestRate": _ZERO_RATE,
                "nextFundingTime": ms(_next_funding(now)),
                "time": ms(now),
            }
        )
    return _one_or_all(call, entries)


@ROUTES.add("GET", f"{F1}/fundingRate", Market.FUTURES, 1)
def funding_rate(call: Call) -> Reply:
    """Answer the funding history: a zero rate at each funding time with a known price."""
    state, params = call.state, call.params
    rules = common.rules_of(state, p.symbol(params), FUTURES)
    limit = p.integer(params, "limit", default=100, low=1, high=1000)
    start = p.optional_integer(params, "startTime")
    end = p.optional_integer(params, "endTime")
    now = common.now(state)
    period = FUNDING_HOURS * 3_600
    last = min(now, end // 1000 if end is not None else now)
    last -= last % period
    first = last - (limit - 1) * period
    if start is not None:
        first = -(-start // 1000 // period) * period
        last = min(last, first + (limit - 1) * period)
    entries = []
    for at in range(first, last + 1, period):
        price = common.known_price_at(state, rules, at)
        if price is None:
            continue
        entries.append(
            {
                "symbol": rules.symbol,
                "fundingRate": _ZERO_RATE,
                "fundingTime": ms(at),
                "markPrice": plain(price),
            }
        )
    return Reply(entries)

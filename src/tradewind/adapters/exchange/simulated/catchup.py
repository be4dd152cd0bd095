"""Move the venue's market forward: apply the 1m candles that closed since the last call.

Only markets with something to watch are read: a resting protection group, a working
resting order (`resting.py`) or an open futures position. Candles are applied in time
order; within one minute, markets in (symbol, market) order and accounts in id order, so
ids stay deterministic.

Inside one candle, for one futures position with liquidation price LP:
1. a candle that opens at or beyond LP liquidates the position at LP;
2. each protection group fires as `exit_at_levels` says, unless the candle also reaches
   LP and the exit is not surely first: a stop fires first only at a price on the safe side
   of LP (a take-profit only at the open), like "the stop comes first" of STRATEGY.md;
3. the account's working orders of the market trigger and fill (`RestingOrders.apply_bar`);
4. a position still open whose LP the candle reaches is liquidated.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.book import Book
from tradewind.adapters.exchange.simulated.feed import MINUTE, Bar, PriceFeed, bars
from tradewind.adapters.exchange.simulated.futures import beyond, liquidation_price
from tradewind.adapters.exchange.simulated.protection import ExitOrders, exit_in_bar, groups_at
from tradewind.adapters.exchange.simulated.resting import RestingOrders, working_at, working_markets
from tradewind.adapters.exchange.simulated.state import Account
from tradewind.adapters.exchange.simulated.trading import MarketOrders
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.types import PositionSide, PositionType

Market = tuple[str, PositionType]


def watched(book: Book) -> list[Market]:
    """Return the markets in which some account has a resting group, a working order or a
    futures position."""
    markets: set[Market] = set()
    for account in book.accounts.values():
        markets.update((g.symbol, g.position_type) for g in account.groups.values())
        markets.update(working_markets(account))
        markets.update((symbol, PositionType.FUTURES) for symbol in account.positions)
    return sorted(markets)


def _reaches(side: PositionSide, bar: Bar, level: Decimal) -> bool:
    return bar.low <= level if side is PositionSide.LONG else bar.high >= level


class MarketReplay:
    """Moves the venue's market forward: applies the 1m candles closed since the last call."""

    def __init__(
        self,
        book: Book,
        feed: PriceFeed,
        orders: MarketOrders,
        exits: ExitOrders,
        resting: RestingOrders,
    ) -> None:
        self._book = book
        self._feed = feed
        self._orders = orders
        self._exits = exits
        self._resting = resting

    def catch_up(self, now: int) -> None:
        """Apply every 1m candle that closed at or before `now` and was not applied yet."""
        boundary = now - now % MINUTE  # candles opening before it have closed
        book = self._book
        start = book.processed_until
        if start is None:
            book.processed_until = boundary
            book.dirty = True
            return
        if boundary <= start:
            return
        markets = watched(book)
        if markets:
            timeline: list[tuple[int, int, Bar]] = []
            for index, (symbol, kind) in enumerate(markets):
                candles = self._feed.minute_candles(symbol, kind, start, boundary)
                timeline.extend((bar.open_time, index, bar) for bar in bars(candles))
            timeline.sort(key=lambda event: (event[0], event[1]))
            accounts = [book.accounts[i] for i in sorted(book.accounts)]
            for _, index, bar in timeline:
                for account in accounts:
                    self._apply_bar(account, markets[index], bar)
            book.dirty = True
        book.processed_until = boundary

    def _apply_bar(self, account: Account, market: Market, bar: Bar) -> None:
        """Apply one closed candle to one account's groups and position in `market`."""
        symbol, kind = market
        groups = groups_at(account, symbol, kind, bar)
        position = account.positions.get(symbol) if kind is PositionType.FUTURES else None
        working = bool(account.working) and bool(working_at(account, symbol, kind, bar))
        if position is None and not groups and not working:
            return
        rules = self._book.rules(symbol, kind)
        level = liquidation_price(account, rules, position) if position is not None else None
        if position is not None and level is not None and beyond(position.side, bar.open, level):
            self._orders.liquidate(account, rules, position, level, bar.open_time)
            return
        for group in groups:
            if group.group_id not in account.groups:
                continue  # ended by a group that fired before it in this candle
            hit = exit_in_bar(account, group, bar)
            if hit is None:
                self._exits.carry_peak(group, bar)
                continue
            price, purpose = hit
            if position is not None and level is not None and _reaches(position.side, bar, level):
                first = price == bar.open or (
                    purpose is not OrderPurpose.TAKE_PROFIT
                    and not beyond(position.side, price, level)
                )
                if not first:
                    continue  # the liquidation below comes first and cancels the group
            self._exits.fire(account, group, purpose, price, bar.open_time)
            if position is not None:
                position = account.positions.get(symbol)
                level = (
                    liquidation_price(account, rules, position) if position is not None else None
                )
        if working:
            self._resting.apply_bar(account, rules, bar)
        if kind is PositionType.FUTURES:
            self._liquidate_reached(account, symbol, bar)

    def _liquidate_reached(self, account: Account, symbol: str, bar: Bar) -> None:
        position = account.positions.get(symbol)
        if position is None:
            return
        rules = self._book.rules(symbol, PositionType.FUTURES)
        level = liquidation_price(account, rules, position)
        if level is not None and _reaches(position.side, bar, level):
            self._orders.liquidate(account, rules, position, level, bar.open_time)

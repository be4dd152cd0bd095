"""The kline feeder inside `tradewind run --exchange binance`: streamed candles, no Redis.

The one-process path follows the kline streams of the series its running Binance bots
trade in a thread of its own (as `--user-streams` follows the user data streams), into a
book in its own memory (`MemoryCandleBook`): nobody else reads those candles, so the run
needs no Redis for them and starts with no setup. Its ticks read the book first and REST
behind it (`StreamMarketData`), and each slot is decided as its candles land
(`services.streamed_run`). The series are looked up again every `refresh_s`: a bot started
on a new series is followed within that time (until then its slots wait
`TRADEWIND_STREAM_WAIT_S`, then read REST). Every bot's symbol is followed on 1m too: the
exits watched between candle closes read 1-minute candles.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from sqlalchemy.exc import DBAPIError

from tradewind.adapters.exchange.binance.provider import BinanceExchanges
from tradewind.adapters.marketdata.memory_book import MemoryCandleArrivals, MemoryCandleBook
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.stream_arrivals import SeriesAt
from tradewind.adapters.marketdata.stream_book import StreamMarketData
from tradewind.bootstrap.feeder import Following, Wanted, follow, stream_urls, wanted_series
from tradewind.bootstrap.runtime import PaperRuntime, paper_runtime
from tradewind.bootstrap.venues import binance_options
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.types import PositionType
from tradewind.ports import Clock, MarketData, UnitOfWork
from tradewind.services.outages import one_line
from tradewind.services.slots import MarketGroup
from tradewind.settings import Settings

log = logging.getLogger("tradewind.run")
REFRESH_S = 15.0


class EmbeddedFeeder:
    """Follows the running Binance bots' series into a book of this process (see the module)."""

    def __init__(
        self,
        book: MemoryCandleBook,
        rest: MarketData,
        urls: dict[PositionType, str],
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        refresh_s: float = REFRESH_S,
    ) -> None:
        self.book = book
        self._arrivals = MemoryCandleArrivals(book)
        self._rest = rest
        self._urls = urls
        self._uow = uow
        self._clock = clock
        self._refresh_s = refresh_s
        self._away: str | None = None  # why the bots' series could not be read, once said

    def wanted(self) -> Wanted:
        """The series the running Binance bots trade, and 1m of each of their symbols."""
        with self._uow() as uow:
            return wanted_series(uow.bots.running_bots(ExchangeKind.BINANCE))

    def run(self, stop: threading.Event) -> None:
        """Follow the wanted series until `stop` is set (the database away: keep following
        the series known, and look again at the next refresh)."""
        following = Following()
        try:
            while not stop.is_set():
                wanted = self._look(following.wanted)
                if wanted != following.wanted:
                    following.end()
                    following = follow(wanted, self._urls, self._rest, self.book, self._clock.now)
                stop.wait(self._refresh_s)
        finally:
            following.end()

    def _look(self, known: Wanted) -> Wanted:
        try:
            wanted = self.wanted()
        except DBAPIError as e:
            cause = one_line(e.orig or e)
            if cause != self._away:
                log.warning("the feeder cannot read the bots' series (%s): follows those known",
                            cause)  # fmt: skip
                self._away = cause
            return known
        self._away = None
        return wanted

    def watch(
        self,
        groups: Sequence[MarketGroup],
        slot: int,
        arrived: Callable[[MarketGroup], None],
        past_deadline: Callable[[], bool],
    ) -> list[MarketGroup]:
        """Call `arrived(group)` as each group's candle of `slot` lands in the book, until
        all have or `past_deadline()`; return the groups still without it."""
        wanted = {g: SeriesAt(g.position_type, g.symbol, g.timeframe, slot) for g in groups}
        return self._arrivals.follow(wanted, arrived, past_deadline)


def streamed_binance_runtime(
    settings: Settings, clock: Clock, *, testnet: bool = False
) -> tuple[PaperRuntime, EmbeddedFeeder]:
    """Wire ticks for the bots on Binance accounts deciding on streamed candles (its
    testnet's with `testnet`), and the feeder that streams them (not started: run it in a
    thread); `tradewind run --exchange binance`."""
    binance = BinanceExchanges(binance_options(settings))
    rest = binance.market_data(testnet)
    book = MemoryCandleBook()
    runtime = paper_runtime(
        settings, ReplayMarketData({}), clock, bot_market_data=StreamMarketData(book, rest),
        binance=binance,
    )  # fmt: skip
    feeder = EmbeddedFeeder(book, rest, stream_urls(settings, testnet), runtime.deps.uow, clock)
    return runtime, feeder

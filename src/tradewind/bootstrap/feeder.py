"""`tradewind feeder`: Binance's kline streams into Redis for every series the bots need.

One feeder leads per installation (a PostgreSQL advisory lock of its own; a second one
stands by and takes over when the leader's connection goes). The leader reads which
(market, symbol, timeframe) the running bots on Binance accounts trade, follows their kline
streams (`KlineFeeder`), and looks again every `refresh_s`: a bot started on a new series
is followed within that time, a series no bot needs any more is dropped. Workers and
`tradewind run` read the candles from the book (`StreamMarketData`), REST behind it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import redis

from tradewind.adapters.clocks import SystemClock
from tradewind.adapters.db.leader import LeaderLock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.adapters.exchange.binance.kline_feeder import KlineFeeder, Series
from tradewind.adapters.exchange.binance.provider import BinanceExchanges
from tradewind.adapters.marketdata.stream_book import CandleBook, StreamCandleBook
from tradewind.adapters.shared.redis_store import Names, check_redis, connect_redis
from tradewind.bootstrap.runtime import open_database, require_postgresql
from tradewind.bootstrap.venues import binance_options
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.types import PositionType
from tradewind.ports import Clock, MarketData, RunningBot
from tradewind.settings import Settings

log = logging.getLogger(__name__)

FEEDER_LOCK_KEY = 2  # the scheduler leads with key 1
STREAM_HOSTS = {
    PositionType.SPOT: "wss://stream.binance.com:9443",
    PositionType.FUTURES: "wss://fstream.binance.com",
}
TESTNET_STREAM_HOSTS = {
    PositionType.SPOT: "wss://stream.testnet.binance.vision",
    PositionType.FUTURES: "wss://fstream.binancefuture.com",
}
Wanted = dict[PositionType, tuple[Series, ...]]


def stream_urls(settings: Settings, testnet: bool = False) -> dict[PositionType, str]:
    """Where each market's streams are: the settings', or Binance's own hosts (its
    testnet's with `testnet`)."""
    hosts = TESTNET_STREAM_HOSTS if testnet else STREAM_HOSTS
    return {
        PositionType.SPOT: settings.binance_stream_url or hosts[PositionType.SPOT],
        PositionType.FUTURES: settings.binance_futures_stream_url or hosts[PositionType.FUTURES],
    }


@dataclass
class Following:
    """The feeders running now, per market, and how to stop them."""

    wanted: Wanted = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    feeders: list[KlineFeeder] = field(default_factory=list)

    def figures(self) -> dict[str, int]:
        """What the running feeders did so far (messages, candles, backfilled, connects)."""
        total: dict[str, int] = {}
        for feeder in self.feeders:
            for name, value in asdict(feeder.stats).items():
                total[name] = total.get(name, 0) + int(value)
        return total

    def end(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


class FeederProcess:
    """The leader-elected feeder of one installation (see the module)."""

    def __init__(
        self, settings: Settings, refresh_s: float = 15.0, clock: Clock | None = None
    ) -> None:
        require_postgresql(settings)
        self._engine, self._sessions, self._secrets = open_database(settings)
        client = connect_redis(settings.redis_url)
        check_redis(client, settings.redis_url)
        self._redis, self._names = client, Names(settings.namespace)
        self.book = StreamCandleBook(client, self._names)
        self._rest = BinanceExchanges(binance_options(settings)).market_data()
        self._urls = stream_urls(settings)
        self._leader = LeaderLock(self._engine, key=FEEDER_LOCK_KEY)
        self._refresh_s = refresh_s
        self._clock = clock or SystemClock()  # the venue's time (a test server's may run fast)
        self.leading: bool | None = None  # unknown until the first look

    def wanted(self) -> Wanted:
        """The series the running bots on Binance accounts trade (see `wanted_series`)."""
        with SqlManageUnitOfWork(self._sessions, self._secrets) as uow:
            return wanted_series(uow.bots.running_bots(ExchangeKind.BINANCE))

    def run(self, stop: threading.Event) -> None:
        """Lead (or stand by) and follow the wanted series until `stop` is set."""
        following = Following()
        try:
            while not stop.is_set():
                leads = self._leader.leads()
                if leads != self.leading:
                    log.info("feeder %s", "leading" if leads else "standing by: another leads")
                    self.leading = leads
                wanted = self.wanted() if leads else {}
                if wanted != following.wanted:
                    following.end()
                    following = self._follow(wanted)
                self._publish(following)
                stop.wait(self._refresh_s)
        finally:
            following.end()
            self._leader.release()
            self._engine.dispose()

    def _publish(self, following: Following) -> None:
        """Keep the leader's figures at `namespace:feeder:stats` (since it began to follow
        the present series), for operators and benchmarks; best effort."""
        figures = following.figures()
        if not figures:
            return
        try:
            self._redis.hset(self._names.key("feeder", "stats"), mapping=figures)  # type: ignore[arg-type]
        except redis.RedisError as e:
            log.warning("feeder figures not recorded: %s", e)

    def _follow(self, wanted: Wanted) -> Following:
        return follow(wanted, self._urls, self._rest, self.book, self._clock.now)


def follow(
    wanted: Wanted,
    urls: dict[PositionType, str],
    rest: MarketData,
    book: CandleBook,
    now: Callable[[], int],
) -> Following:
    """Start following `wanted` (a thread per market) into `book`; stop with `.end()`."""
    following = Following(wanted)
    for market, series in wanted.items():
        feeder = KlineFeeder(urls[market], market, series, rest, book, now)
        thread = threading.Thread(
            target=feeder.run, args=(following.stop,), name=f"feeder-{market.value}"
        )
        thread.start()
        following.threads.append(thread)
        following.feeders.append(feeder)
    count = sum(len(s) for s in wanted.values())
    log.info("feeder follows %d series", count)
    return following


def wanted_series(bots: Iterable[RunningBot]) -> Wanted:
    """The series `bots` trade, and 1m of each of their symbols (the exits a bot watches
    between its candle closes read 1-minute candles), per market."""
    series: dict[PositionType, set[Series]] = {}
    for bot in bots:
        followed = series.setdefault(bot.position_type, set())
        followed.update((Series(bot.symbol, bot.timeframe), Series(bot.symbol, "1m")))
    return {
        market: tuple(sorted(found, key=lambda s: (s.symbol, s.timeframe)))
        for market, found in series.items()
    }

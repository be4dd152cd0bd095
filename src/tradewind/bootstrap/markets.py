"""Where `tradewind run`, the demo and the test server get their candles and their time:
1-minute candle files to replay or a generated market, on the wall clock, a replay clock
or a sped-up one.

`ReplayMarketData` (the candles, with `span()` and `symbols()`) and `ReplayClock` (`set`)
are the types the entrypoints hold; they get them from here, never from the adapters.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

from tradewind.adapters.clocks import ReplayClock, ScaledClock, SystemClock
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import START_PRICES, generate_market, start_price
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports import Clock, MarketData
from tradewind.settings import Settings

# START_PRICES and start_price live beside the generator (a backtest reaches them without
# this module's settings, which import pydantic); they are still exported from here.
__all__ = [
    "START_PRICES",
    "ReplayClock",
    "ReplayMarketData",
    "chart_market",
    "check_symbol",
    "generated_markets",
    "no_candles",
    "replay_clock",
    "replay_files",
    "replay_venue_state",
    "scaled_clock",
    "start_price",
    "tick_size",
    "wall_clock",
]

MINUTE = 60

STORED = "store"  # `SYMBOL=store`: the symbol's spot 1m series of the candle store


def replay_venue_state(data_dir: Path, specs: list[str], seed: int) -> Path:
    """Return the file that holds the paper venue of this replay (these candle files, this
    seed) in `data_dir`: the same replay run again resumes it; another starts afresh."""
    identity = hashlib.sha256()
    for spec in specs:
        symbol, sep, name = spec.partition("=")
        path = Path(name if sep else spec).resolve()
        size = path.stat().st_size if path.exists() else -1
        identity.update(f"{symbol.strip().upper() if sep else ''}={path}:{size};".encode())
    identity.update(f"seed={seed}".encode())
    return data_dir / f"paper-venue-replay-{identity.hexdigest()[:16]}.json"


def replay_files(specs: list[str]) -> ReplayMarketData:
    """Read `FILE` (for every symbol) or `SYMBOL=FILE` specs of 1-minute candle CSVs;
    `SYMBOL=store` reads the symbol's spot 1-minute candles from the candle store."""
    series: dict[str, Candles] = {}
    default: Candles | None = None
    for spec in specs:
        symbol, sep, name = spec.partition("=")
        path = Path(name if sep else spec)
        if sep and name.strip() == STORED:
            series[symbol.strip().upper()] = _stored_minutes(symbol.strip().upper())
            continue
        candles = read_candles_csv(path)
        if candles.interval_seconds != MINUTE:
            raise ConfigurationError(
                f"--replay {path}: candles are {candles.interval_seconds} s apart; "
                "replays need 1-minute candles (bots of longer timeframes get them aggregated)"
            )
        if sep:
            series[symbol.strip().upper()] = candles
        elif default is None:
            default = candles
        else:
            raise ConfigurationError(
                "--replay: give one plain FILE at most; name the others SYMBOL=FILE"
            )
    return ReplayMarketData(series, default)


def _stored_minutes(symbol: str) -> Candles:
    from tradewind.bootstrap.data import candle_store
    from tradewind.domain.types import Symbol
    from tradewind.ports.research import SeriesKey

    candles = candle_store().read(SeriesKey(PositionType.SPOT, Symbol(symbol), "1m"))
    if candles is None or len(candles) == 0:
        raise ConfigurationError(
            f"--replay {symbol}={STORED}: the candle store has no spot 1m candles of {symbol}; "
            f"get them with `tradewind data download --symbol {symbol} --start YYYY-MM-DD`"
        )
    return candles


def generated_markets(symbols: list[str], start: int, minutes: int, seed: int) -> ReplayMarketData:
    """Generate a seeded 1-minute market for each symbol from `start` (Unix seconds)."""
    from datetime import UTC, datetime

    begin = datetime.fromtimestamp(start - start % MINUTE, tz=UTC)
    series = {
        symbol: generate_market(
            minutes,
            MINUTE,
            seed=seed + i,
            start_price=start_price(symbol),
            start_time=begin,
            tick=tick_size(symbol),
        )
        for i, symbol in enumerate(sorted(set(symbols)))
    }
    return ReplayMarketData(series)


def no_candles() -> ReplayMarketData:
    """Return a market of no candles (bots that decide on another source's candles)."""
    return ReplayMarketData({})


def tick_size(symbol: str) -> Decimal:
    """Return the price tick of `symbol` (its built-in spot rules)."""
    return rules_for(symbol, PositionType.SPOT).tick_size


def check_symbol(symbol: str) -> None:
    """Refuse a symbol without built-in rules (ConfigurationError names the known ones)."""
    rules_for(symbol, PositionType.SPOT)


def wall_clock() -> Clock:
    """Return the real time."""
    return SystemClock()


def replay_clock(start: int) -> ReplayClock:
    """Return a clock that stands at `start` until a replay moves it."""
    return ReplayClock(start)


def scaled_clock(start: int, speed: float) -> Clock:
    """Return a clock that starts at `start` and runs `speed` times as fast as real time."""
    return ScaledClock(start, speed)


class BinanceMarket:
    """The real market on Binance's public klines (no key): the closed candles the bots
    decide on and the 1m candles the paper venue fills on, both from the same source."""

    def __init__(self, settings: Settings) -> None:
        from tradewind.adapters.exchange.binance.provider import BinanceExchanges
        from tradewind.bootstrap.venues import binance_options

        exchanges = BinanceExchanges(binance_options(settings))
        self._candles = exchanges.market_data()
        self._minutes = exchanges.minute_feed()
        self.where = settings.binance_url or "Binance (api.binance.com)"

    def closed_candles(
        self, symbol: Symbol, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        return self._candles.closed_candles(symbol, timeframe, position_type, until, limit)

    def minute_candles(
        self, symbol: str, position_type: PositionType, start: int, end: int
    ) -> Candles:
        return self._minutes.minute_candles(symbol, position_type, start, end)

    def market_minute(self, symbol: str) -> int:
        """Return the open time of `symbol`'s 1m candle forming now: the market's clock."""
        return self._minutes.market_minute(symbol)


def binance_market(settings: Settings, symbol: str) -> tuple[BinanceMarket | None, str]:
    """Return the real market when its klines answer (and its clock), else None and why."""
    from tradewind.domain.errors import AuthenticationFailed, TemporaryExchangeError

    market = BinanceMarket(settings)
    try:
        market.market_minute(symbol)
    except (TemporaryExchangeError, AuthenticationFailed, ConfigurationError) as e:
        return None, f"{market.where} did not answer ({e})"
    return market, market.where


class _ChartMarket:
    """The real market's klines for bot charts, connected on the first chart asked for."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._market: BinanceMarket | None = None

    def closed_candles(
        self, symbol: Symbol, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        if self._market is None:
            self._market = BinanceMarket(self._settings)
        return self._market.closed_candles(symbol, timeframe, position_type, until, limit)


def chart_market(settings: Settings) -> MarketData:
    """Return where the API's bot charts read candles when no runtime shares its market:
    the real market's klines (Binance's public ones), what a paper run reads first."""
    return _ChartMarket(settings)

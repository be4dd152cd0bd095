"""Where `tradewind run` and the demo get their candles: replay files or a generated market."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType

MINUTE = 60
# Start prices of the generated markets, so each symbol looks like itself.
START_PRICES = {"BTCUSDT": Decimal(42_000), "ETHUSDT": Decimal(2_300), "BNBUSDT": Decimal(310),
                "SOLUSDT": Decimal(95), "XRPUSDT": Decimal("0.62")}  # fmt: skip


def replay_files(specs: list[str]) -> ReplayMarketData:
    """Read `FILE` (for every symbol) or `SYMBOL=FILE` specs of 1-minute candle CSVs."""
    series: dict[str, Candles] = {}
    default: Candles | None = None
    for spec in specs:
        symbol, sep, name = spec.partition("=")
        path = Path(name if sep else spec)
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


def generated_markets(symbols: list[str], start: int, minutes: int, seed: int) -> ReplayMarketData:
    """Generate a seeded 1-minute market for each symbol from `start` (Unix seconds)."""
    from datetime import UTC, datetime

    begin = datetime.fromtimestamp(start - start % MINUTE, tz=UTC)
    series = {
        symbol: generate_market(
            minutes,
            MINUTE,
            seed=seed + i,
            start_price=START_PRICES.get(symbol, Decimal(100)),
            start_time=begin,
            tick=rules_for(symbol, PositionType.SPOT).tick_size,
        )
        for i, symbol in enumerate(sorted(set(symbols)))
    }
    return ReplayMarketData(series)

"""The backtest's sources: candle CSV files, the candle store, the generated market, the
symbol rules (from a Binance exchangeInfo file, the store, or built in). No database, no
network: cheap to import, as `tradewind backtest` runs in well under a second."""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from tradewind.adapters.exchange.builtin_rules import BUILTIN_RULES, rules_for
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.synthetic import generate_market, start_price
from tradewind.domain.candles import Candles
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports.research import CandleStore, SeriesKey

if TYPE_CHECKING:
    # Types only: importing the ports package would cost the backtest's start-up.
    from concurrent.futures import Executor

    from tradewind.ports.backtest import BacktestSources
    from tradewind.services.backtest.jobs import BacktestJobs, JobResult
    from tradewind.services.backtest.request import BacktestRequest
    from tradewind.settings import Settings


class FileSources:
    """Candles from files, the store or the generator; rules from a file, the store or the
    built-in table. The store (and the settings naming it) is opened on first use only."""

    def __init__(self, store: CandleStore | None = None) -> None:
        self._store = store

    def _candle_store(self) -> CandleStore:
        if self._store is None:
            root = plain_candle_store_dir(os.environ)
            if root is None:
                from tradewind.bootstrap.data import candle_store

                self._store = candle_store()
            else:
                from tradewind.adapters.marketdata.candle_store import ParquetCandleStore

                self._store = ParquetCandleStore(root)
        return self._store

    def read_candles(self, path: Path) -> Candles:
        return read_candles_csv(path)

    def stored_candles(self, symbol: str, timeframe: str, market: PositionType) -> Candles | None:
        return self._candle_store().read(SeriesKey(market, Symbol(symbol), timeframe))

    def generate_candles(
        self, count: int, interval_seconds: int, seed: int, symbol: str
    ) -> Candles:
        known = BUILTIN_RULES.get((symbol, PositionType.SPOT))
        return generate_market(
            count,
            interval_seconds,
            # Its own path: the symbol's name moves the seed, the same way every run.
            seed=seed + zlib.crc32(symbol.encode()) % 1_000_000,
            start_price=start_price(symbol),
            tick=known.tick_size if known is not None else Decimal("0.0001"),
        )

    def rules(
        self, symbol: str, position_type: PositionType, exchange_info: Path | None
    ) -> MarketRules:
        if exchange_info is None:
            stored = self._candle_store().rules(symbol, position_type)
            if stored is not None:
                return stored
        return rules_for(symbol, position_type, exchange_info)


_STORE_VARIABLES = ("TRADEWIND_CANDLE_DIR", "TRADEWIND_DATA_DIR")


def plain_candle_store_dir(environ: Mapping[str, str]) -> Path | None:
    """Return `Settings().candle_store_dir` read straight from the environment, or None
    when the settings themselves must decide.

    Loading the settings imports pydantic, a fifth of a quick backtest's CPU time. The two
    variables that place the store are read here as the settings read them (unset: the
    default; set: a path, `~` expanded) when they are set plainly: in upper case and not
    empty. Anything else (`tradewind_data_dir`, an empty value) goes to the settings.
    """
    named = [key for key in environ if key.upper() in _STORE_VARIABLES]
    if any(key not in _STORE_VARIABLES or not environ[key] for key in named):
        return None
    data_dir = Path(environ.get("TRADEWIND_DATA_DIR", Path.home() / ".tradewind")).expanduser()
    candle_dir = environ.get("TRADEWIND_CANDLE_DIR")
    return (Path(candle_dir) if candle_dir else data_dir / "candles").expanduser()


def backtest_sources(store: CandleStore | None = None) -> BacktestSources:
    """Return where `tradewind backtest` reads candles and rules."""
    return FileSources(store)


# --- Backtests as jobs of the API -------------------------------------------------------


class _JobSources(FileSources):
    """A job's candles: the store's newest `newest` (when `source` allows the store), else a
    generated market; `source="store"` refuses to fall back on a generated one."""

    def __init__(self, store: CandleStore, source: str, newest: int) -> None:
        super().__init__(store)
        self._source, self._newest = source, newest

    def stored_candles(self, symbol: str, timeframe: str, market: PositionType) -> Candles | None:
        stored = super().stored_candles(symbol, timeframe, market)
        if stored is None or len(stored) <= self._newest:
            return stored
        tail = slice(len(stored) - self._newest, None)
        return Candles(
            stored.open_time[tail], stored.open[tail], stored.high[tail], stored.low[tail],
            stored.close[tail], stored.volume[tail],
        )  # fmt: skip

    def generate_candles(
        self, count: int, interval_seconds: int, seed: int, symbol: str
    ) -> Candles:
        if self._source == "store":
            from tradewind.domain.errors import ConfigurationError

            raise ConfigurationError(
                f"source: the candle store has no series of {symbol} at this timeframe; "
                "get it with `tradewind data download`, or choose source=generated"
            )
        return super().generate_candles(count, interval_seconds, seed, symbol)


def run_backtest_job(request: BacktestRequest, source: str, *, candle_store_dir: Path) -> JobResult:
    """Run one job's backtest (in a pool's process): the CLI's `run_request` on the job's
    sources, reduced to what a report keeps."""
    from tradewind.adapters.marketdata.candle_store import ParquetCandleStore
    from tradewind.services.backtest.jobs import job_result
    from tradewind.services.backtest.request import run_request

    sources = _JobSources(ParquetCandleStore(candle_store_dir), source, request.generated_candles)
    return job_result(run_request(request, sources))


def backtest_jobs(settings: Settings, executor: Executor | None = None) -> BacktestJobs:
    """Return the API's backtest jobs, run by `executor`: by default a pool of
    `backtest_jobs_total` processes (started on the first job; spawned, never forked from
    the API's threads)."""
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from tradewind.adapters.clocks import SystemClock
    from tradewind.services.backtest.jobs import BacktestJobs, JobLimits

    limits = JobLimits(
        max_candles=settings.backtest_max_candles,
        per_user=settings.backtest_jobs_per_user,
        total=settings.backtest_jobs_total,
    )
    pool = executor or ProcessPoolExecutor(
        limits.total, mp_context=multiprocessing.get_context("spawn")
    )
    runner = functools.partial(run_backtest_job, candle_store_dir=settings.candle_store_dir)
    return BacktestJobs(pool, runner, limits, SystemClock())

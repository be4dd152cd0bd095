"""The backtest use case: a bot config, candles and the symbol's rules in; the result and
its summary out.

`run_request` reads the config (a file and/or fields), the candles (a CSV file; else the
candle store's series of the config's symbol, timeframe and market; else a generated
market of the config's timeframe), the rules (an exchangeInfo file, those the store saved,
or built in) through `BacktestSources`, which bootstrap wires (`tradewind.bootstrap.backtest`),
and runs the engine. The CLI's `tradewind backtest` calls it; a backtest job of the API
will too.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from tradewind.bot_config import BotConfig, load_bot_config_toml
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.sizing import effective_leverage
from tradewind.domain.timeframes import TIMEFRAME_SECONDS
from tradewind.domain.types import PositionType
from tradewind.services.backtest.engine import BacktestSpec, run_backtest
from tradewind.services.backtest.metrics import Summary, summarize
from tradewind.services.backtest.result import BacktestResult
from tradewind.services.backtest.stats import TradeStats, trade_stats

if TYPE_CHECKING:
    # A type only: importing the ports package would cost the backtest's start-up.
    from tradewind.ports.backtest import BacktestSources

DEFAULTS: dict[str, object] = {"name": "backtest", "symbol": "BTCUSDT", "position_type": "spot"}

ProgressFactory = Callable[[int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    """What the user asked for: where the config and the candles are, and the run's knobs."""

    csv: Path | None
    config_file: Path | None
    exchange_info: Path | None
    generated_candles: int
    seed: int
    initial_balance: Decimal
    fee_rate: Decimal | None
    config_fields: dict[str, object] = field(default_factory=dict)
    read_store: bool = True  # without a CSV: the stored series if there is one


@dataclass(frozen=True, slots=True)
class BacktestOutcome:
    """A finished backtest with everything needed to report it."""

    config: BotConfig
    source: str
    candles: Candles
    spec: BacktestSpec
    result: BacktestResult
    summary: Summary
    warnings: list[str]
    stats: TradeStats


@dataclass(frozen=True, slots=True)
class BacktestInputs:
    """A request's config, candles (and where they came from) and the symbol's rules."""

    config: BotConfig
    candles: Candles
    source: str
    rules: MarketRules


def load_inputs(request: BacktestRequest, sources: BacktestSources) -> BacktestInputs:
    """Read the config, the candles and the rules a request names."""
    candles: Candles | None = None
    fields = dict(request.config_fields)
    if request.csv is not None:
        candles = sources.read_candles(request.csv)
        file_timeframe = _timeframe_of(candles, request.csv)
        if "timeframe" in fields and fields["timeframe"] != file_timeframe:
            raise ConfigurationError(
                f"timeframe: --timeframe {fields['timeframe']} does not match {request.csv}, "
                f"whose candles are {file_timeframe} apart"
            )
        fields["timeframe"] = file_timeframe
    config = _load_config(request.config_file, fields)
    if candles is not None:
        source = str(request.csv)
    elif request.read_store and (
        stored := sources.stored_candles(config.symbol, config.timeframe, config.position_type)
    ):
        candles = stored
        source = f"candle store, {config.symbol} {config.position_type.value} {config.timeframe}"
    else:
        interval = TIMEFRAME_SECONDS[config.timeframe]
        candles = sources.generate_candles(
            request.generated_candles, interval, request.seed, config.symbol
        )
        source = f"generated market of {config.symbol}, seed {request.seed}"
    rules = sources.rules(config.symbol, config.position_type, request.exchange_info)
    return BacktestInputs(config, candles, source, rules)


def run_request(
    request: BacktestRequest, sources: BacktestSources, progress: ProgressFactory | None = None
) -> BacktestOutcome:
    """Load config, candles and rules; run the backtest; summarize it."""
    inputs = load_inputs(request, sources)
    config, candles, source, rules = inputs.config, inputs.candles, inputs.source, inputs.rules
    warnings = list(config.warnings)
    leverage = 1
    if config.position_type is PositionType.FUTURES:
        leverage = effective_leverage(config.leverage, rules.max_leverage)
        if leverage < config.effective_leverage:
            warnings.append(
                f"leverage {config.leverage} capped at {leverage}, "
                f"the maximum {config.symbol} allows"
            )
    spec = BacktestSpec(
        position_type=config.position_type,
        rules=rules,
        strategy=config.strategy_choice(),
        exits=config.exit_rules(),
        sizing=config.sizing_rule(),
        limits=config.daily_limits(),
        leverage=leverage,
        fee_rate=request.fee_rate,
        initial_balance=request.initial_balance,
    )
    if spec.initial_balance <= 0:
        raise ConfigurationError("--initial-balance: must be > 0")
    if progress is None:
        result = run_backtest(candles, spec)
    else:
        with progress(len(candles)) as advance:
            result = run_backtest(candles, spec, advance)
    stats = trade_stats(result, candles.open_time, candles.interval_seconds)
    return BacktestOutcome(
        config, source, candles, spec, result, summarize(result, candles), warnings, stats
    )


def _load_config(config_file: Path | None, fields: dict[str, object]) -> BotConfig:
    if config_file is not None:
        return load_bot_config_toml(config_file, fields, defaults={**DEFAULTS, "timeframe": "1m"})
    return BotConfig.model_validate({**DEFAULTS, "timeframe": "1m", **fields})


def _timeframe_of(candles: Candles, path: Path) -> str:
    interval = candles.interval_seconds
    for name, seconds in TIMEFRAME_SECONDS.items():
        if seconds == interval:
            return name
    raise ConfigurationError(
        f"{path}: candles are {interval} s apart, which is not a supported timeframe "
        f"({', '.join(TIMEFRAME_SECONDS)})"
    )

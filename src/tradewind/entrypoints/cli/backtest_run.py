"""Wire a backtest from the command line's inputs: config, candles, symbol rules.

This is the composition step of `tradewind backtest`: it picks the adapters (CSV file or
generated market, built-in or given exchangeInfo rules) and hands domain objects to the
backtest service.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bot_config import BotConfig, load_bot_config_toml
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.sizing import effective_leverage
from tradewind.domain.timeframes import TIMEFRAME_SECONDS
from tradewind.domain.types import PositionType
from tradewind.services.backtest import BacktestResult, BacktestSpec, run_backtest
from tradewind.services.backtest.metrics import Summary, summarize

DEFAULTS: dict[str, object] = {"name": "backtest", "symbol": "BTCUSDT", "position_type": "spot"}

ProgressFactory = Callable[[int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    """What the user asked for, as given on the command line."""

    csv: Path | None
    config_file: Path | None
    exchange_info: Path | None
    generated_candles: int
    seed: int
    initial_balance: Decimal
    fee_rate: Decimal | None
    config_fields: dict[str, object] = field(default_factory=dict)


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


def execute(request: BacktestRequest, progress: ProgressFactory | None) -> BacktestOutcome:
    """Load config, candles and rules; run the backtest; summarize it."""
    candles: Candles | None = None
    fields = dict(request.config_fields)
    if request.csv is not None:
        candles = read_candles_csv(request.csv)
        file_timeframe = _timeframe_of(candles, request.csv)
        if "timeframe" in fields and fields["timeframe"] != file_timeframe:
            raise ConfigurationError(
                f"timeframe: --timeframe {fields['timeframe']} does not match {request.csv}, "
                f"whose candles are {file_timeframe} apart"
            )
        fields["timeframe"] = file_timeframe
    config = _load_config(request.config_file, fields)
    if candles is None:
        interval = TIMEFRAME_SECONDS[config.timeframe]
        candles = generate_market(request.generated_candles, interval, seed=request.seed)
        source = f"generated market, seed {request.seed}"
    else:
        source = str(request.csv)
    rules = rules_for(config.symbol, config.position_type, request.exchange_info)
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
    return BacktestOutcome(
        config, source, candles, spec, result, summarize(result, candles), warnings
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

"""The backtest use case: a bot config, candles and the symbol's rules in; the result and
its summary out.

`run_request` reads the config (a file and/or fields), the candles (a CSV file; else the
candle store's 1m series of the config's symbol and market, or its series of the
config's timeframe; else a generated market of the config's timeframe), the rules (an
exchangeInfo file, those the store saved, or built in) through `BacktestSources`, which
bootstrap wires (`tradewind.bootstrap.backtest`), and runs the engine on the bot's candles
built from them, exits checked on the data's own candles (`BacktestFeed`: every minute
with 1m data, as paper and live). The CLI's `tradewind backtest` calls it; a backtest job
of the API will too.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from tradewind.bot_config.plain import PlainBotConfig, plain_bot_config
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.sizing import effective_leverage
from tradewind.domain.timeframes import TIMEFRAME_SECONDS
from tradewind.domain.types import PositionType
from tradewind.services.backtest.engine import BacktestSpec, run_backtest
from tradewind.services.backtest.feed import BacktestFeed, backtest_feed, timeframe_name
from tradewind.services.backtest.metrics import Summary, summarize
from tradewind.services.backtest.result import BacktestResult
from tradewind.services.backtest.stats import TradeStats, trade_stats

if TYPE_CHECKING:
    # Types only: the ports and pydantic's bot config would cost the backtest's start-up.
    from tradewind.bot_config import BotConfig
    from tradewind.ports.backtest import BacktestSources

    # A config validated by the model, or one read plainly (`plain_bot_config`).
    AnyBotConfig = BotConfig | PlainBotConfig

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
    # Fields without a config file may be read without pydantic when all are plainly
    # valid (`plain_bot_config`): the CLI's backtest; a caller that needs the model's
    # own config (the optimizer dumps it) leaves this off.
    plain_config: bool = False


@dataclass(frozen=True, slots=True)
class BacktestOutcome:
    """A finished backtest with everything needed to report it."""

    config: AnyBotConfig
    source: str
    candles: Candles  # the bot's
    spec: BacktestSpec
    result: BacktestResult
    summary: Summary
    warnings: list[str]
    stats: TradeStats


@dataclass(frozen=True, slots=True)
class BacktestInputs:
    """A request's config, candles (and where they came from) and the symbol's rules."""

    config: AnyBotConfig
    candles: Candles  # as read: 1m, the bot's timeframe, or what the file holds
    source: str
    rules: MarketRules

    def feed(self) -> BacktestFeed:
        """Return the bot's candles built from the data, with the data to check exits on."""
        return backtest_feed(self.candles, TIMEFRAME_SECONDS[self.config.timeframe])


def load_inputs(request: BacktestRequest, sources: BacktestSources) -> BacktestInputs:
    """Read the config, the candles and the rules a request names."""
    candles: Candles | None = None
    timeframe = "1m"  # without a flag or a config file saying otherwise
    if request.csv is not None:
        candles = sources.read_candles(request.csv)
        timeframe = _timeframe_of(candles, request.csv)
    config = _load_config(request, timeframe)
    if candles is not None:
        source = str(request.csv)
    elif request.read_store and (stored := _stored(sources, config)):
        candles, source = stored
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
    config, source, rules = inputs.config, inputs.source, inputs.rules
    feed = inputs.feed()
    candles = feed.bot
    warnings = list(config.warnings)
    if not feed.exits_exact:
        warnings.append(exits_note(feed))
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
        result = run_backtest(feed, spec)
    else:
        with progress(len(candles)) as advance:
            result = run_backtest(feed, spec, advance)
    stats = trade_stats(result, candles.open_time, candles.interval_seconds)
    summary = summarize(result, candles, stats.drawdown.depth)  # one pass over the curve
    return BacktestOutcome(config, source, candles, spec, result, summary, warnings, stats)


def _stored(sources: BacktestSources, config: AnyBotConfig) -> tuple[Candles, str] | None:
    """Return the store's 1m series (exits as paper checks them), else the bot's own."""
    for timeframe in dict.fromkeys(("1m", config.timeframe)):
        stored = sources.stored_candles(config.symbol, timeframe, config.position_type)
        if stored:
            market = config.position_type.value
            return stored, f"candle store, {config.symbol} {market} {timeframe}"
    return None


def _load_config(request: BacktestRequest, timeframe: str) -> AnyBotConfig:
    defaults = {**DEFAULTS, "timeframe": timeframe}
    if request.config_file is not None:
        from tradewind.bot_config import load_bot_config_toml

        return load_bot_config_toml(request.config_file, request.config_fields, defaults=defaults)
    fields = {**defaults, **request.config_fields}
    if request.plain_config and (plain := plain_bot_config(fields)) is not None:
        return plain
    from tradewind.bot_config import BotConfig

    return BotConfig.model_validate(fields)


def exits_note(feed: BacktestFeed) -> str:
    """Say that exits were checked on candles coarser than paper's and live's minutes."""
    shown = timeframe_name(feed.exit_seconds)
    return (
        f"exits approximated: checked on the data's {shown} candles, where paper and live "
        f"check them on every 1m candle (backtest on 1m candles for the same exits)"
    )


def _timeframe_of(candles: Candles, path: Path) -> str:
    interval = candles.interval_seconds
    for name, seconds in TIMEFRAME_SECONDS.items():
        if seconds == interval:
            return name
    raise ConfigurationError(
        f"{path}: candles are {interval} s apart, which is not a supported timeframe "
        f"({', '.join(TIMEFRAME_SECONDS)})"
    )

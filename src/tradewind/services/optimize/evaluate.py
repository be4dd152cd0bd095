"""One parameter set through every fold: the part of a search that runs in the workers.

Each worker process receives the candles and the run's settings once (`init_worker`):
forked (as on Linux), it inherits them rather than unpickling a copy. It then evaluates
parameter sets one by one (`evaluate`) with an indicator memo installed, so that each
distinct period's EMA or RSI on a fold's candles is computed once per worker, not once per
set (`indicator_memo`). A set whose bot config is invalid (say ema_fast >= ema_slow) is
reported with the reason, never raised: one bad combination must not stop a search of
thousands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradewind.bot_config import BotConfig
from tradewind.bot_config.strategy import merge_config_fields
from tradewind.domain import indicator_memo
from tradewind.domain.errors import TradewindError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.sizing import effective_leverage
from tradewind.domain.types import PositionType
from tradewind.services.backtest.engine import BacktestSpec, run_backtest
from tradewind.services.backtest.feed import BacktestFeed
from tradewind.services.optimize.folds import Plan
from tradewind.services.optimize.objectives import OBJECTIVES, READS_EQUITY
from tradewind.services.optimize.space import ParamSet


@dataclass(frozen=True, slots=True)
class Context:
    """What every evaluation of one search shares."""

    feed: BacktestFeed  # the bot's candles, and the data's to check exits on
    rules: MarketRules
    base_fields: dict[str, Any]
    strategy: str
    plan: Plan
    objective: str
    fee_rate: Decimal | None
    initial_balance: Decimal


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A parameter set's objective in and out of sample, fold by fold."""

    params: ParamSet
    in_sample: list[float | None] = field(default_factory=list)
    out_of_sample: list[float | None] = field(default_factory=list)
    trades_in: int = 0
    trades_out: int = 0
    error: str | None = None

    @staticmethod
    def _mean(values: list[float | None]) -> float | None:
        if not values or any(v is None for v in values):
            return None
        return sum(v for v in values if v is not None) / len(values)

    @property
    def in_mean(self) -> float | None:
        return self._mean(self.in_sample)

    @property
    def out_mean(self) -> float | None:
        return self._mean(self.out_of_sample)


_CONTEXT: Context | None = None
# What all the workers' indicator memos may hold together (each at least MEMO_FLOOR): at 1M
# candles an indicator is 8 MB, and a 20 x 50 grid of EMAs on the folds of 1M candles needs
# some 900 MB per worker to compute every period once.
MEMO_BUDGET = 2 << 30
MEMO_FLOOR = 256 << 20


def memo_bytes(workers: int) -> int:
    """Return the size of each of `workers` processes' indicator memo."""
    return max(MEMO_FLOOR, MEMO_BUDGET // max(1, workers))


def init_worker(context: Context, memo_size: int = MEMO_FLOOR) -> None:
    """Keep the search's shared data in this worker process, and remember indicators."""
    global _CONTEXT  # noqa: PLW0603 - one search per worker process
    _CONTEXT = context
    indicator_memo.install(indicator_memo.IndicatorMemo(memo_size))


def config_for(base_fields: dict[str, Any], strategy: str, params: ParamSet) -> BotConfig:
    """Return the bot config of a parameter set: the base config with the set's values."""
    overrides: dict[str, Any] = {}
    strategy_params: dict[str, Any] = {"name": strategy}
    for name, value in params.items():
        if name in ("stop_loss", "take_profit", "trailing_stop"):
            overrides[f"custom_{name}"] = value
        else:
            strategy_params[name] = value
    overrides["strategy"] = strategy_params
    return BotConfig.model_validate(merge_config_fields(base_fields, overrides))


def spec_for(config: BotConfig, context: Context) -> BacktestSpec:
    leverage = 1
    if config.position_type is PositionType.FUTURES:
        leverage = effective_leverage(config.leverage, context.rules.max_leverage)
    return BacktestSpec(
        position_type=config.position_type,
        rules=context.rules,
        strategy=config.strategy_choice(),
        exits=config.exit_rules(),
        sizing=config.sizing_rule(),
        limits=config.daily_limits(),
        leverage=leverage,
        fee_rate=context.fee_rate,
        initial_balance=context.initial_balance,
    )


def score(context: Context, spec: BacktestSpec, start: int, end: int) -> tuple[float | None, int]:
    """Backtest the bot's candles [start, end) and return (objective, closed trades)."""
    feed = context.feed.window(start, end)
    result = run_backtest(feed, spec, with_equity=context.objective in READS_EQUITY)
    closed = sum(1 for t in result.trades if t.pnl is not None)
    return OBJECTIVES[context.objective](result, feed.bot.interval_seconds), closed


def evaluate(params: ParamSet, context: Context | None = None) -> Evaluation:
    """Backtest one parameter set on every fold, in and out of sample."""
    context = context or _CONTEXT
    if context is None:
        raise RuntimeError("evaluate() in a worker that init_worker() did not set up")
    try:
        spec = spec_for(config_for(context.base_fields, context.strategy, params), context)
    except (TradewindError, ValueError) as e:  # pydantic's ValidationError is a ValueError
        lines = str(e).strip().splitlines()
        return Evaluation(params, error=lines[-1].strip() if lines else type(e).__name__)
    ins: list[float | None] = []
    outs: list[float | None] = []
    trades_in = trades_out = 0
    for fold in context.plan.folds:
        value, count = score(context, spec, fold.in_start, fold.in_end)
        ins.append(value)
        trades_in += count
        value, count = score(context, spec, fold.out_start, fold.out_end)
        outs.append(value)
        trades_out += count
    return Evaluation(params, ins, outs, trades_in, trades_out)

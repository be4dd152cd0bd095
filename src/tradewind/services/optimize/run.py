"""`tradewind optimize`: search a strategy's parameters and the exits with walk-forward
validation, rank by an out-of-sample objective, and test the winner on held-out candles.

Recipe: load the config, candles and rules as a backtest does; split the candles into
walk-forward folds and a held-out end (`folds`); draw the parameter sets (a grid, a
random sample of it, or Optuna's TPE); backtest each set on every fold in and out of
sample, on all cores; rank by the mean out-of-sample objective; backtest the best set on
the held-out candles, which no choice has seen; warn when in-sample beats out-of-sample
by much (the search fitted noise).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from tradewind.bot_config import BotConfig
from tradewind.domain import indicator_memo
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.strategies import strategy_named
from tradewind.ports.backtest import BacktestSources
from tradewind.services.backtest.request import BacktestRequest, load_inputs
from tradewind.services.optimize.evaluate import (
    Context,
    Evaluation,
    config_for,
    evaluate,
    init_worker,
    memo_bytes,
    score,
    spec_for,
)
from tradewind.services.optimize.folds import Plan, walk_forward
from tradewind.services.optimize.objectives import OBJECTIVES
from tradewind.services.optimize.space import ParamSet, SearchSpace, parse_space

Search = Literal["grid", "random", "tpe"]
OVERFIT_SHARE = 0.5  # out-of-sample below half of in-sample: the warning
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class OptimizeRequest:
    """The data as for a backtest, the axes, and how to search and validate."""

    backtest: BacktestRequest
    params: list[str]
    search: Search = "grid"
    trials: int = 100
    seed: int = 7
    folds: int = 3
    in_out_ratio: float = 3.0
    holdout: float = 0.2
    objective: str = "return"
    workers: int | None = None  # None: every core
    backtest_default_name: str = "backtest"


@dataclass(frozen=True, slots=True)
class OptimizeOutcome:
    """The ranked sets, the winner's config and how it did on the held-out candles."""

    base: BotConfig
    source: str
    candles: int
    plan: Plan
    space: SearchSpace
    objective: str
    ranked: list[Evaluation]  # best first; invalid sets left out
    invalid: list[Evaluation]
    best_config: BotConfig | None
    holdout_value: float | None
    holdout_trades: int
    warnings: list[str]
    workers: int


def optimize(
    request: OptimizeRequest, sources: BacktestSources, progress: Progress | None = None
) -> OptimizeOutcome:
    """Run the search and return its ranking."""
    if request.objective not in OBJECTIVES:
        raise ConfigurationError(
            f"--objective: one of {', '.join(OBJECTIVES)} (got {request.objective!r})"
        )
    if request.trials < 1:
        raise ConfigurationError("--trials: must be >= 1")
    inputs = load_inputs(request.backtest, sources)
    feed = inputs.feed()  # the bot's candles; a 1m file's minutes check the exits
    base = inputs.config
    assert isinstance(base, BotConfig)  # the search's request leaves plain_config off
    strategy = strategy_named(base.strategy.name)
    space = parse_space(strategy, request.params)
    plan = walk_forward(len(feed.bot), request.folds, request.in_out_ratio, request.holdout)
    base_fields = base.model_dump(mode="python", exclude_none=True)
    if base_fields["name"] == request.backtest_default_name:
        # The bot the search proposes gets a name that says what it is.
        base_fields["name"] = f"{strategy.name} {base.symbol} {base.timeframe}"
    context = Context(
        feed=feed,
        rules=inputs.rules,
        base_fields=base_fields,
        strategy=strategy.name,
        plan=plan,
        objective=request.objective,
        fee_rate=request.backtest.fee_rate,
        initial_balance=request.backtest.initial_balance,
    )
    workers = max(1, request.workers or os.cpu_count() or 1)
    if request.search == "tpe":
        from tradewind.services.optimize.guided import tpe_search

        evaluations = tpe_search(context, space, request.trials, request.seed, workers, progress)
    else:
        sets = (
            list(space.grid())
            if request.search == "grid"
            else space.sample(request.trials, request.seed)
        )
        evaluations = evaluate_all(context, sets, workers, progress)
    valid = [e for e in evaluations if e.error is None]
    invalid = [e for e in evaluations if e.error is not None]
    ranked = sorted(valid, key=_rank_key)
    best_config = None
    holdout_value: float | None = None
    holdout_trades = 0
    if ranked:
        best_config = config_for(base_fields, strategy.name, ranked[0].params)
        if plan.holdout_end > plan.holdout_start:
            holdout_value, holdout_trades = score(
                context, spec_for(best_config, context), plan.holdout_start, plan.holdout_end
            )
    return OptimizeOutcome(
        base=base,
        source=inputs.source,
        candles=len(feed.bot),
        plan=plan,
        space=space,
        objective=request.objective,
        ranked=ranked,
        invalid=invalid,
        best_config=best_config,
        holdout_value=holdout_value,
        holdout_trades=holdout_trades,
        warnings=overfitting_warnings(ranked, holdout_value, request.objective),
        workers=workers,
    )


def evaluate_all(
    context: Context, sets: list[ParamSet], workers: int, progress: Progress | None = None
) -> list[Evaluation]:
    """Evaluate every set, on `workers` processes (in this one when 1)."""
    results: list[Evaluation] = []
    done: Iterable[Evaluation]
    if workers == 1 or len(sets) == 1:
        indicator_memo.install(indicator_memo.IndicatorMemo(memo_bytes(1)))
        try:
            done = (evaluate(params, context) for params in sets)
            return _collect(done, len(sets), progress, results)
        finally:
            indicator_memo.install(None)
    chunk = max(1, len(sets) // (workers * 8))
    with ProcessPoolExecutor(
        workers, initializer=init_worker, initargs=(context, memo_bytes(workers))
    ) as pool:
        return _collect(pool.map(evaluate, sets, chunksize=chunk), len(sets), progress, results)


def _collect(
    done: Iterable[Evaluation], total: int, progress: Progress | None, into: list[Evaluation]
) -> list[Evaluation]:
    for evaluation in done:
        into.append(evaluation)
        if progress is not None:
            progress(len(into), total)
    return into


def _rank_key(evaluation: Evaluation) -> tuple[int, float, float]:
    """Best first: a defined out-of-sample mean, the larger the better; ties by in-sample."""
    out, ins = evaluation.out_mean, evaluation.in_mean
    return (
        0 if out is not None else 1,
        -(out if out is not None else 0.0),
        -(ins if ins is not None else 0.0),
    )


def overfitting_warnings(
    ranked: list[Evaluation], holdout_value: float | None, objective: str
) -> list[str]:
    """Say when the winner did much better in sample than out of it, or on held-out data."""
    if not ranked:
        return ["no parameter set was valid: nothing to rank"]
    best = ranked[0]
    notes = []
    ins, out = best.in_mean, best.out_mean
    if out is None:
        notes.append(f"the best set's out-of-sample {objective} is undefined (no trades?)")
    elif ins is not None and ins > 0 and out < ins * OVERFIT_SHARE:
        notes.append(
            f"overfitting: in-sample {objective} {ins:.4g} is more than twice the "
            f"out-of-sample {out:.4g}; expect live results nearer the latter"
        )
    if holdout_value is not None and out is not None and out > 0 and holdout_value < 0:
        notes.append(
            f"the winner lost on the held-out period ({objective} {holdout_value:.4g}) "
            "although it gained out of sample: treat the ranking with suspicion"
        )
    return notes


def params_table(outcome: OptimizeOutcome) -> list[dict[str, Any]]:
    """Return one row per evaluated set, best first, for a CSV or a table."""
    rows = []
    for rank, e in enumerate(outcome.ranked + outcome.invalid, start=1):
        row: dict[str, Any] = {"rank": rank if e.error is None else ""}
        row |= {k: ("none" if v is None else v) for k, v in e.params.items()}
        row |= {
            f"in_{outcome.objective}": e.in_mean,
            f"out_{outcome.objective}": e.out_mean,
            "trades_in": e.trades_in,
            "trades_out": e.trades_out,
            "error": e.error or "",
        }
        rows.append(row)
    return rows

"""Guided search with Optuna's TPE: each batch of parameter sets is chosen from how the
earlier ones scored out of sample, and evaluated in parallel on the worker processes.

Each axis is an ordered index into its values (`suggest_int`), so TPE sees that 10 lies
between 5 and 15, and exits' decimals never pass through a float. A set TPE proposes
again is not backtested again: its first score is told once more. Undefined scores (no
trades) are told as failed trials, which TPE learns to avoid.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from tradewind.domain import indicator_memo
from tradewind.services.optimize.evaluate import (
    Context,
    Evaluation,
    evaluate,
    init_worker,
    memo_bytes,
)
from tradewind.services.optimize.space import ParamSet, SearchSpace

Progress = Callable[[int, int], None]


def tpe_search(
    context: Context,
    space: SearchSpace,
    trials: int,
    seed: int,
    workers: int,
    progress: Progress | None = None,
) -> list[Evaluation]:
    """Run `trials` TPE trials; return one evaluation per distinct set tried."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    seen: dict[tuple[Any, ...], Evaluation] = {}
    told = 0
    pool = (
        ProcessPoolExecutor(
            workers, initializer=init_worker, initargs=(context, memo_bytes(workers))
        )
        if workers > 1
        else None
    )
    if pool is None:
        indicator_memo.install(indicator_memo.IndicatorMemo(memo_bytes(1)))
    try:
        while told < trials:
            batch = [study.ask() for _ in range(min(workers, trials - told))]
            sets = [_params(trial, space) for trial in batch]
            fresh = [p for p in {_key(p): p for p in sets}.values() if _key(p) not in seen]
            if pool is None:
                done = [evaluate(p, context) for p in fresh]
            else:
                done = list(pool.map(evaluate, fresh))
            for evaluation in done:
                seen[_key(evaluation.params)] = evaluation
            for trial, params in zip(batch, sets, strict=True):
                score = seen[_key(params)].out_mean
                if score is None:
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                else:
                    study.tell(trial, score)
                told += 1
            if progress is not None:
                progress(told, trials)
    finally:
        if pool is not None:
            pool.shutdown()
        indicator_memo.install(None)
    return list(seen.values())


def _params(trial: Any, space: SearchSpace) -> ParamSet:
    return {
        axis.name: axis.values[trial.suggest_int(axis.name, 0, len(axis.values) - 1)]
        for axis in space.axes
    }


def _key(params: ParamSet) -> tuple[Any, ...]:
    return tuple(sorted((k, str(v)) for k, v in params.items()))

"""The optimizer's parts: axes, walk-forward folds, ranking, the overfitting warning, and a
whole search on a generated market (in this process, and with Optuna's TPE)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain import indicator_memo
from tradewind.domain.candles import Candles
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.strategies import strategy_named
from tradewind.domain.types import PositionType, Symbol
from tradewind.services.backtest.engine import BacktestSpec, run_backtest
from tradewind.services.backtest.request import BacktestRequest, load_inputs
from tradewind.services.optimize import OptimizeRequest, optimize
from tradewind.services.optimize.evaluate import (
    Context,
    Evaluation,
    config_for,
    evaluate,
    init_worker,
    spec_for,
)
from tradewind.services.optimize.folds import walk_forward
from tradewind.services.optimize.objectives import OBJECTIVES, READS_EQUITY
from tradewind.services.optimize.run import overfitting_warnings
from tradewind.services.optimize.space import ParamSet, parse_space

EMA_RSI = strategy_named("ema_rsi")


def test_axes_take_lists_and_inclusive_ranges_typed_like_the_parameter() -> None:
    space = parse_space(
        EMA_RSI, ["ema_fast=5:20:5", "rsi_oversold=30,35.5", "custom_stop_loss=none,1.5"]
    )
    assert [a.values for a in space.axes] == [
        (5, 10, 15, 20), (30.0, 35.5), (None, Decimal("1.5")),
    ]  # fmt: skip
    assert space.size == 16
    grid = list(space.grid())
    assert grid[0] == {"ema_fast": 5, "rsi_oversold": 30.0, "stop_loss": None}
    sample = space.sample(5, seed=1)
    assert len({tuple(map(str, s.values())) for s in sample}) == 5
    assert all(s in grid for s in sample)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("ema_fast=5.5", "not a whole number"), ("nope=1", "not a parameter of ema_rsi"),
     ("ema_fast=9:1:1", "high >= low"), ("ema_fast", "NAME=a,b,c")],
)  # fmt: skip
def test_bad_axes_are_refused_naming_the_axis(spec: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_space(EMA_RSI, [spec])


def test_folds_roll_forward_and_the_held_out_end_is_never_in_them() -> None:
    plan = walk_forward(1_000, folds=3, ratio=3.0, holdout=0.2)
    assert (plan.holdout_start, plan.holdout_end) == (800, 1_000)
    # 800 candles to search: out-of-sample stretches of 800 // (3 + 3) = 133 tile its end,
    # each after 3 × 133 = 399 in-sample candles; the 2 left over open the span unused.
    outs = [(f.out_start, f.out_end) for f in plan.folds]
    assert outs == [(401, 534), (534, 667), (667, 800)]
    assert [(f.in_start, f.in_end) for f in plan.folds] == [(2, 401), (135, 534), (268, 667)]
    with pytest.raises(ConfigurationError, match="too few"):
        walk_forward(300, folds=3, ratio=3.0, holdout=0.2)


def test_a_winner_much_better_in_sample_than_out_is_flagged() -> None:
    fitted = Evaluation({"ema_fast": 5}, [0.2, 0.2], [0.01, 0.03])
    steady = Evaluation({"ema_fast": 8}, [0.02, 0.02], [0.015, 0.017])
    assert "overfitting" in overfitting_warnings([fitted], 0.01, "return")[0]
    assert overfitting_warnings([steady], 0.01, "return") == []


class Sources:
    """A generated market for any symbol, one symbol's rules."""

    def __init__(self, candles: Candles) -> None:
        self.candles = candles

    def read_candles(self, path: Path) -> Candles:
        raise AssertionError("no file in this test")

    def stored_candles(self, symbol: str, timeframe: str, market: PositionType) -> Candles:
        return self.candles

    def generate_candles(
        self, count: int, interval_seconds: int, seed: int, symbol: str
    ) -> Candles:
        raise AssertionError("the store has the series")

    def rules(self, symbol: str, market: PositionType, exchange_info: Path | None) -> MarketRules:
        return MarketRules(Symbol(symbol), market, "BTC", "USDT", tick_size=Decimal("0.01"),
                           step=Decimal("0.00001"), min_notional=Decimal(5))  # fmt: skip


def _request(**options: object) -> OptimizeRequest:
    backtest = BacktestRequest(
        csv=None, config_file=None, exchange_info=None, generated_candles=0, seed=1,
        initial_balance=Decimal(10_000), fee_rate=None,
    )  # fmt: skip
    return OptimizeRequest(backtest=backtest, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("search", ["grid", "tpe"])
def test_a_search_ranks_valid_sets_by_out_of_sample_and_writes_a_bot_config(search: str) -> None:
    sources = Sources(generate_market(4_000, 60, seed=2))
    outcome = optimize(
        _request(params=["ema_fast=5,8,30", "ema_slow=21,34"], search=search, trials=6,
                 folds=2, workers=1),
        sources,
    )  # fmt: skip
    invalid = [e.params for e in outcome.invalid]
    if search == "grid":
        assert invalid == [{"ema_fast": 30, "ema_slow": 21}]
    else:  # TPE tries what it chooses, each set once
        assert invalid in ([], [{"ema_fast": 30, "ema_slow": 21}])
        assert len(outcome.ranked) + len(invalid) <= 6
    outs = [e.out_mean for e in outcome.ranked]
    assert outs == sorted(outs, reverse=True)  # type: ignore[type-var]
    assert outcome.best_config is not None
    best = outcome.ranked[0].params
    assert outcome.best_config.strategy.param_values()["ema_fast"] == best["ema_fast"]
    assert outcome.best_config.name == "ema_rsi BTCUSDT 1m"


def test_each_set_in_a_search_trades_as_its_own_backtest_of_the_fold() -> None:
    # A worker remembers indicators across sets (`init_worker`): after the grid, each set's
    # trades on every fold still equal a fresh backtest of that fold's candles, copied out
    # as a backtest of a file holding only them would read them.
    candles = generate_market(6_000, 60, seed=5)
    sources = Sources(candles)
    request = _request(params=["ema_fast=5,8", "ema_slow=21,34"], folds=2, workers=1)
    inputs = load_inputs(request.backtest, sources)
    base_fields = inputs.config.model_dump(mode="python", exclude_none=True)
    plan = walk_forward(len(candles), folds=2, ratio=3.0, holdout=0.2)
    context = Context(inputs.feed(), inputs.rules, base_fields, "ema_rsi", plan, "return",
                      None, Decimal(10_000))  # fmt: skip
    sets = list(parse_space(EMA_RSI, request.params).grid())
    init_worker(context, 64 << 20)
    try:
        remembered = [evaluate(params) for params in sets]
        memo = indicator_memo.active()
        assert memo is not None
        assert memo.hits > 0
        for params, evaluation in zip(sets, remembered, strict=True):
            spec = spec_for(config_for(base_fields, "ema_rsi", params), context)
            for fold in plan.folds:
                for start, end in ((fold.in_start, fold.in_end), (fold.out_start, fold.out_end)):
                    window = context.feed.window(start, end)
                    alone = _copied(window.bot)
                    assert run_backtest(window, spec).trades == run_backtest(alone, spec).trades
            assert evaluation == _without_memo(params, context)
    finally:
        indicator_memo.install(None)


def _copied(candles: Candles) -> Candles:
    return Candles(*(getattr(candles, f.name).copy() for f in dataclasses.fields(candles)))


def _without_memo(params: ParamSet, context: Context) -> Evaluation:
    memo = indicator_memo.active()
    indicator_memo.install(None)
    try:
        return evaluate(params, context)
    finally:
        indicator_memo.install(memo)


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_an_objective_scores_alike_whether_or_not_the_equity_curve_was_skipped(
    objective: str,
) -> None:
    candles = generate_market(3_000, 60, seed=9)
    spec = BacktestSpec(
        PositionType.SPOT, Sources(candles).rules("BTCUSDT", PositionType.SPOT, None)
    )
    full = run_backtest(candles, spec)
    searched = run_backtest(candles, spec, with_equity=objective in READS_EQUITY)
    assert sum(1 for t in full.trades if t.pnl is not None) > 5
    assert OBJECTIVES[objective](searched, 60) == OBJECTIVES[objective](full, 60)

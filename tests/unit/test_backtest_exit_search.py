"""The walk's precomputed exit candidates (fixed stop-loss / take-profit) give the same
trades as searching each position's window with `first_exit`, the reference path, to the
last digit of every field: on random markets, spot and futures, any levels."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.params import ExitRules, SizingRule
from tradewind.domain.strategies import StrategyChoice
from tradewind.domain.strategies.ema_rsi import EMA_RSI, EmaRsiParams
from tradewind.domain.types import PositionType
from tradewind.services.backtest.engine import BacktestSpec, _Walk
from tradewind.services.backtest.feed import backtest_feed

D = Decimal
levels = st.one_of(st.none(), st.decimals(min_value=D("0.0005"), max_value=D("0.05"), places=4))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    kind=st.sampled_from(list(PositionType)),
    stop_loss=levels,
    take_profit=levels,
    bot_minutes=st.sampled_from([1, 5]),  # a 5m bot's exits are searched on its minutes
)
def test_precomputed_candidates_make_the_trades_first_exit_makes(
    seed: int,
    kind: PositionType,
    stop_loss: Decimal | None,
    take_profit: Decimal | None,
    bot_minutes: int,
) -> None:
    candles = backtest_feed(generate_market(3_000 * bot_minutes, 60, seed=seed), 60 * bot_minutes)
    spec = BacktestSpec(
        position_type=kind, rules=rules_for("BTCUSDT", kind),
        strategy=StrategyChoice(EMA_RSI, EmaRsiParams(ema_fast=3, ema_slow=8, rsi_period=5)),
        exits=ExitRules(stop_loss=stop_loss, take_profit=take_profit),
        sizing=SizingRule(fixed_quote=D(25)), leverage=5 if kind is PositionType.FUTURES else 1,
    )  # fmt: skip
    fast = _Walk(candles, spec, None)
    assert fast.candidates is not None
    fast.run()
    reference = _Walk(candles, spec, None)
    reference.candidates = None  # each window searched by first_exit
    reference.run()
    assert fast.trades, "the market should trade"
    assert [repr(t) for t in fast.trades] == [repr(t) for t in reference.trades]
    assert str(fast.balance) == str(reference.balance)

"""The backtester's feed: the bot's candles built from 1m ones, exits checked on the minutes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.candles import Candles, aggregate
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.params import ExitRules, SizingRule
from tradewind.domain.strategies import StrategyChoice
from tradewind.domain.strategies.ema_rsi import EMA_RSI, EmaRsiParams
from tradewind.domain.types import ExitReason, PositionType
from tradewind.services.backtest import BacktestSpec, run_backtest
from tradewind.services.backtest.feed import backtest_feed

MIDNIGHT = datetime(2024, 1, 1, tzinfo=UTC)


def minutes(count: int, seed: int = 1, offset: int = 0) -> Candles:
    """`count` 1m candles of a generated market, starting `offset` minutes after midnight."""
    start = datetime.fromtimestamp(MIDNIGHT.timestamp() + offset * 60, tz=UTC)
    return generate_market(count, 60, seed=seed, start_time=start)


def test_the_bots_candles_are_aligned_as_binance_aligns_them() -> None:
    data = minutes(23, offset=2)  # 00:02 to 00:24
    feed = backtest_feed(data, 300)
    t0 = int(MIDNIGHT.timestamp())
    assert feed.bot.open_time.tolist() == [t0, t0 + 300, t0 + 600, t0 + 900, t0 + 1200]
    assert feed.bot.open[0] == data.open[0]  # the first candle from 00:02 on
    assert feed.bot.high[1] == data.high[3:8].max()
    assert feed.bot.close[1] == data.close[7]
    assert feed.starts.tolist() == [0, 3, 8, 13, 18, 23]
    assert feed.closed == 5  # 00:20-00:25 closes with the data's last minute
    assert feed.exits_exact


def test_a_bot_candle_still_forming_at_the_data_end_gives_no_signal() -> None:
    feed = backtest_feed(minutes(22), 300)
    assert len(feed.bot) == 5
    assert feed.closed == 4


def test_coarser_candles_check_exits_on_themselves_and_say_so() -> None:
    hours = generate_market(50, 3600, seed=2)
    feed = backtest_feed(hours, 3600)
    assert feed.bot is hours
    assert feed.exit_seconds == 3600
    assert not feed.exits_exact
    four_hours = backtest_feed(hours, 14_400)
    assert four_hours.exit_seconds == 3600
    assert len(four_hours.bot) == len(aggregate(hours, 14_400))


@pytest.mark.parametrize(("data_seconds", "bot_seconds"), [(300, 60), (300, 180), (3600, 300)])
def test_a_bot_finer_than_the_data_or_not_a_multiple_is_refused(
    data_seconds: int, bot_seconds: int
) -> None:
    with pytest.raises(ConfigurationError, match=r"^timeframe: a \w+ bot cannot be built"):
        backtest_feed(generate_market(30, data_seconds, seed=3), bot_seconds)


def spec(exits: ExitRules, position_type: PositionType = PositionType.FUTURES) -> BacktestSpec:
    return BacktestSpec(
        position_type=position_type,
        rules=rules_for("BTCUSDT", position_type),
        strategy=StrategyChoice(EMA_RSI, EmaRsiParams(ema_fast=3, ema_slow=8, rsi_period=3)),
        exits=exits,
        sizing=SizingRule(fixed_quote=Decimal(100)),
        leverage=2,
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), offset=st.integers(0, 14), bot=st.sampled_from([300, 900]))
@example(seed=113, offset=7, bot=900)  # its closing signal fills in the forming candle
def test_signal_exits_alone_do_not_depend_on_the_minutes(seed: int, offset: int, bot: int) -> None:
    """Without protective exits, the minutes change nothing: the same trades as a backtest
    on the bot's candles (but the forming last one), at the same prices and times."""
    data = minutes(600, seed, offset)
    feed = backtest_feed(data, bot)
    on_minutes = run_backtest(feed, spec(ExitRules()))
    every = aggregate(data, bot)
    columns = (every.open_time, every.open, every.high, every.low, every.close, every.volume)
    closed = Candles(*(column[: feed.closed] for column in columns))
    on_candles = run_backtest(closed, spec(ExitRules()))
    # A closing signal at the last closed candle fills at the forming one's first minute,
    # which the closed candles alone do not have (there, the position is still open).
    fills_in_closed = [
        t for t in on_minutes.trades
        if not t.is_open and t.exit_index is not None and t.exit_index < feed.closed
    ]  # fmt: skip
    assert fills_in_closed == [t for t in on_candles.trades if not t.is_open]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
@example(seed=1)  # a trailing stop and a take-profit among its exits
def test_protective_exits_fill_inside_the_bot_candle_at_a_minute(seed: int) -> None:
    """Each stop or take-profit fills at a minute of the bot candle it is placed in, at a
    price inside that minute's range; a 1m bot's backtest is the same on its own candles."""
    data = minutes(900, seed)
    rules = ExitRules(
        stop_loss=Decimal("0.002"), take_profit=Decimal("0.003"), trailing_stop=Decimal("0.002")
    )
    feed = backtest_feed(data, 300)
    result = run_backtest(feed, spec(rules))
    index = {int(t): i for i, t in enumerate(data.open_time)}
    for t in [t for t in result.closed if t.exit_reason is not ExitReason.SIGNAL]:
        assert t.exit_time is not None
        assert t.exit_price is not None
        assert t.exit_index is not None
        m = index[t.exit_time]
        assert data.low[m] <= float(t.exit_price) <= data.high[m]
        assert int(feed.bot.open_time[t.exit_index]) == t.exit_time // 300 * 300
    assert run_backtest(backtest_feed(data, 60), spec(rules)).trades == (
        run_backtest(data, spec(rules)).trades
    )

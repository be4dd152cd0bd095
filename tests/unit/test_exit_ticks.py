"""Exit levels and trailing distances as an exchange holds them (docs/strategy.md, "Levels
and distances as the exchange holds them").

The stop-loss and take-profit levels are on the price tick, rounded toward the entry: the
properties pin them to the page's rule restated in tests/exit_rule.py, say what the rule
promises (on the tick, never on the wrong side of the exact level, less than a tick from
it), and that the Binance adapter sends exactly the domain's level, whether it is given
the domain's level or the exact one. Trailing distances: the venue's steps, the same for
the config, the adapter and the simulated exchange.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.exit_rule import first_exit_by_hand, stop_loss_at, take_profit_at
from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.protection import (
    futures_callback_rate,
    spot_trailing_bips,
    trigger_price,
)
from tradewind.bot_config import BotConfig
from tradewind.domain.decide import protection_for
from tradewind.domain.exits import ExitHit, first_exit, stop_loss_level, take_profit_level
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import ClientOrderId, OrderPurpose, ProtectionRequest
from tradewind.domain.params import ExitRules, venue_trailing_rate
from tradewind.domain.types import ExitReason, PositionSide, PositionType, Symbol

D = Decimal
LONG, SHORT = PositionSide.LONG, PositionSide.SHORT
SL, TP = OrderPurpose.STOP_LOSS, OrderPurpose.TAKE_PROFIT

ticks = st.sampled_from([D("0.01"), D("0.1"), D("0.0001"), D("0.5"), D(1), D("0.00001")])
fractions = st.decimals(min_value=D("0.0001"), max_value=D("0.5"), places=5)
entries = st.decimals(min_value=D("0.01"), max_value=D(100_000), places=5)


@settings(max_examples=400)
@given(side=st.sampled_from([LONG, SHORT]), entry=entries, sl=fractions, tp=fractions, tick=ticks)
def test_levels_are_on_the_tick_toward_the_entry_within_one_tick_of_the_formula(
    side: PositionSide, entry: Decimal, sl: Decimal, tp: Decimal, tick: Decimal
) -> None:
    rules = ExitRules(stop_loss=sl, take_profit=tp, tick=tick)
    stop, target = stop_loss_level(side, entry, rules), take_profit_level(side, entry, rules)
    assert stop is not None
    assert target is not None
    long = side is LONG
    exact_stop = entry * (1 - sl) if long else entry * (1 + sl)
    exact_target = entry * (1 + tp) if long else entry * (1 - tp)
    for level, exact in ((stop, exact_stop), (target, exact_target)):
        assert level % tick == 0, (level, tick)
        assert abs(level - exact) < tick
        # Toward the entry: never on the far side of the exact level.
        assert (exact <= level) if exact < entry else (level <= exact)
    # The page's rule, restated independently.
    assert stop == stop_loss_at(side.value, entry, sl, tick)
    assert target == take_profit_at(side.value, entry, tp, tick)


def test_a_level_on_the_tick_already_stays_as_it_is() -> None:
    rules = ExitRules(stop_loss=D("0.02"), take_profit=D("0.03"), tick=D("0.01"))
    assert stop_loss_level(LONG, D(100), rules) == D(98)
    assert take_profit_level(SHORT, D(100), rules) == D(97)
    assert str(stop_loss_level(LONG, D(100), rules)) == str(D(100) * (1 - D("0.02")))
    # The strategy page's example: BTCUSDT long from 23 696.37 with a 1 % stop.
    example = ExitRules(stop_loss=D("0.01"), tick=D("0.01"))
    assert stop_loss_level(LONG, D("23696.37"), example) == D("23459.41")


@dataclass(frozen=True)
class _Held:
    side: PositionSide
    quantity: Decimal
    entry_price: Decimal


def _market(position_type: PositionType, tick: Decimal) -> MarketRules:
    return MarketRules(Symbol("BTCUSDT"), position_type, "BTC", "USDT", tick_size=tick)


def _request(
    position_type: PositionType, side: PositionSide, entry: Decimal, exits: ExitRules
) -> ProtectionRequest:
    wanted = protection_for(exits, _Held(side, D("0.01"), entry))
    assert wanted is not None
    return ProtectionRequest(
        symbol=Symbol("BTCUSDT"), position_type=position_type, position_side=side,
        quantity=wanted.quantity, entry_price=entry, stop_loss=wanted.stop_loss,
        take_profit=wanted.take_profit, trailing_rate=wanted.trailing_rate,
        ids={SL: ClientOrderId("s"), TP: ClientOrderId("t")},
    )  # fmt: skip


@settings(max_examples=300)
@given(
    market=st.sampled_from([(PositionType.SPOT, LONG), (PositionType.FUTURES, LONG),
                            (PositionType.FUTURES, SHORT)]),
    entry=entries, sl=fractions, tp=fractions, tick=ticks,
)  # fmt: skip
def test_the_binance_adapter_sends_the_domains_levels(
    market: tuple[PositionType, PositionSide],
    entry: Decimal,
    sl: Decimal,
    tp: Decimal,
    tick: Decimal,
) -> None:
    position_type, side = market
    rules = _market(position_type, tick)
    on_tick = _request(position_type, side, entry, ExitRules(sl, tp, tick=tick))
    exact = _request(position_type, side, entry, ExitRules(sl, tp))  # levels off the tick
    assert on_tick.stop_loss is not None
    assert on_tick.take_profit is not None
    for request in (on_tick, exact):
        assert trigger_price(request, rules, SL) == parsing.wire(on_tick.stop_loss)
        assert trigger_price(request, rules, TP) == parsing.wire(on_tick.take_profit)


@st.composite
def windows(draw: st.DrawFn) -> tuple[list[float], list[float], list[float]]:
    n = draw(st.integers(1, 40))
    price = draw(st.integers(5_000, 20_000))
    opens, highs, lows = [], [], []
    for _ in range(n):
        op = price + draw(st.integers(-300, 300))
        up, down = draw(st.integers(0, 400)), draw(st.integers(0, 400))
        cl = op + draw(st.integers(-down, up))
        opens.append(op / 100)
        highs.append(max(op, cl) / 100 + up / 1000)
        lows.append(min(op, cl) / 100 - down / 1000)
        price = cl
    return opens, highs, lows


percent = st.none() | st.decimals(min_value=D("0.001"), max_value=D("0.2"), places=3)


@settings(max_examples=300, deadline=None)
@given(
    side=st.sampled_from([LONG, SHORT]), sl=percent, tp=percent, ts=percent,
    tick=st.sampled_from([D("0.01"), D("0.05"), D("0.1")]), data=windows(),
)  # fmt: skip
def test_the_fast_scan_finds_the_first_exit_at_the_levels_on_the_tick(
    side: PositionSide,
    sl: Decimal | None,
    tp: Decimal | None,
    ts: Decimal | None,
    tick: Decimal,
    data: tuple[list[float], list[float], list[float]],
) -> None:
    opens, highs, lows = data
    entry = D(repr(opens[0]))
    candles = [
        (D(repr(o)), D(repr(h)), D(repr(lo))) for o, h, lo in zip(opens, highs, lows, strict=True)
    ]
    by_hand = first_exit_by_hand(side.value, entry, (sl, tp, ts), candles, tick)
    expected = None if by_hand is None else ExitHit(by_hand[0], by_hand[1], ExitReason(by_hand[2]))
    rules = ExitRules(sl, tp, ts, tick=tick)
    got = first_exit(side, entry, entry, rules, np.array(opens), np.array(highs), np.array(lows))
    assert got == expected


# --- trailing distances -----------------------------------------------------------------

rates = st.decimals(min_value=D("0.00001"), max_value=D("0.3"), places=6)


@given(rate=rates, position_type=st.sampled_from(list(PositionType)))
def test_a_trailing_distance_rests_at_the_nearest_step_of_its_market(
    rate: Decimal, position_type: PositionType
) -> None:
    step = D("0.0001") if position_type is PositionType.SPOT else D("0.001")
    rested = venue_trailing_rate(rate, position_type)
    assert rested % step == 0
    assert rested >= step
    if rate >= step:
        assert abs(rested - rate) <= step / 2
        if abs(rested - rate) == step / 2:
            assert rested < rate  # a half step goes to the tighter distance
    assert venue_trailing_rate(rested, position_type) == rested  # what rests stays


@given(rate=rates)
def test_the_adapter_sends_the_distance_the_domain_rests(rate: Decimal) -> None:
    spot = venue_trailing_rate(rate, PositionType.SPOT)
    futures = venue_trailing_rate(rate, PositionType.FUTURES)
    assert D(spot_trailing_bips(rate)) == spot * 10_000
    assert futures_callback_rate(rate) == futures * 100
    # Given the rested distance, the adapter sends it as it is.
    assert spot_trailing_bips(spot) == spot_trailing_bips(rate)
    assert futures_callback_rate(futures) == futures_callback_rate(rate)


def _config(position_type: str, trailing: str) -> BotConfig:
    return BotConfig.model_validate(
        {"name": "t", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": position_type,
         "custom_trailing_stop": trailing}
    )  # fmt: skip


def test_a_config_takes_the_distance_that_rests_and_says_so_naming_the_field() -> None:
    spot = _config("spot", "0.125")
    assert spot.exit_rules().trailing_stop == D("0.0012")
    assert spot.warnings == [
        "custom_trailing_stop 0.125 % rests as 0.12 % (the exchange takes a spot trailing "
        "stop in steps of 0.01 %)"
    ]
    futures = _config("futures", "0.25")
    assert futures.exit_rules().trailing_stop == D("0.002")
    assert futures.warnings == [
        "custom_trailing_stop 0.25 % rests as 0.2 % (the exchange takes a futures trailing "
        "stop in steps of 0.1 %)"
    ]
    on_step = _config("futures", "0.5")
    assert (on_step.exit_rules().trailing_stop, on_step.warnings) == (D("0.005"), [])

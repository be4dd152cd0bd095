"""Market data in Binance's shapes: symbol entries the parser reads back, brackets, klines."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.market_script import MINUTE, T0, minute_candles
from tradewind.adapters.exchange.binance.exchange_info import parse_symbol_rules
from tradewind.adapters.exchange.builtin_rules import BUILTIN_RULES, rules_for
from tradewind.adapters.exchange.simulated import CandlesPriceFeed
from tradewind.domain.candles import to_decimal
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server.klines import klines, plain_price_text, spot_price_text
from tradewind.testkit.binance_server.market import (
    brackets,
    futures_symbol,
    max_notional,
    spot_symbol,
)
from tradewind.testkit.binance_server.render import plain, spot_text

D = Decimal
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES


@pytest.mark.parametrize("key", sorted(BUILTIN_RULES), ids=lambda k: f"{k[0]}-{k[1].value}")
def test_every_symbol_entry_parses_back_to_the_rules_the_venue_enforces(
    key: tuple[str, PositionType],
) -> None:
    rules = BUILTIN_RULES[key]
    entry = spot_symbol(rules) if rules.position_type is SPOT else futures_symbol(rules)
    parsed = parse_symbol_rules(entry, rules.position_type)
    assert parsed == MarketRules(**{**_fields(rules), "max_leverage": 0})


def _fields(rules: MarketRules) -> dict[str, object]:
    return {name: getattr(rules, name) for name in MarketRules.__dataclass_fields__}


def test_a_spot_entry_carries_binances_filters_with_eight_decimal_strings() -> None:
    entry = spot_symbol(rules_for("BTCUSDT", SPOT))
    filters = {f["filterType"]: f for f in entry["filters"]}
    assert filters["LOT_SIZE"] == {
        "filterType": "LOT_SIZE",
        "minQty": "0.00001000",
        "maxQty": "9000.00000000",
        "stepSize": "0.00001000",
    }
    assert filters["MARKET_LOT_SIZE"]["stepSize"] == "0.00000000"  # zero: LOT_SIZE's applies
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    assert filters["TRAILING_DELTA"]["minTrailingBelowDelta"] == 10


def test_a_futures_entry_names_its_minimum_notional_notional() -> None:
    entry = futures_symbol(rules_for("BTCUSDT", FUTURES))
    filters = {f["filterType"]: f for f in entry["filters"]}
    assert filters["MIN_NOTIONAL"] == {"filterType": "MIN_NOTIONAL", "notional": "100"}
    assert (entry["pricePrecision"], entry["quantityPrecision"]) == (2, 3)
    assert entry["contractType"] == "PERPETUAL"


@pytest.mark.parametrize(("symbol", "maximum"), [("BTCUSDT", 125), ("BNBUSDT", 75)])
def test_bracket_one_is_the_symbols_maximum_leverage_and_the_ladder_adds_up(
    symbol: str, maximum: int
) -> None:
    ladder = brackets(rules_for(symbol, FUTURES))
    assert ladder[0]["initialLeverage"] == maximum
    assert ladder[0]["maintMarginRatio"] == 0.004  # the rate the venue liquidates at
    caps = [b["notionalCap"] for b in ladder]
    assert caps == sorted(caps)
    assert all(b["notionalFloor"] == prev["notionalCap"] for prev, b in pairwise(ladder))
    leverages = [b["initialLeverage"] for b in ladder]
    assert leverages == sorted(leverages, reverse=True)
    assert leverages[-1] == 1
    for below, above in pairwise(ladder):
        # cum makes the maintenance margin continuous where one bracket ends and the next starts
        floor = float(above["notionalFloor"])
        at_end = floor * float(below["maintMarginRatio"]) - float(below["cum"])
        at_start = floor * float(above["maintMarginRatio"]) - float(above["cum"])
        assert at_end == pytest.approx(at_start)


def test_the_notional_cap_of_a_leverage_is_that_of_the_last_bracket_allowing_it() -> None:
    rules = rules_for("BTCUSDT", FUTURES)
    assert max_notional(rules, 125) == 50_000
    assert max_notional(rules, 101) == 50_000
    assert max_notional(rules, 10) == 70_000_000


@given(st.decimals(min_value=0, max_value=10**9, places=12, allow_nan=False))
def test_spot_strings_have_eight_decimals_and_never_lose_a_digit(value: Decimal) -> None:
    text = spot_text(value)
    assert D(text) == value
    assert len(text.partition(".")[2]) >= 8
    assert D(plain(value)) == value


ROWS = [
    ("100", "101", "99", "100.5"),
    ("100.5", "103", "100", "102"),
    ("102", "102.5", "98", "99"),
    ("99", "100", "97", "98"),
    ("98", "99", "96", "97"),
]
FEED = CandlesPriceFeed({("BTCUSDT", SPOT): minute_candles(ROWS)})
RULES = rules_for("BTCUSDT", SPOT)


def test_klines_end_with_the_forming_candle_at_the_open_of_the_current_minute() -> None:
    rows = klines(FEED, RULES, 60, T0 + 2 * MINUTE + 30, None, None, 500)
    assert [r[0] for r in rows] == [T0 * 1000, (T0 + 60) * 1000, (T0 + 120) * 1000]
    assert rows[0][1:6] == [
        "100.00000000",
        "101.00000000",
        "99.00000000",
        "100.50000000",
        "1.00000000",
    ]
    assert rows[0][6] == (T0 + 60) * 1000 - 1
    assert rows[-1][1:6] == ["102.00000000"] * 4 + ["0.00000000"]  # only its open is known


def test_longer_intervals_aggregate_the_minutes_so_far() -> None:
    (forming,) = klines(FEED, RULES, 300, T0 + 3 * MINUTE, None, None, 500)
    assert forming[:5] == [T0 * 1000, "100.00000000", "103.00000000", "98.00000000", "99.00000000"]
    assert forming[8] == 3 + 1  # three closed minutes and the one forming


def test_klines_honour_start_end_and_limit_like_binance() -> None:
    now = T0 + 4 * MINUTE + 30  # minute 4 is forming
    assert [r[0] // 1000 for r in klines(FEED, RULES, 60, now, None, None, 2)] == [
        T0 + 3 * MINUTE,
        T0 + 4 * MINUTE,
    ]
    after = klines(FEED, RULES, 60, now, (T0 + 60) * 1000 + 1, None, 2)
    assert [r[0] // 1000 for r in after] == [T0 + 2 * MINUTE, T0 + 3 * MINUTE]
    before = klines(FEED, RULES, 60, now, None, (T0 + 60) * 1000, 500)
    assert [r[0] // 1000 for r in before] == [T0, T0 + MINUTE]
    assert klines(FEED, RULES, 60, now, (T0 + 600) * 1000, None, 5) == []


@given(
    st.one_of(
        st.decimals(min_value=0, max_value=10**7, places=8, allow_nan=False).map(float),
        st.floats(min_value=1e-12, max_value=1e12, allow_nan=False, allow_infinity=False),
    )
)
def test_candle_prices_are_written_exactly_as_the_decimal_they_stand_for(value: float) -> None:
    assert spot_price_text(value) == spot_text(to_decimal(value))
    assert D(plain_price_text(value)) == to_decimal(value)

"""Money as people read it: rounded to the asset's precision, within half a unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.shown import money_places, money_text, quote_of, rounded

D = Decimal


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=12, allow_nan=False),
    st.sampled_from(["USDT", "USDC", "BTC", "ETH"]),
)
def test_a_rounded_amount_is_within_half_a_unit_of_its_last_shown_decimal(
    value: Decimal, asset: str
) -> None:
    shown = rounded(value, asset)
    unit = D(1).scaleb(-money_places(asset))
    assert abs(shown - value) <= unit / 2
    assert shown.as_tuple().exponent == -money_places(asset)


@pytest.mark.parametrize(
    ("value", "asset", "sign", "text"),
    [(D("-2.7799422573"), "USDT", True, "-2.78 USDT"), (D("3.99458266632"), "USDT", True,
     "+3.99 USDT"), (D("1234.5"), "USDT", False, "1,234.50 USDT"),
     (D("0.000123456789"), "BTC", False, "0.00012346 BTC"), (D("0.5"), "", False, "0.50000000")],
)  # fmt: skip
def test_money_text_names_the_asset_and_shows_its_decimals(
    value: Decimal, asset: str, sign: bool, text: str
) -> None:
    assert money_text(value, asset, sign=sign) == text


@pytest.mark.parametrize(
    ("symbol", "quote"),
    [("BTCUSDT", "USDT"), ("ETHBTC", "BTC"), ("BTCFDUSD", "FDUSD"), ("XYZ", ""), ("USDT", "")],
)
def test_the_quote_asset_is_the_symbols_ending(symbol: str, quote: str) -> None:
    assert quote_of(symbol) == quote

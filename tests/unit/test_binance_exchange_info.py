"""Binance exchangeInfo entries become the MarketRules a MARKET order must meet."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import shared_file
from tradewind.adapters.exchange.binance.exchange_info import (
    BinanceLotSize,
    BinanceSymbol,
    parse_exchange_info,
    parse_symbol_rules,
)
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType

D = Decimal
SPOT = PositionType.SPOT
FUTURES = PositionType.FUTURES

# Read by hand from ../shared/data/binance-exchangeinfo-samples.json:
# symbol: (base, tickSize, market step, market minQty, market maxQty, min notional)
SPOT_EXPECTED = {
    # MARKET_LOT_SIZE step/minQty are 0 there, so LOT_SIZE's apply; its maxQty overrides.
    "BTCUSDT": ("BTC", "0.01", "0.00001", "0.00001", "128.52621715", "5"),
    "ETHUSDT": ("ETH", "0.01", "0.0001", "0.0001", "3277.54882761", "5"),
    "ADAUSDT": ("ADA", "0.0001", "0.1", "0.1", "3734056.71171548", "5"),
    "LTCUSDT": ("LTC", "0.01", "0.001", "0.001", "20716.23115062", "5"),
    "XRPUSDT": ("XRP", "0.0001", "1", "1", "6858819.29288702", "5"),
    "DOGEUSDT": ("DOGE", "0.00001", "1", "1", "28160624.66945606", "5"),
}
FUTURES_EXPECTED = {
    # MARKET_LOT_SIZE's smaller maxQty wins over LOT_SIZE's; MIN_NOTIONAL key `notional`.
    "BTCUSDT": ("BTC", "0.10", "0.001", "0.001", "120", "5"),
    "ETHUSDT": ("ETH", "0.01", "0.001", "0.001", "2000", "5"),
    "LTCUSDT": ("LTC", "0.01", "0.001", "0.001", "5000", "5"),
    "ADAUSDT": ("ADA", "0.00010", "1", "1", "300000", "5"),
    "XRPUSDT": ("XRP", "0.0001", "0.1", "0.1", "2000000", "5"),
    "DOGEUSDT": ("DOGE", "0.000010", "1", "1", "30000000", "5"),
}


def samples() -> dict[str, Any]:
    with shared_file("binance-exchangeinfo-samples.json").open(encoding="utf-8") as f:
        doc: dict[str, Any] = json.load(f)
    return doc


@pytest.mark.parametrize(
    ("section", "position_type", "expected"),
    [("spot", SPOT, SPOT_EXPECTED), ("usdm_futures", FUTURES, FUTURES_EXPECTED)],
)
def test_every_real_sample_entry_parses_to_the_values_binance_published(
    section: str, position_type: PositionType, expected: dict[str, tuple[str, ...]]
) -> None:
    rules = parse_exchange_info(samples()[section], position_type)
    assert set(rules) == set(expected)
    for symbol, (base, tick, step, min_qty, max_qty, min_notional) in expected.items():
        r = rules[symbol]
        assert (r.symbol, r.position_type, r.base_asset, r.quote_asset) == (
            symbol, position_type, base, "USDT",
        )  # fmt: skip
        assert r.tick_size == D(tick), symbol
        assert r.step == D(step), symbol
        assert r.min_qty == D(min_qty), symbol
        assert r.max_qty == D(max_qty), symbol
        assert r.min_notional == D(min_notional), symbol
        # NOTIONAL's maxNotional has applyMaxToMarket false; futures have none.
        assert r.max_notional == 0, symbol
        assert r.max_leverage == 0, symbol  # exchangeInfo carries no leverage


def test_values_keep_the_exact_digits_of_binance_strings() -> None:
    btc = parse_exchange_info(samples()["spot"], SPOT)["BTCUSDT"]
    assert str(btc.max_qty) == "128.52621715"
    assert str(btc.step) == "0.00001000"


def spot_entry(*filters: Mapping[str, object], symbol: str = "ABCUSDT") -> dict[str, object]:
    return {
        "symbol": symbol,
        "status": "TRADING",
        "baseAsset": "ABC",
        "quoteAsset": "USDT",
        "isSpotTradingAllowed": True,
        "filters": [
            {"filterType": "PRICE_FILTER", "maxPrice": "1000", "tickSize": "0.01"},
            {"filterType": "LOT_SIZE", "minQty": "0.01", "maxQty": "9000", "stepSize": "0.01"},
            *filters,
        ],
    }  # fmt: skip


def futures_entry(*filters: Mapping[str, object]) -> dict[str, object]:
    return {
        "symbol": "ABCUSDT",
        "contractType": "PERPETUAL",
        "baseAsset": "ABC",
        "quoteAsset": "USDT",
        "filters": [
            {"filterType": "PRICE_FILTER", "tickSize": "0.001"},
            {"filterType": "LOT_SIZE", "stepSize": "0.1", "minQty": "0.1", "maxQty": "100000"},
            *filters,
        ],
    }


def test_a_non_zero_market_lot_size_overrides_lot_size_for_market_orders() -> None:
    mls = {"filterType": "MARKET_LOT_SIZE", "minQty": "0.5", "maxQty": "300", "stepSize": "0.5"}
    r = parse_symbol_rules(spot_entry(mls), SPOT)
    assert (r.step, r.min_qty, r.max_qty) == (D("0.5"), D("0.5"), D(300))


def test_a_zero_market_lot_size_value_means_the_lot_size_value_applies() -> None:
    mls = {"filterType": "MARKET_LOT_SIZE", "minQty": "0", "maxQty": "0", "stepSize": "0"}
    r = parse_symbol_rules(spot_entry(mls), SPOT)
    assert (r.step, r.min_qty, r.max_qty) == (D("0.01"), D("0.01"), D(9000))


@pytest.mark.parametrize(
    ("apply_min", "apply_max", "min_notional", "max_notional"),
    [(True, False, D(10), D(0)), (False, False, D(0), D(0)), (True, True, D(10), D(50000))],
)
def test_notional_bounds_count_for_market_orders_only_when_their_flag_says_so(
    apply_min: bool, apply_max: bool, min_notional: Decimal, max_notional: Decimal
) -> None:
    notional = {
        "filterType": "NOTIONAL", "minNotional": "10.00000000", "applyMinToMarket": apply_min,
        "maxNotional": "50000.00000000", "applyMaxToMarket": apply_max, "avgPriceMins": 5,
    }  # fmt: skip
    r = parse_symbol_rules(spot_entry(notional), SPOT)
    assert (r.min_notional, r.max_notional) == (min_notional, max_notional)


@pytest.mark.parametrize(("apply", "expected"), [(True, D(10)), (False, D(0))])
def test_legacy_spot_min_notional_applies_to_market_orders_when_apply_to_market(
    apply: bool, expected: Decimal
) -> None:
    legacy = {"filterType": "MIN_NOTIONAL", "minNotional": "10", "applyToMarket": apply}
    assert parse_symbol_rules(spot_entry(legacy), SPOT).min_notional == expected


def test_futures_min_notional_is_read_from_the_notional_key() -> None:
    r = parse_symbol_rules(
        futures_entry({"filterType": "MIN_NOTIONAL", "notional": "100"}), FUTURES
    )
    assert (r.min_notional, r.step, r.max_qty) == (D(100), D("0.1"), D(100000))


def test_unknown_filter_types_are_ignored() -> None:
    odd: list[dict[str, object]] = [
        {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10},
        {"filterType": "SOMETHING_NEW", "whatever": [1, 2]},
    ]
    r = parse_symbol_rules(spot_entry(*odd), SPOT)
    assert r.step == D("0.01")


def test_schema_objects_keep_binance_field_names() -> None:
    entry = BinanceSymbol.parse(spot_entry(), SPOT)
    lot = entry.filters[1]
    assert isinstance(lot, BinanceLotSize)
    assert (entry.baseAsset, lot.filterType, lot.stepSize, lot.minQty, lot.maxQty) == (
        "ABC", "LOT_SIZE", D("0.01"), D("0.01"), D(9000),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (spot_entry({"filterType": "NOTIONAL", "applyMinToMarket": True}),
         ["ABCUSDT", "NOTIONAL", "minNotional"]),
        (spot_entry({"filterType": "MARKET_LOT_SIZE", "minQty": "0", "maxQty": "1"}),
         ["ABCUSDT", "MARKET_LOT_SIZE", "stepSize"]),
        (spot_entry({"filterType": "MIN_NOTIONAL", "minNotional": "5"}),
         ["ABCUSDT", "MIN_NOTIONAL", "applyToMarket"]),
        (futures_entry({"filterType": "MIN_NOTIONAL", "minNotional": "5"}),
         ["ABCUSDT", "MIN_NOTIONAL", "notional"]),
    ],
)  # fmt: skip
def test_a_missing_required_field_names_the_symbol_filter_and_field(
    entry: dict[str, object], words: list[str]
) -> None:
    position_type = FUTURES if "contractType" in entry else SPOT
    with pytest.raises(ConfigurationError) as e:
        parse_symbol_rules(entry, position_type)
    for word in words:
        assert word in str(e.value)


def test_a_missing_lot_size_filter_is_refused_by_name() -> None:
    entry = spot_entry()
    entry["filters"] = [{"filterType": "PRICE_FILTER", "tickSize": "0.01"}]
    with pytest.raises(ConfigurationError, match=r"ABCUSDT.*LOT_SIZE"):
        parse_symbol_rules(entry, SPOT)


@pytest.mark.parametrize("bad", [0.01, "abc", "-1", "NaN", "Infinity", True, None])
def test_a_value_that_is_not_a_finite_decimal_string_is_refused(bad: object) -> None:
    entry = spot_entry()
    entry["filters"] = [
        {"filterType": "PRICE_FILTER", "tickSize": "0.01"},
        {"filterType": "LOT_SIZE", "minQty": "0.01", "maxQty": "9000", "stepSize": bad},
    ]
    with pytest.raises(ConfigurationError, match=r"ABCUSDT: filter LOT_SIZE: .*stepSize"):
        parse_symbol_rules(entry, SPOT)


def test_min_qty_above_max_qty_is_a_configuration_error_naming_the_symbol() -> None:
    mls = {"filterType": "MARKET_LOT_SIZE", "minQty": "50", "maxQty": "10", "stepSize": "0"}
    with pytest.raises(ConfigurationError, match="ABCUSDT"):
        parse_symbol_rules(spot_entry(mls), SPOT)


def test_asking_spot_rules_of_a_futures_entry_says_so() -> None:
    with pytest.raises(ConfigurationError, match="futures entry, but spot rules"):
        parse_symbol_rules(futures_entry(), SPOT)


def test_asking_futures_rules_of_a_spot_entry_says_so() -> None:
    with pytest.raises(ConfigurationError, match="spot entry, but futures rules"):
        parse_symbol_rules(spot_entry(), FUTURES)


def test_an_exchange_info_document_without_symbols_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="symbols"):
        parse_exchange_info({"timezone": "UTC"}, SPOT)


def test_parse_exchange_info_keys_rules_by_symbol() -> None:
    doc = {"symbols": [spot_entry(symbol="ABCUSDT"), spot_entry(symbol="XYZUSDT")]}
    assert sorted(parse_exchange_info(doc, SPOT)) == ["ABCUSDT", "XYZUSDT"]

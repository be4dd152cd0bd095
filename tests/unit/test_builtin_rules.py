"""Symbol rules come from the built-in table, or from an exchangeInfo file when given."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import shared_file
from tradewind.adapters.exchange.builtin_rules import (
    BUILTIN_MAX_LEVERAGE,
    BUILTIN_RULES,
    known_symbols,
    rules_for,
)
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType

D = Decimal
SPOT = PositionType.SPOT
FUTURES = PositionType.FUTURES
MAJORS = ["BNBUSDT", "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]


@pytest.mark.parametrize("position_type", [SPOT, FUTURES])
def test_the_built_in_table_has_the_five_majors_for_both_markets(
    position_type: PositionType,
) -> None:
    assert known_symbols(position_type) == MAJORS
    for symbol in MAJORS:
        r = rules_for(symbol, position_type)
        assert (r.symbol, r.position_type, r.quote_asset) == (symbol, position_type, "USDT")
        assert r.base_asset == symbol.removesuffix("USDT")
        assert r.step > 0
        assert r.tick_size > 0
        assert 0 < r.min_qty <= r.max_qty
        assert r.min_qty % r.step == 0
        assert r.min_notional >= 5


def test_built_in_futures_rules_carry_the_exchange_leverage_maximum() -> None:
    assert rules_for("BTCUSDT", FUTURES).max_leverage == 125
    assert rules_for("XRPUSDT", FUTURES).max_leverage == 75
    assert all(rules_for(s, FUTURES).max_leverage == BUILTIN_MAX_LEVERAGE[s] for s in MAJORS)
    assert all(rules_for(s, SPOT).max_leverage == 0 for s in MAJORS)


def test_built_in_btcusdt_rules_match_binance_market_order_filters() -> None:
    spot = rules_for("BTCUSDT", SPOT)
    assert (spot.tick_size, spot.step, spot.min_notional, spot.max_notional) == (
        D("0.01"), D("0.00001"), D(5), D(0),
    )  # fmt: skip
    futures = rules_for("BTCUSDT", FUTURES)
    assert (futures.tick_size, futures.step, futures.max_qty, futures.min_notional) == (
        D("0.1"), D("0.001"), D(120), D(100),
    )  # fmt: skip


def test_an_unknown_symbol_is_refused_with_the_known_symbols_listed() -> None:
    with pytest.raises(ConfigurationError) as e:
        rules_for("DOGEUSDT", SPOT)
    message = str(e.value)
    assert "DOGEUSDT" in message
    for symbol in MAJORS:
        assert symbol in message


def test_the_built_in_table_is_keyed_by_symbol_and_market() -> None:
    assert all(key == (r.symbol, r.position_type) for key, r in BUILTIN_RULES.items())
    assert len(BUILTIN_RULES) == 10


def write_exchange_info(tmp_path: Path, section: str) -> Path:
    """Save one market of the shared samples in the shape Binance returns."""
    with shared_file("binance-exchangeinfo-samples.json").open(encoding="utf-8") as f:
        samples = json.load(f)
    path = tmp_path / f"{section}-exchangeInfo.json"
    path.write_text(json.dumps({"timezone": "UTC", "symbols": samples[section]["symbols"]}))
    return path


def test_rules_are_read_from_an_exchange_info_file_when_one_is_given(tmp_path: Path) -> None:
    path = write_exchange_info(tmp_path, "spot")
    xrp = rules_for("XRPUSDT", SPOT, path)
    assert (xrp.step, xrp.min_qty, xrp.max_qty) == (D(1), D(1), D("6858819.29288702"))
    ada = rules_for("ADAUSDT", SPOT, path)  # not in the built-in table
    assert (ada.step, ada.tick_size) == (D("0.1"), D("0.0001"))


def test_futures_rules_from_a_file_take_the_leverage_maximum_from_the_built_in_table(
    tmp_path: Path,
) -> None:
    path = write_exchange_info(tmp_path, "usdm_futures")
    btc = rules_for("BTCUSDT", FUTURES, path)
    assert (btc.max_qty, btc.min_notional, btc.max_leverage) == (D(120), D(5), 125)
    assert rules_for("DOGEUSDT", FUTURES, path).max_leverage == 0  # unknown


def test_a_symbol_missing_from_the_file_is_refused_naming_the_file_and_known_symbols(
    tmp_path: Path,
) -> None:
    path = write_exchange_info(tmp_path, "spot")
    with pytest.raises(ConfigurationError) as e:
        rules_for("SOLUSDT", SPOT, path)
    assert str(path) in str(e.value)
    assert "DOGEUSDT" in str(e.value)


def test_a_file_with_many_symbols_suggests_close_ones_instead_of_listing_all(
    tmp_path: Path,
) -> None:
    entries = [
        {"symbol": f"COIN{i}USDT", "baseAsset": f"COIN{i}", "quoteAsset": "USDT", "filters": []}
        for i in range(100)
    ]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"symbols": entries}))
    with pytest.raises(ConfigurationError) as e:
        rules_for("COIN7USDC", SPOT, path)
    assert "lists 100 symbols" in str(e.value)
    assert "COIN7USDT" in str(e.value)


def test_bare_json_numbers_in_a_hand_written_file_are_read_as_exact_decimals(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hand.json"
    path.write_text(
        '{"symbols": [{"symbol": "ABCUSDT", "baseAsset": "ABC", "quoteAsset": "USDT",'
        ' "filters": [{"filterType": "PRICE_FILTER", "tickSize": 0.1},'
        ' {"filterType": "LOT_SIZE", "stepSize": 0.001, "minQty": 0.001, "maxQty": 10}]}]}'
    )
    r = rules_for("ABCUSDT", SPOT, path)
    assert (r.tick_size, r.step, r.max_qty) == (D("0.1"), D("0.001"), D(10))


def test_an_unreadable_file_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    with pytest.raises(ConfigurationError, match=r"missing\.json"):
        rules_for("BTCUSDT", SPOT, path)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"symbols": 3}'])
def test_a_file_that_is_not_an_exchange_info_document_is_refused_naming_it(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=r"bad\.json"):
        rules_for("BTCUSDT", SPOT, path)


def test_a_broken_entry_in_a_file_names_the_file_symbol_and_filter(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    entry = {
        "symbol": "ABCUSDT", "baseAsset": "ABC", "quoteAsset": "USDT",
        "filters": [{"filterType": "PRICE_FILTER", "tickSize": "0.1"},
                    {"filterType": "LOT_SIZE", "stepSize": "0.1", "minQty": "0.1"}],
    }  # fmt: skip
    path.write_text(json.dumps({"symbols": [entry]}))
    with pytest.raises(ConfigurationError, match=r"broken\.json.*ABCUSDT.*LOT_SIZE.*maxQty"):
        rules_for("ABCUSDT", SPOT, path)

"""Symbol rules for backtests and the paper exchange when no exchangeInfo file is given.

The built-in table holds realistic Binance values for five majors, written down by hand
from Binance's published rules (mid-2020s). They drift: Binance changes steps, minimums and
brackets from time to time, and a spot MARKET_LOT_SIZE maximum moves with recent volume. For
rules that match the exchange today, save `GET /api/v3/exchangeInfo` (spot) or
`GET /fapi/v1/exchangeInfo` (futures) to a file and pass its path.

Values are already folded into market-order terms (see `binance/exchange_info.py`): `step`,
`min_qty` and `max_qty` are MARKET_LOT_SIZE's where it sets one, else LOT_SIZE's; spot
`max_notional` is 0 because Binance's NOTIONAL filter does not apply its maximum to MARKET
orders.

Why here and not in `binance/`: the table is `MarketRules`, the domain's venue-neutral
terms, and it is what the venue-neutral parts run on (the simulated venue, the backtester,
the CLI's checks); its values are Binance's because those are the markets paper trading
and backtests simulate. Only reading an exchangeInfo file is Binance's format, and that
parser lives in `binance/exchange_info.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType, Symbol

D = Decimal
SPOT = PositionType.SPOT
FUTURES = PositionType.FUTURES

# Initial leverage of bracket 1 (GET /fapi/v1/leverageBracket) for each USDⓈ-M perpetual.
BUILTIN_MAX_LEVERAGE: Mapping[str, int] = {
    "BTCUSDT": 125,
    "ETHUSDT": 125,
    "SOLUSDT": 100,
    "BNBUSDT": 75,
    "XRPUSDT": 75,
}


def _spot(symbol: str, base: str, tick: str, step: str, max_qty: str) -> MarketRules:
    # Spot majors share LOT_SIZE min = step and a NOTIONAL minimum of 5 USDT for market orders.
    return MarketRules(
        symbol=Symbol(symbol),
        position_type=SPOT,
        base_asset=base,
        quote_asset="USDT",
        tick_size=D(tick),
        step=D(step),
        min_qty=D(step),
        max_qty=D(max_qty),
        min_notional=D("5"),
    )


def _futures(
    symbol: str, base: str, tick: str, step: str, max_qty: str, min_notional: str
) -> MarketRules:
    return MarketRules(
        symbol=Symbol(symbol),
        position_type=FUTURES,
        base_asset=base,
        quote_asset="USDT",
        tick_size=D(tick),
        step=D(step),
        min_qty=D(step),
        max_qty=D(max_qty),
        min_notional=D(min_notional),
        max_leverage=BUILTIN_MAX_LEVERAGE[symbol],
    )


BUILTIN_RULES: Mapping[tuple[str, PositionType], MarketRules] = {
    (r.symbol, r.position_type): r
    for r in (
        # spot: tickSize, LOT_SIZE stepSize (= minQty), MARKET_LOT_SIZE maxQty
        _spot("BTCUSDT", "BTC", "0.01", "0.00001", "96.18439117"),
        _spot("ETHUSDT", "ETH", "0.01", "0.0001", "2415.60537312"),
        _spot("BNBUSDT", "BNB", "0.01", "0.001", "1640.32941566"),
        _spot("SOLUSDT", "SOL", "0.01", "0.001", "26841.17209513"),
        _spot("XRPUSDT", "XRP", "0.0001", "0.1", "4750183.39724551"),
        # USDⓈ-M: tickSize, MARKET_LOT_SIZE stepSize (= minQty), its maxQty, MIN_NOTIONAL
        _futures("BTCUSDT", "BTC", "0.10", "0.001", "120", "100"),
        _futures("ETHUSDT", "ETH", "0.01", "0.001", "2000", "20"),
        _futures("BNBUSDT", "BNB", "0.010", "0.01", "2000", "5"),
        _futures("SOLUSDT", "SOL", "0.0100", "1", "5000", "5"),
        _futures("XRPUSDT", "XRP", "0.0001", "0.1", "2000000", "5"),
    )
}


def known_symbols(position_type: PositionType) -> list[str]:
    """Return the symbols the built-in table has rules for, sorted."""
    return sorted(symbol for symbol, kind in BUILTIN_RULES if kind is position_type)


def rules_for(
    symbol: str, position_type: PositionType, exchange_info_path: Path | None = None
) -> MarketRules:
    """Return `symbol`'s market rules from an exchangeInfo file if given, else built in.

    Futures rules read from a file get `max_leverage` from the built-in bracket table
    (exchangeInfo carries no leverage); 0, meaning unknown, for other symbols.
    """
    if exchange_info_path is not None:
        # Only with a file: its reader (json, difflib, its own types) is a backtest's
        # start-up otherwise.
        from tradewind.adapters.exchange.binance.exchange_info import rules_from_file

        from_file = rules_from_file(exchange_info_path, symbol, position_type)
        if position_type is FUTURES:
            return replace(from_file, max_leverage=BUILTIN_MAX_LEVERAGE.get(symbol, 0))
        return from_file
    rules = BUILTIN_RULES.get((symbol, position_type))
    if rules is None:
        raise ConfigurationError(
            f"symbol: no built-in {position_type.value} rules for {symbol!r}; known: "
            f"{', '.join(known_symbols(position_type))} (or pass an exchangeInfo file)"
        )
    return rules

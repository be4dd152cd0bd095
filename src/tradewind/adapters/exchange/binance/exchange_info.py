"""Binance exchangeInfo symbol entries (from the API or a saved file) -> domain `MarketRules`.

Two steps, as nautilus_trader does it: the raw JSON is first parsed into small schema
objects that keep Binance's own field names (so they read like the API docs), then
`to_market_rules` turns them into domain terms in one place. Only the filters a MARKET
order must meet are read; any other filter type is ignored.

Spot: PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE (its non-zero values override LOT_SIZE for
market orders), NOTIONAL (`minNotional` counts for market orders only when
`applyMinToMarket`, `maxNotional` only when `applyMaxToMarket`) and the legacy MIN_NOTIONAL
(`minNotional` when `applyToMarket`). USDⓈ-M futures: PRICE_FILTER, LOT_SIZE,
MARKET_LOT_SIZE and MIN_NOTIONAL, whose key there is `notional`.
"""

# Schema attributes keep Binance's camelCase names on purpose.
# ruff: noqa: N815

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import ClassVar, Self

from tradewind.domain.errors import ConfigurationError, DomainError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType, Symbol

ZERO = Decimal(0)
MAX_LISTED = 30  # an unknown symbol's error lists the known ones up to this many


class _Where:
    """Names the symbol and filter a value came from, for error messages."""

    def __init__(self, symbol: str, filter_type: str | None = None) -> None:
        self.symbol = symbol
        self.filter_type = filter_type

    def fail(self, message: str) -> ConfigurationError:
        place = f"filter {self.filter_type}" if self.filter_type else "symbol entry"
        return ConfigurationError(f"exchangeInfo {self.symbol}: {place}: {message}")


def _decimal(raw: Mapping[str, object], key: str, where: _Where) -> Decimal:
    """Read a required decimal field; Binance sends decimal strings (never use floats)."""
    if key not in raw:
        raise where.fail(f"missing field '{key}'")
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise where.fail(f"field '{key}' must be a decimal string, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise where.fail(f"field '{key}' is not a number: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise where.fail(f"field '{key}' must be a finite number >= 0, got {value!r}")
    return number


def _flag(raw: Mapping[str, object], key: str, where: _Where) -> bool:
    if key not in raw:
        raise where.fail(f"missing field '{key}'")
    value = raw[key]
    if not isinstance(value, bool):
        raise where.fail(f"field '{key}' must be true or false, got {value!r}")
    return value


def _text(raw: Mapping[str, object], key: str, where: _Where) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise where.fail(f"missing field '{key}'" if value is None else f"bad '{key}': {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class BinancePriceFilter:
    """PRICE_FILTER: prices must be multiples of `tickSize`."""

    filterType: ClassVar[str] = "PRICE_FILTER"
    tickSize: Decimal

    @classmethod
    def parse(cls, raw: Mapping[str, object], where: _Where) -> BinancePriceFilter:
        return cls(tickSize=_decimal(raw, "tickSize", where))


@dataclass(frozen=True, slots=True)
class _QuantityRule:
    """A quantity step and bounds, as LOT_SIZE and MARKET_LOT_SIZE both state them."""

    stepSize: Decimal
    minQty: Decimal
    maxQty: Decimal

    @classmethod
    def parse(cls, raw: Mapping[str, object], where: _Where) -> Self:
        return cls(
            stepSize=_decimal(raw, "stepSize", where),
            minQty=_decimal(raw, "minQty", where),
            maxQty=_decimal(raw, "maxQty", where),
        )


@dataclass(frozen=True, slots=True)
class BinanceLotSize(_QuantityRule):
    """LOT_SIZE: quantity step and bounds for every order type."""

    filterType: ClassVar[str] = "LOT_SIZE"


@dataclass(frozen=True, slots=True)
class BinanceMarketLotSize(_QuantityRule):
    """MARKET_LOT_SIZE: LOT_SIZE for MARKET orders; a zero value means LOT_SIZE's applies."""

    filterType: ClassVar[str] = "MARKET_LOT_SIZE"


@dataclass(frozen=True, slots=True)
class BinanceNotional:
    """Spot NOTIONAL: price x quantity bounds, each applying to MARKET orders by its flag."""

    filterType: ClassVar[str] = "NOTIONAL"
    minNotional: Decimal
    applyMinToMarket: bool
    maxNotional: Decimal
    applyMaxToMarket: bool

    @classmethod
    def parse(cls, raw: Mapping[str, object], where: _Where) -> BinanceNotional:
        has_max = "maxNotional" in raw or "applyMaxToMarket" in raw
        return cls(
            minNotional=_decimal(raw, "minNotional", where),
            applyMinToMarket=_flag(raw, "applyMinToMarket", where),
            maxNotional=_decimal(raw, "maxNotional", where) if has_max else ZERO,
            applyMaxToMarket=_flag(raw, "applyMaxToMarket", where) if has_max else False,
        )


@dataclass(frozen=True, slots=True)
class BinanceSpotMinNotional:
    """Legacy spot MIN_NOTIONAL: `minNotional`, for MARKET orders when `applyToMarket`."""

    filterType: ClassVar[str] = "MIN_NOTIONAL"
    minNotional: Decimal
    applyToMarket: bool

    @classmethod
    def parse(cls, raw: Mapping[str, object], where: _Where) -> BinanceSpotMinNotional:
        return cls(
            minNotional=_decimal(raw, "minNotional", where),
            applyToMarket=_flag(raw, "applyToMarket", where),
        )


@dataclass(frozen=True, slots=True)
class BinanceFuturesMinNotional:
    """USDⓈ-M MIN_NOTIONAL: every order's notional must reach `notional`."""

    filterType: ClassVar[str] = "MIN_NOTIONAL"
    notional: Decimal

    @classmethod
    def parse(cls, raw: Mapping[str, object], where: _Where) -> BinanceFuturesMinNotional:
        return cls(notional=_decimal(raw, "notional", where))


BinanceFilter = (
    BinancePriceFilter
    | BinanceLotSize
    | BinanceMarketLotSize
    | BinanceNotional
    | BinanceSpotMinNotional
    | BinanceFuturesMinNotional
)

_SPOT_FILTERS: dict[str, type[BinanceFilter]] = {
    "PRICE_FILTER": BinancePriceFilter,
    "LOT_SIZE": BinanceLotSize,
    "MARKET_LOT_SIZE": BinanceMarketLotSize,
    "NOTIONAL": BinanceNotional,
    "MIN_NOTIONAL": BinanceSpotMinNotional,
}
_FUTURES_FILTERS: dict[str, type[BinanceFilter]] = {
    "PRICE_FILTER": BinancePriceFilter,
    "LOT_SIZE": BinanceLotSize,
    "MARKET_LOT_SIZE": BinanceMarketLotSize,
    "MIN_NOTIONAL": BinanceFuturesMinNotional,
}


@dataclass(frozen=True, slots=True)
class BinanceSymbol:
    """One `symbols[]` entry of exchangeInfo, with only the filters tradewind reads."""

    symbol: str
    baseAsset: str
    quoteAsset: str
    filters: tuple[BinanceFilter, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, object], position_type: PositionType) -> BinanceSymbol:
        """Parse a raw entry; unknown filter types are skipped, known ones fully checked."""
        symbol = raw.get("symbol")
        where = _Where(symbol if isinstance(symbol, str) and symbol else "<no symbol>")
        symbol = _text(raw, "symbol", where)
        # Each market has its own MIN_NOTIONAL shape, so a file of the other market would
        # fail on a confusing field; say what is wrong instead.
        if position_type is PositionType.SPOT and "contractType" in raw:
            raise where.fail("this is a USDⓈ-M futures entry, but spot rules were asked for")
        if position_type is PositionType.FUTURES and "isSpotTradingAllowed" in raw:
            raise where.fail("this is a spot entry, but futures rules were asked for")
        raw_filters = raw.get("filters")
        if not isinstance(raw_filters, list):
            raise where.fail("missing field 'filters' (a list)")
        known = _SPOT_FILTERS if position_type is PositionType.SPOT else _FUTURES_FILTERS
        filters: list[BinanceFilter] = []
        for raw_filter in raw_filters:
            if not isinstance(raw_filter, Mapping):
                raise where.fail(f"a filter must be an object, got {raw_filter!r}")
            filter_type = raw_filter.get("filterType")
            schema = known.get(filter_type) if isinstance(filter_type, str) else None
            if schema is not None:
                filters.append(schema.parse(raw_filter, _Where(symbol, filter_type)))
        return cls(
            symbol=symbol,
            baseAsset=_text(raw, "baseAsset", where),
            quoteAsset=_text(raw, "quoteAsset", where),
            filters=tuple(filters),
        )


def _market_value(market: Decimal | None, general: Decimal) -> Decimal:
    """Pick MARKET_LOT_SIZE's value where it sets one (non-zero), else LOT_SIZE's."""
    return market if market is not None and market != 0 else general


def to_market_rules(entry: BinanceSymbol, position_type: PositionType) -> MarketRules:
    """Fold a parsed entry's filters into the rules a MARKET order must meet."""
    where = _Where(entry.symbol)
    price = [f for f in entry.filters if isinstance(f, BinancePriceFilter)]
    lot = [f for f in entry.filters if isinstance(f, BinanceLotSize)]
    market = [f for f in entry.filters if isinstance(f, BinanceMarketLotSize)]
    for found, name in ((price, "PRICE_FILTER"), (lot, "LOT_SIZE")):
        if not found:
            raise _Where(entry.symbol, name).fail("filter is missing")
    mls = market[0] if market else None
    market_step, market_min, market_max = (
        (mls.stepSize, mls.minQty, mls.maxQty) if mls else (None, None, None)
    )

    min_notional = ZERO
    max_notional = ZERO
    for f in entry.filters:
        if isinstance(f, BinanceNotional):
            if f.applyMinToMarket:
                min_notional = max(min_notional, f.minNotional)
            if f.applyMaxToMarket and f.maxNotional:
                max_notional = f.maxNotional
        elif isinstance(f, BinanceSpotMinNotional):
            if f.applyToMarket:
                min_notional = max(min_notional, f.minNotional)
        elif isinstance(f, BinanceFuturesMinNotional):
            min_notional = max(min_notional, f.notional)

    try:
        return MarketRules(
            symbol=Symbol(entry.symbol),
            position_type=position_type,
            base_asset=entry.baseAsset,
            quote_asset=entry.quoteAsset,
            tick_size=price[0].tickSize,
            step=_market_value(market_step, lot[0].stepSize),
            min_qty=_market_value(market_min, lot[0].minQty),
            max_qty=_market_value(market_max, lot[0].maxQty),
            min_notional=min_notional,
            max_notional=max_notional,
        )
    except DomainError as e:
        raise where.fail(str(e)) from e


def parse_symbol_rules(raw: Mapping[str, object], position_type: PositionType) -> MarketRules:
    """Parse one raw exchangeInfo `symbols[]` entry into `MarketRules`."""
    return to_market_rules(BinanceSymbol.parse(raw, position_type), position_type)


def parse_exchange_info(
    doc: Mapping[str, object], position_type: PositionType
) -> dict[str, MarketRules]:
    """Parse a whole exchangeInfo document ({"symbols": [...]}) into rules by symbol."""
    symbols = doc.get("symbols")
    if not isinstance(symbols, list):
        raise ConfigurationError("exchangeInfo: missing 'symbols' list")
    rules: dict[str, MarketRules] = {}
    for raw in symbols:
        if not isinstance(raw, Mapping):
            raise ConfigurationError(f"exchangeInfo: a symbol entry must be an object: {raw!r}")
        parsed = parse_symbol_rules(raw, position_type)
        rules[parsed.symbol] = parsed
    return rules


def _describe(symbol: str, known: list[str]) -> str:
    """List the known symbols, or only the likeliest ones when there are many."""
    if len(known) <= MAX_LISTED:
        return f"known: {', '.join(known)}"
    close = difflib.get_close_matches(symbol, known, n=5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"it lists {len(known)} symbols{hint}"


def rules_from_file(path: Path, symbol: str, position_type: PositionType) -> MarketRules:
    """Return `symbol`'s rules from a saved exchangeInfo document (spot or USDⓈ-M)."""
    try:
        # Decimal floats: a hand-edited file with bare numbers still never goes through float.
        doc = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except OSError as e:
        raise ConfigurationError(f"cannot read exchangeInfo file {path}: {e.strerror}") from e
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigurationError(f"exchangeInfo file {path} is not valid JSON: {e}") from e
    entries = doc.get("symbols") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ConfigurationError(
            f"exchangeInfo file {path} has no 'symbols' list (expected Binance's exchangeInfo)"
        )
    by_symbol = {e.get("symbol"): e for e in entries if isinstance(e, dict)}
    raw = by_symbol.get(symbol)
    if raw is None:
        known = sorted(s for s in by_symbol if isinstance(s, str))
        raise ConfigurationError(
            f"symbol: {symbol!r} is not in exchangeInfo file {path}; {_describe(symbol, known)}"
        )
    try:
        return parse_symbol_rules(raw, position_type)
    except ConfigurationError as e:
        raise ConfigurationError(f"{path}: {e}") from e

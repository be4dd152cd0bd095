"""Public market data in Binance's shapes: exchangeInfo entries and leverage brackets.

Symbol entries are written from the venue's `MarketRules` with the filters real
exchangeInfo carries (PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL or MIN_NOTIONAL,
TRAILING_DELTA …), so the adapter's parser reads back exactly the rules the venue
enforces; like real spot listings, MARKET_LOT_SIZE's step and minimum are zero ("no
rule": LOT_SIZE's apply). Brackets follow Binance's BTCUSDT ladder below the symbol's
maximum leverage; the venue itself applies the first bracket's maintenance rate (0.4 %).

Klines: `klines.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from tradewind.adapters.exchange.simulated.futures import DEFAULT_MAX_LEVERAGE
from tradewind.adapters.exchange.simulated.lots import limit_max_qty
from tradewind.domain.market_rules import MarketRules
from tradewind.testkit.binance_server.limits import Limits, Market
from tradewind.testkit.binance_server.render import plain, spot_text

MIN_TRAILING_BIPS, MAX_TRAILING_BIPS = 10, 2_000
# (initial leverage, notional cap, maintenance margin ratio) of Binance's BTCUSDT brackets.
_LADDER = [
    (125, 50_000, "0.004"), (100, 600_000, "0.005"), (50, 3_000_000, "0.01"),
    (20, 12_000_000, "0.025"), (10, 70_000_000, "0.05"), (5, 100_000_000, "0.1"),
    (4, 230_000_000, "0.125"), (3, 480_000_000, "0.15"), (2, 600_000_000, "0.25"),
    (1, 800_000_000, "0.5"),
]  # fmt: skip
# Only the order types the server serves: a client reading exchangeInfo must not offer
# what every order of that type would then be refused for (-1014).
_SPOT_ORDER_TYPES = [
    "LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
]  # fmt: skip
_FUTURES_ORDER_TYPES = [
    "LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
]  # fmt: skip


def rate_limits(limits: Limits, market: Market) -> list[dict[str, object]]:
    """Return exchangeInfo's `rateLimits`: the limits this server enforces."""
    entries: list[dict[str, object]] = [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": limits.weight_limit(market),
        }
    ]
    for interval in limits.order_intervals(market):
        number, unit = interval.words.split()
        entries.append(
            {
                "rateLimitType": "ORDERS",
                "interval": unit,
                "intervalNum": int(number),
                "limit": interval.limit,
            }
        )
    return entries


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def spot_symbol(rules: MarketRules) -> dict[str, object]:
    """Return a spot exchangeInfo `symbols[]` entry for `rules`."""
    notional: dict[str, object] = {
        "filterType": "NOTIONAL",
        "minNotional": spot_text(rules.min_notional),
        "applyMinToMarket": True,
        "maxNotional": spot_text(rules.max_notional or Decimal(9_000_000)),
        "applyMaxToMarket": bool(rules.max_notional),
        "avgPriceMins": 5,
    }
    filters: list[dict[str, object]] = [
        {"filterType": "PRICE_FILTER", "minPrice": spot_text(rules.tick_size),
         "maxPrice": spot_text(Decimal(1_000_000)), "tickSize": spot_text(rules.tick_size)},
        {"filterType": "LOT_SIZE", "minQty": spot_text(rules.min_qty),
         "maxQty": spot_text(limit_max_qty(rules)), "stepSize": spot_text(rules.step)},
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        {"filterType": "MARKET_LOT_SIZE", "minQty": spot_text(Decimal(0)),
         "maxQty": spot_text(rules.max_qty), "stepSize": spot_text(Decimal(0))},
        {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": MIN_TRAILING_BIPS,
         "maxTrailingAboveDelta": MAX_TRAILING_BIPS, "minTrailingBelowDelta": MIN_TRAILING_BIPS,
         "maxTrailingBelowDelta": MAX_TRAILING_BIPS},
        notional,
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
    ]  # fmt: skip
    return {
        "symbol": rules.symbol,
        "status": "TRADING",
        "baseAsset": rules.base_asset,
        "baseAssetPrecision": 8,
        "quoteAsset": rules.quote_asset,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": _SPOT_ORDER_TYPES,
        "icebergAllowed": False,  # icebergs are LIMIT orders, not served
        "ocoAllowed": True,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": filters,
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE",
        "allowedSelfTradePreventionModes": ["NONE"],
    }


def futures_symbol(rules: MarketRules) -> dict[str, object]:
    """Return a USDⓈ-M exchangeInfo `symbols[]` entry for `rules`."""
    lot = limit_max_qty(rules)  # LOT_SIZE's: the venue's limit order maximum
    filters: list[dict[str, object]] = [
        {"filterType": "PRICE_FILTER", "minPrice": plain(rules.tick_size),
         "maxPrice": "1000000", "tickSize": str(rules.tick_size)},
        {"filterType": "LOT_SIZE", "stepSize": str(rules.step), "minQty": plain(rules.min_qty),
         "maxQty": plain(lot)},
        {"filterType": "MARKET_LOT_SIZE", "stepSize": str(rules.step),
         "minQty": plain(rules.min_qty), "maxQty": plain(rules.max_qty)},
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
        {"filterType": "MIN_NOTIONAL", "notional": plain(rules.min_notional)},
        {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500",
         "multiplierDecimal": "4"},
    ]  # fmt: skip
    return {
        "symbol": rules.symbol,
        "pair": rules.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": 4_133_404_800_000,
        "onboardDate": 1_569_398_400_000,
        "status": "TRADING",
        "baseAsset": rules.base_asset,
        "quoteAsset": rules.quote_asset,
        "marginAsset": rules.quote_asset,
        "pricePrecision": _places(rules.tick_size),
        "quantityPrecision": _places(rules.step),
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "filters": filters,
        "orderTypes": _FUTURES_ORDER_TYPES,
        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],  # GTD is not served (-1014)
    }


def futures_assets(quote_assets: Sequence[str]) -> list[dict[str, object]]:
    """Return exchangeInfo's `assets` of the USDⓈ-M market."""
    return [
        {"asset": a, "marginAvailable": True, "autoAssetExchange": "-10000"}
        for a in sorted(set(quote_assets))
    ]


def brackets(rules: MarketRules) -> list[dict[str, object]]:
    """Return the symbol's leverage brackets, bracket 1 at its maximum leverage."""
    maximum = rules.max_leverage or DEFAULT_MAX_LEVERAGE
    ladder = [(maximum, _LADDER[0][1], _LADDER[0][2])]
    ladder += [step for step in _LADDER if step[0] < maximum]
    entries: list[dict[str, object]] = []
    floor, cum, previous_ratio = 0, Decimal(0), Decimal(0)
    for number, (leverage, cap, ratio_text) in enumerate(ladder, start=1):
        ratio = Decimal(ratio_text)
        cum += floor * (ratio - previous_ratio)
        entries.append(
            {
                "bracket": number,
                "initialLeverage": leverage,
                "notionalCap": cap,
                "notionalFloor": floor,
                "maintMarginRatio": float(ratio),
                "cum": float(cum),
            }
        )
        floor, previous_ratio = cap, ratio
    return entries


def max_notional(rules: MarketRules, leverage: int) -> int:
    """Return the largest position notional allowed at `leverage` (its bracket's cap)."""
    caps = [
        int(str(b["notionalCap"]))
        for b in brackets(rules)
        if int(str(b["initialLeverage"])) >= leverage
    ]
    return caps[-1] if caps else 0

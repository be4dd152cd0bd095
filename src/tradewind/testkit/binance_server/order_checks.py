"""The checks Binance makes on an order's numbers before the venue sees it, in its order.

First the parameter's precision (-1111: spot allows eight decimals, the assets'
precision; USDⓈ-M the symbol's `pricePrecision` / `quantityPrecision`), then the price
rules of exchangeInfo (spot PRICE_FILTER -1013; USDⓈ-M the tick size -4014), and last,
once the order reaches the matching engine, whether a stop or take-profit would trigger
at once against the last price (spot -2010, USDⓈ-M -2021): Binance refuses such an
order instead of firing it, so a client placing a stop on the wrong side learns it here.

The last price is the venue's price now (the open of its current minute), the price a
MARKET order gets and GET ticker/price answers.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import Side
from tradewind.testkit.binance_server import errors
from tradewind.testkit.binance_server import params as p

SPOT_PRECISION = 8  # baseAssetPrecision and quotePrecision of every listed spot symbol
SPOT_MAX_PRICE = Decimal(1_000_000)  # PRICE_FILTER maxPrice as exchangeInfo lists it


class Trigger(Enum):
    """Which way a conditional order waits for the price."""

    STOP = "stop"  # a SELL stop waits for the price to fall to it, a BUY stop to rise
    TAKE_PROFIT = "take_profit"  # the other way round


def places(value: Decimal) -> int:
    """Return how many decimals `value` needs (trailing zeros do not count)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def spot_quantity(params: p.Params, name: str = "quantity") -> Decimal:
    """Return a spot quantity; more than eight decimals is -1111."""
    value = p.decimal(params, name)
    if places(value) > SPOT_PRECISION:
        raise errors.too_much_precision(name)
    return value


def spot_price(params: p.Params, name: str, rules: MarketRules) -> Decimal | None:
    """Return a spot price parameter checked for precision (-1111) and PRICE_FILTER (-1013)."""
    value = p.optional_decimal(params, name)
    if value is None:
        return None
    if places(value) > SPOT_PRECISION:
        raise errors.too_much_precision(name)
    tick = rules.tick_size
    if value < tick or value > SPOT_MAX_PRICE or (tick and value % tick):
        raise errors.spot_filter_failure("PRICE_FILTER")
    return value


def futures_price(params: p.Params, name: str, rules: MarketRules) -> Decimal | None:
    """Return a USDⓈ-M price parameter checked for precision (-1111) and tick size (-4014)."""
    value = p.optional_decimal(params, name)
    if value is None:
        return None
    tick = rules.tick_size
    # pricePrecision counts the tick's digits as written: "0.10" allows two decimals.
    exponent = tick.as_tuple().exponent
    precision = max(0, -exponent) if isinstance(exponent, int) else 0
    if tick and places(value) > precision:
        raise errors.futures_too_much_precision()
    if tick and value % tick:
        raise errors.off_tick_size()
    return value


def would_trigger(trigger: Trigger, side: Side, level: Decimal, last: Decimal) -> bool:
    """Tell whether a conditional order at `level` would fire at once at the `last` price."""
    falls_to = (trigger is Trigger.STOP) == (side is Side.SELL)  # waits for a fall to level
    return level >= last if falls_to else level <= last

"""Spot wallet rules: symbol filters, MARKET fills and the base locked by protective orders.

Fees are the taker rate, charged as Binance charges them without BNB (docs/strategy.md
"Fees"): a BUY pays its fee in the asset it receives, the base, so it spends quantity x
price and receives quantity x (1 - rate); a SELL receives quantity x price - fee, in quote.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.exchange.simulated.errors import Refusal, VenueRejection, refused
from tradewind.adapters.exchange.simulated.lots import max_qty_rule
from tradewind.adapters.exchange.simulated.state import Account
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import floor_to_step, notional_of
from tradewind.domain.pnl import base_fee, taker_fee
from tradewind.domain.types import PositionType, Side


def check_spot_order(
    rules: MarketRules, quantity: Decimal, price: Decimal, *, limit_order: bool = False
) -> None:
    """Refuse a spot order that breaks the symbol's rules, naming the first broken.

    The rules are checked in this order: a positive quantity, the minimum and maximum
    quantity (a limit order's maximum is `lots.limit_max_qty`, above a MARKET order's),
    the step, then the minimum and maximum notional.
    """
    where = f"{rules.symbol} quantity {quantity}"
    if not quantity.is_finite() or quantity <= 0:
        raise _refused(Refusal.QUANTITY_NOT_POSITIVE, f"{where} is not positive")
    if rules.min_qty and quantity < rules.min_qty:
        raise _refused(Refusal.BELOW_MIN_QTY, f"{where} < minimum {rules.min_qty}", rules.min_qty)
    refusal, maximum = max_qty_rule(rules, limit_order)
    if maximum and quantity > maximum:
        raise _refused(refusal, f"{where} > maximum {maximum}", maximum)
    if rules.step and floor_to_step(quantity, rules.step) != quantity:
        raise _refused(Refusal.QUANTITY_OFF_STEP, f"{where} is not a multiple of {rules.step}")
    notional = notional_of(quantity, price)
    if rules.min_notional and notional < rules.min_notional:
        raise _refused(
            Refusal.BELOW_MIN_NOTIONAL,
            f"{rules.symbol} notional {notional} < minimum {rules.min_notional}",
            rules.min_notional,
        )
    if rules.max_notional and notional > rules.max_notional:
        raise _refused(
            Refusal.ABOVE_MAX_NOTIONAL,
            f"{rules.symbol} notional {notional} > maximum {rules.max_notional}",
            rules.max_notional,
        )


def _refused(refusal: Refusal, detail: str, limit: Decimal | None = None) -> VenueRejection:
    return refused(refusal, PositionType.SPOT, detail, limit=limit)


def _short(detail: str) -> VenueRejection:
    return refused(Refusal.INSUFFICIENT_BALANCE, PositionType.SPOT, detail)


def fill_spot_market(
    account: Account,
    rules: MarketRules,
    side: Side,
    quantity: Decimal,
    price: Decimal,
    fee_rate: Decimal,
) -> tuple[Decimal, str]:
    """Move the balances of a MARKET fill at `price`; return its fee and the fee's asset.

    A BUY's fee is taken from the base it receives, a SELL's from the quote. Refuses an
    order the free balance does not cover; nothing changes then.
    """
    base, quote = account.balance(rules.base_asset), account.balance(rules.quote_asset)
    notional = notional_of(quantity, price)
    if side is Side.BUY:
        if quote.free < notional:
            raise _short(
                f"buy {quantity} {rules.symbol} needs {notional} {rules.quote_asset}, "
                f"free {quote.free}"
            )
        fee = base_fee(quantity, fee_rate)
        quote.free -= notional
        base.free += quantity - fee
        return fee, rules.base_asset
    if base.free < quantity:
        raise _short(f"sell {quantity} {rules.symbol}: free {base.free} {rules.base_asset}")
    fee = taker_fee(price, quantity, fee_rate)
    base.free -= quantity
    quote.free += notional - fee
    return fee, rules.quote_asset


def lock_base(account: Account, rules: MarketRules, quantity: Decimal) -> None:
    """Set aside the base a protective SELL will deliver (as a one-cancels-other order does)."""
    base = account.balance(rules.base_asset)
    if base.free < quantity:
        raise _short(f"protect {quantity} {rules.symbol}: free {base.free} {rules.base_asset}")
    base.free -= quantity
    base.locked += quantity


def unlock_base(account: Account, rules: MarketRules, quantity: Decimal) -> None:
    """Give back the base a protection group had locked."""
    base = account.balance(rules.base_asset)
    base.locked -= quantity
    base.free += quantity


def fill_locked_sell(
    account: Account, rules: MarketRules, quantity: Decimal, price: Decimal, fee_rate: Decimal
) -> Decimal:
    """Sell locked base at a protective level; return the fee."""
    base, quote = account.balance(rules.base_asset), account.balance(rules.quote_asset)
    fee = taker_fee(price, quantity, fee_rate)
    base.locked -= quantity
    quote.free += notional_of(quantity, price) - fee
    return fee

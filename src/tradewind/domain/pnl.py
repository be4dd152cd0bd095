"""Fees and realized PnL (docs/strategy.md, "Fees" and "Realized PnL").

A spot BUY pays its fee in the base asset it receives, as Binance charges it without BNB:
the position holds the quantity less that fee, floored to the step (what can be sold),
and the fee counts in PnL valued at the fill price, so every fee a trade records is in
the quote asset.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.normalization import floor_to_step
from tradewind.domain.types import PositionSide


def taker_fee(price: Decimal, quantity: Decimal, rate: Decimal) -> Decimal:
    """Return the fee of one fill in the quote asset: taker rate × notional."""
    return price * quantity * rate


def base_fee(quantity: Decimal, rate: Decimal) -> Decimal:
    """Return a spot BUY's fee in the base asset it receives: taker rate × quantity."""
    return quantity * rate


def held_after_buy(quantity: Decimal, fee_in_base: Decimal, step: Decimal) -> Decimal:
    """Return what a spot BUY of `quantity` leaves a position to sell: the quantity less
    its base fee, floored to the step (the rest, under one step, stays in the account)."""
    return floor_to_step(max(quantity - fee_in_base, Decimal(0)), step)


def realized_pnl(
    side: PositionSide,
    entry_price: Decimal,
    exit_price: Decimal,
    quantity: Decimal,
    fees: Decimal,
) -> Decimal:
    """Return the PnL of a closed position net of both fills' fees."""
    move = exit_price - entry_price if side is PositionSide.LONG else entry_price - exit_price
    return move * quantity - fees

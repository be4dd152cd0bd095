"""Fees and realized PnL, in the quote asset (docs/strategy.md, "Realized PnL")."""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.types import PositionSide


def taker_fee(price: Decimal, quantity: Decimal, rate: Decimal) -> Decimal:
    """Return the fee of one fill: taker rate × notional, paid in the quote asset."""
    return price * quantity * rate


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

"""USDⓈ-M futures wallet rules (one-way mode): margin, positions, fills and liquidation.

Money model, in the margin asset (USDT):
- The wallet balance changes only by realized PnL and fees. Opening sets aside initial
  margin = notional / leverage; `available` = wallet - margin in use. An order needs
  margin + fee <= available (after any part of it that closes the position), else -2019.
- Symbols start in cross margin and at 1x, as on Binance. A leverage change applies to
  later fills; an open position keeps the margin it has.
- A fill against the position closes first; in one-way mode the rest opens the other way
  (never for reduce-only orders, which only ever close, and fill at most the position).
- Liquidation price, Binance's one-way formula with the first bracket (maintenance
  amount 0) and maintenance margin rate MMR = 0.4 %, Q the quantity, E the entry price,
  WB the margin backing the position (its isolated margin; for cross margin, that plus
  the available balance):
      long:  LP = (Q·E - WB) / (Q·(1 - MMR))      short: LP = (Q·E + WB) / (Q·(1 + MMR))
  rounded to the tick towards the entry; none when LP <= 0 (a 1x long). A position is
  liquidated when a candle reaches LP: closed at LP, its WB lost (realized PnL = -WB, no
  fee), so an isolated position never loses more than its margin.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

from tradewind.adapters.exchange.simulated import errors
from tradewind.adapters.exchange.simulated.state import ZERO, Account, Position
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import floor_to_step, notional_of
from tradewind.domain.pnl import taker_fee
from tradewind.domain.types import PositionSide, Side

MAINTENANCE_MARGIN_RATE = Decimal("0.004")
DEFAULT_MAX_LEVERAGE = 125
# Shares of cost and margin are kept to 18 decimals, so subtracting them is exact and the
# realized PnL of a position always adds up to its sells minus its buys.
_QUANTUM = Decimal("1e-18")
_PRECISION = 60


def check_futures_order(
    rules: MarketRules, quantity: Decimal, price: Decimal, reduce_only: bool
) -> None:
    """Raise the rejection Binance gives a USDⓈ-M MARKET order that breaks a filter."""
    where = f"{rules.symbol} quantity {quantity}"
    if not quantity.is_finite() or quantity <= 0:
        raise errors.quantity_not_positive(where)
    if rules.step and floor_to_step(quantity, rules.step) != quantity:
        raise errors.bad_precision(f"{where} is not a multiple of {rules.step}")
    if rules.min_qty and quantity < rules.min_qty:
        raise errors.quantity_below_min(f"{where} < minQty {rules.min_qty}")
    if rules.max_qty and quantity > rules.max_qty:
        raise errors.quantity_above_max(f"{where} > maxQty {rules.max_qty}")
    notional = notional_of(quantity, price)
    if not reduce_only and rules.min_notional and notional < rules.min_notional:
        raise errors.futures_min_notional(rules.min_notional, f"{rules.symbol} notional {notional}")


def check_leverage(rules: MarketRules, leverage: int) -> None:
    """Raise -4028 for a leverage below 1 or above the symbol's bracket maximum."""
    maximum = rules.max_leverage or DEFAULT_MAX_LEVERAGE
    if not 1 <= leverage <= maximum:
        raise errors.leverage_not_valid(leverage, f"{rules.symbol} allows 1 to {maximum}")


def _share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """Return amount x part / whole; all of it when part is the whole."""
    if part == whole:
        return amount
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return (amount * part / whole).quantize(_QUANTUM)


def _margin(notional: Decimal, leverage: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return (notional / leverage).quantize(_QUANTUM, rounding=ROUND_CEILING)


def _gross_pnl(position: Position, quantity: Decimal, cost: Decimal, price: Decimal) -> Decimal:
    proceeds = notional_of(quantity, price)
    return proceeds - cost if position.side is PositionSide.LONG else cost - proceeds


def fill_futures_market(
    account: Account,
    rules: MarketRules,
    side: Side,
    quantity: Decimal,
    price: Decimal,
    fee_rate: Decimal,
    reduce_only: bool,
) -> tuple[Decimal, Decimal, Decimal]:
    """Apply a MARKET fill at `price`; return (executed quantity, fee, realized PnL).

    The realized PnL is that of the part that closed the position, before the fee (as
    Binance's `realizedPnl` of a trade). Raises -2022 (reduce-only that would not reduce)
    or -2019 (margin insufficient); nothing changes then.
    """
    symbol, asset = rules.symbol, rules.quote_asset
    position = account.positions.get(symbol)
    reducing = position is not None and position.side.exit_side is side
    if reduce_only and not reducing:
        raise errors.reduce_only_rejected(f"{side.value} {quantity} {symbol} would not reduce")
    close_qty = min(quantity, position.quantity) if position is not None and reducing else ZERO
    open_qty = ZERO if reduce_only else quantity - close_qty
    executed = close_qty + open_qty
    fee = taker_fee(price, executed, fee_rate)
    leverage = account.leverage.get(symbol, 1)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if open_qty > 0:
            margin = _margin(notional_of(open_qty, price), leverage)
            freed = ZERO
            if position is not None and close_qty > 0:
                cost = _share(position.cost, close_qty, position.quantity)
                freed = _share(position.margin, close_qty, position.quantity)
                freed += _gross_pnl(position, close_qty, cost, price)
            if margin + fee > account.available(asset) + freed:
                raise errors.margin_insufficient(
                    f"{symbol}: margin {margin} + fee {fee} > available "
                    f"{account.available(asset) + freed} {asset}"
                )
        account.futures[asset] = account.futures.get(asset, ZERO) - fee
        realized = ZERO
        if position is not None and close_qty > 0:
            realized = _close(account, position, close_qty, price)
        if open_qty > 0:
            _open(account, rules, side, open_qty, price, leverage)
    return executed, fee, realized


def _close(account: Account, position: Position, quantity: Decimal, price: Decimal) -> Decimal:
    """Close `quantity` of `position` at `price`; return the realized PnL (before fees)."""
    cost = _share(position.cost, quantity, position.quantity)
    margin = _share(position.margin, quantity, position.quantity)
    asset = position.quote_asset
    pnl = _gross_pnl(position, quantity, cost, price)
    account.futures[asset] = account.futures.get(asset, ZERO) + pnl
    position.quantity -= quantity
    position.cost -= cost
    position.margin -= margin
    if position.quantity == 0:
        del account.positions[position.symbol]
    return pnl


def _open(
    account: Account,
    rules: MarketRules,
    side: Side,
    quantity: Decimal,
    price: Decimal,
    leverage: int,
) -> None:
    notional = notional_of(quantity, price)
    margin = _margin(notional, leverage)
    position = account.positions.get(rules.symbol)
    if position is None:
        account.positions[rules.symbol] = Position(
            symbol=rules.symbol,
            quote_asset=rules.quote_asset,
            side=PositionSide.LONG if side is Side.BUY else PositionSide.SHORT,
            quantity=quantity,
            cost=notional,
            margin=margin,
            isolated=account.isolated.get(rules.symbol, False),
        )
        return
    position.quantity += quantity
    position.cost += notional
    position.margin += margin


def backing_margin(account: Account, position: Position) -> Decimal:
    """Return the margin that stands behind `position` (WB of the liquidation formula)."""
    if position.isolated:
        return position.margin
    return position.margin + max(account.available(position.quote_asset), ZERO)


def liquidation_price(account: Account, rules: MarketRules, position: Position) -> Decimal | None:
    """Return the price at which `position` is liquidated, or None when it cannot be."""
    wb = backing_margin(account, position)
    q = position.quantity
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if position.side is PositionSide.LONG:
            price = (position.cost - wb) / (q * (1 - MAINTENANCE_MARGIN_RATE))
            rounding = ROUND_CEILING
        else:
            price = (position.cost + wb) / (q * (1 + MAINTENANCE_MARGIN_RATE))
            rounding = ROUND_FLOOR
        if rules.tick_size:
            price = (price / rules.tick_size).to_integral_value(rounding) * rules.tick_size
        else:
            price = price.quantize(_QUANTUM, rounding=rounding)
    return price if price > 0 else None


def beyond(side: PositionSide, price: Decimal, level: Decimal) -> bool:
    """Tell whether `price` is at or past `level` on the losing side of a position."""
    return price <= level if side is PositionSide.LONG else price >= level


def liquidate(account: Account, position: Position) -> Decimal:
    """Close `position` at its liquidation price, losing its backing margin; return the loss."""
    loss = backing_margin(account, position)
    asset = position.quote_asset
    account.futures[asset] = account.futures.get(asset, ZERO) - loss
    del account.positions[position.symbol]
    return loss

"""Linear (USDT-margined) futures wallet rules, one-way mode: margin, positions, fills and
liquidation.

Money model, in the margin asset (USDT):
- The wallet balance changes only by realized PnL and fees. Opening sets aside initial
  margin = notional / leverage; `available` = wallet - margin in use. An order needs
  margin + fee <= available (after any part of it that closes the position), else it is
  refused for insufficient margin.
- Symbols start in cross margin and at 1x. A leverage change applies to later fills; an
  open position keeps the margin it has.
- A fill against the position closes first; in one-way mode the rest opens the other way
  (never for reduce-only orders, which only ever close, and fill at most the position).
- Liquidation price, the usual one-way formula with the first margin bracket (maintenance
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

from tradewind.adapters.exchange.simulated.errors import Refusal, VenueRejection, refused
from tradewind.adapters.exchange.simulated.lots import max_qty_rule
from tradewind.adapters.exchange.simulated.state import ZERO, Account, Position
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import floor_to_step, notional_of
from tradewind.domain.pnl import taker_fee
from tradewind.domain.types import PositionSide, PositionType, Side

MAINTENANCE_MARGIN_RATE = Decimal("0.004")
DEFAULT_MAX_LEVERAGE = 125
# Shares of cost and margin are kept to 18 decimals, so subtracting them is exact and the
# realized PnL of a position always adds up to its sells minus its buys.
_QUANTUM = Decimal("1e-18")
_PRECISION = 60


def check_futures_order(
    rules: MarketRules,
    quantity: Decimal,
    price: Decimal,
    reduce_only: bool,
    *,
    limit_order: bool = False,
) -> None:
    """Refuse a futures order that breaks the symbol's rules, naming the first broken.

    The rules are checked in this order: a positive quantity, the step, the minimum and
    maximum quantity (a limit order's maximum is `lots.limit_max_qty`, above a MARKET
    order's), then the minimum notional (which a reduce-only order need not meet).
    """
    where = f"{rules.symbol} quantity {quantity}"
    if not quantity.is_finite() or quantity <= 0:
        raise _refused(Refusal.QUANTITY_NOT_POSITIVE, f"{where} is not positive")
    if rules.step and floor_to_step(quantity, rules.step) != quantity:
        raise _refused(Refusal.QUANTITY_OFF_STEP, f"{where} is not a multiple of {rules.step}")
    if rules.min_qty and quantity < rules.min_qty:
        raise _refused(
            Refusal.BELOW_MIN_QTY, f"{where} < minimum {rules.min_qty}", limit=rules.min_qty
        )
    refusal, maximum = max_qty_rule(rules, limit_order)
    if maximum and quantity > maximum:
        raise _refused(refusal, f"{where} > maximum {maximum}", limit=maximum)
    notional = notional_of(quantity, price)
    if not reduce_only and rules.min_notional and notional < rules.min_notional:
        raise _refused(
            Refusal.BELOW_MIN_NOTIONAL,
            f"{rules.symbol} notional {notional} < minimum {rules.min_notional}",
            limit=rules.min_notional,
        )


def check_leverage(rules: MarketRules, leverage: int) -> None:
    """Refuse a leverage below 1 or above the symbol's bracket maximum."""
    maximum = rules.max_leverage or DEFAULT_MAX_LEVERAGE
    if not 1 <= leverage <= maximum:
        raise _refused(
            Refusal.LEVERAGE_OUT_OF_RANGE,
            f"leverage {leverage}: {rules.symbol} allows 1 to {maximum}",
            value=leverage,
            limit=maximum,
        )


def _refused(
    refusal: Refusal,
    detail: str,
    *,
    value: int | None = None,
    limit: Decimal | int | None = None,
) -> VenueRejection:
    return refused(refusal, PositionType.FUTURES, detail, value=value, limit=limit)


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

    The realized PnL is that of the part that closed the position, before the fee (as a
    venue reports a trade's realized PnL). Refuses a reduce-only order that would not
    reduce, and an order the available margin does not cover; nothing changes then.
    """
    symbol, asset = rules.symbol, rules.quote_asset
    position = account.positions.get(symbol)
    reducing = position is not None and position.side.exit_side is side
    if reduce_only and not reducing:
        raise _refused(
            Refusal.WOULD_NOT_REDUCE,
            f"reduce-only {side.value} {quantity} {symbol} would not reduce",
        )
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
                raise _refused(
                    Refusal.INSUFFICIENT_MARGIN,
                    f"{symbol}: margin {margin} + fee {fee} > available "
                    f"{account.available(asset) + freed} {asset}",
                )
        account.futures[asset] = account.futures.get(asset, ZERO) - fee
        realized = ZERO
        if position is not None and close_qty > 0:
            realized = _close(account, position, close_qty, price)
        if open_qty > 0:
            _open(account, rules, side, open_qty, price, leverage)
    return executed, fee, realized


def required_margin(
    account: Account, rules: MarketRules, side: Side, quantity: Decimal, price: Decimal
) -> Decimal:
    """Return the margin of an order's opening part at `price`; refuse it when the
    available margin would not cover that.

    The part that would close the position needs no margin; the fee is checked at the fill.
    """
    position = account.positions.get(rules.symbol)
    reducing = position is not None and position.side.exit_side is side
    closing = position.quantity if position is not None and reducing else ZERO
    open_qty = max(quantity - closing, ZERO)
    if open_qty == 0:
        return ZERO
    leverage = account.leverage.get(rules.symbol, 1)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        margin = _margin(notional_of(open_qty, price), leverage)
    available = account.available(rules.quote_asset)
    if margin > available:
        raise _refused(
            Refusal.INSUFFICIENT_MARGIN,
            f"{rules.symbol}: margin {margin} > available {available} {rules.quote_asset}",
        )
    return margin


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
    # Margin set aside for resting orders still backs the position (it is the wallet's).
    asset = position.quote_asset
    return position.margin + max(account.available(asset) + account.order_margin(asset), ZERO)


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

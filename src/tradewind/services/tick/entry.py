"""Fund, size and send an entry as decided (`Enter`) (ARCHITECTURE.md §2, steps 6-7).

What an entry may cost is the exchange's to say: the market's rules, the leverage it
applies (futures), the free balance (topped up from spot when the bot asks for it). Those
answers go into the domain's pure `size_order`; an order the exchange would refuse is
not sent, and the bot says why.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tradewind.domain.decide import Enter, funding_shortfall, size_order, transfer_size
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.normalization import NoOrder
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.sizing import effective_leverage
from tradewind.domain.types import PositionSide, PositionType
from tradewind.ports import UnitOfWork
from tradewind.services.tick.sending import OrderDesk


def enter(desk: OrderDesk, entry: Enter, then: Callable[[UnitOfWork], None] | None = None) -> bool:
    """Open the position `entry` asks for if the funds allow; return True when it filled.

    `then` writes in the transaction that records the fill (see `OrderDesk.send_market`).
    """
    at, exchange = desk.at, desk.exchange
    bot, rules = at.bot, at.rules
    symbol, position_type = bot.config.symbol, rules.position_type
    futures = position_type is PositionType.FUTURES
    if entry.side is PositionSide.SHORT and not futures:
        raise ConfigurationError(f"bot {bot.id}: a spot bot cannot open a short position")
    market = exchange.market_rules(symbol, position_type)
    leverage = 1
    if futures:
        leverage = exchange.set_leverage(
            symbol, effective_leverage(rules.leverage, market.max_leverage)
        )
        exchange.set_isolated_margin(symbol)
    free = exchange.free_balance(market.quote_asset, position_type)
    shortfall = funding_shortfall(rules, free, leverage)
    if shortfall is not None:
        free = _top_up(desk, market.quote_asset, free, shortfall)
    sized = size_order(rules, entry, market, free, leverage)
    if isinstance(sized, NoOrder):
        bot.state.reason = f"{entry.signal.name} signal, but {sized}"
        return False
    return desk.send_market(entry.order_side, sized, OrderPurpose.ENTRY, then)


def _top_up(desk: OrderDesk, asset: str, free: Decimal, shortfall: Decimal) -> Decimal:
    """Move funds from spot to futures for what the futures wallet lacks."""
    exchange = desk.exchange
    spot = exchange.free_balance(asset, PositionType.SPOT)
    amount = transfer_size(desk.at.rules, shortfall, spot)
    if amount <= 0:
        return free
    exchange.transfer_spot_to_futures(asset, amount)
    return exchange.free_balance(asset, PositionType.FUTURES)

"""Compare the position a bot believes it holds with what its venue holds.

Asked when a runner starts (`tradewind.services.reconcile`) and by a tick that has just
settled an order whose outcome was unknown: the two moments the database and the venue
may have parted ways. A difference the fills cannot explain stops the bot: trading on a
position the venue does not hold is a loop of refused orders, or worse, an exposure the
bot does not know of.

Futures: one bot per (account, symbol) (refused at creation otherwise), so the venue's
net position must be the bot's, side and quantity. Spot: the wallet is shared by the
account's bots and its owner, so only a shortfall is a difference: the base asset the
wallet holds (free, and locked by resting exits) must cover the bot's position.
"""

from __future__ import annotations

from tradewind.domain.types import PositionType
from tradewind.ports import Bot, Exchange


def position_difference(exchange: Exchange, bot: Bot) -> str | None:
    """Say how the venue's position differs from the bot's; None when they agree.

    Raises the exchange port's errors (the caller decides whether to try again later).
    """
    symbol = bot.config.symbol
    held = bot.state.position
    if bot.config.position_type is PositionType.FUTURES:
        venue = exchange.position(symbol)
        if held is None and venue is None:
            return None
        if held is None:
            assert venue is not None
            return (
                f"the venue holds a {venue.side.value} {venue.quantity} {symbol} position "
                "the bot has no record of"
            )
        ours = f"the bot holds {held.side.value} {held.quantity} {symbol}"
        if venue is None:
            return f"{ours} but the venue holds no {symbol} position"
        if (venue.side, venue.quantity) != (held.side, held.quantity):
            return f"{ours} but the venue holds {venue.side.value} {venue.quantity}"
        return None
    if held is None:
        return None
    base = exchange.market_rules(symbol, PositionType.SPOT).base_asset
    holding = exchange.spot_holding(base)
    if holding < held.quantity:
        return (
            f"the bot holds {held.side.value} {held.quantity} {symbol} but the spot wallet "
            f"holds {holding} {base}"
        )
    return None


def mismatch_reason(difference: str) -> str:
    """Return the bot's error reason for a difference with its venue."""
    return (
        f"position differs from the venue: {difference}. Nothing more is sent: check the "
        "position on the exchange, settle it, then start the bot again"
    )

"""A bot's one decision at a slot (docs/strategy.md): protect, wait, pause, enter or close.

`decide` is pure. It takes the bot's rules as domain parameter objects (`TradingRules`),
the position it holds, today's tally and what the closed candles say (`Reading`), and
returns one `Decision`. The live tick and the backtester both call it: the tick at every
slot, the backtester at its event candles (its signals come from the vectorized form of
the strategy, so it builds the `Reading` itself).

Sizing is a second pure step, `size_order`, taken only when the decision is to enter:
the free balance and the leverage the exchange applied are the exchange's to say, so a
bot that waits never asks for them. Fills of resting exits are the venue's (the simulated
exchange and the backtester share `exits.exit_in_candle`), not a decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from tradewind.domain.candles import Candles, to_decimal
from tradewind.domain.exits import stop_loss_level, take_profit_level
from tradewind.domain.limits import DayTally, PauseReason, entry_pause_reason
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.normalization import NoOrder
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.params import DailyLimits, ExitRules, SizingRule
from tradewind.domain.sizing import quote_amount, size_entry
from tradewind.domain.strategies.base import StrategyChoice
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import ExitReason, PositionSide, PositionType, Side, Signal

# Room left for the taker fee when topping up a futures wallet (0.1 % of the notional).
FEE_ROOM = Decimal("0.001")
SPOT_SELL_WHILE_FLAT = "sell signal while flat: a spot bot has nothing to sell"
MARKET_DATA_BEHIND = "no closed candle for this slot yet (market data behind)"


@dataclass(frozen=True, slots=True)
class TradingRules:
    """A bot's settings as its decisions need them, built once from its config."""

    strategy: StrategyChoice[Any]
    exits: ExitRules
    sizing: SizingRule
    limits: DailyLimits
    position_type: PositionType
    leverage: int = 1  # as configured: 50 and the exchange's maximum cap it when sizing
    auto_transfer: bool = False  # futures: top the wallet up from spot when it is short
    transfer_amount: Decimal | None = None  # how much to move; None = what is missing


class Held(Protocol):
    """The position a bot holds, as a decision sees it."""

    @property
    def side(self) -> PositionSide: ...

    @property
    def quantity(self) -> Decimal: ...

    @property
    def entry_price(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class Reading:
    """What the closed candles say at a slot: the signal and the close it came at.

    `missing` says why there is nothing to read at a candle close (the data is behind).
    Between closes (exit-check slots) there is nothing to read: `NOTHING`.
    """

    signal: Signal = Signal.NONE
    price: Decimal | None = None
    missing: str | None = None


NOTHING = Reading()


def read_closed(
    strategy: StrategyChoice[Any], timeframe: str, slot: int, candles: Candles
) -> Reading:
    """Return what the candle of `timeframe` that closed at `slot` says (the newest one)."""
    if len(candles) < 2 or int(candles.open_time[-1]) + timeframe_seconds(timeframe) != slot:
        return Reading(missing=MARKET_DATA_BEHIND)
    return Reading(strategy.last_signal(candles), to_decimal(float(candles.close[-1])))


@dataclass(frozen=True, slots=True)
class Protect:
    """Rest these exit orders on the exchange for the position, which has none resting."""

    side: PositionSide
    quantity: Decimal
    entry_price: Decimal
    stop_loss: Decimal | None
    take_profit: Decimal | None
    trailing_rate: Decimal | None

    @property
    def purposes(self) -> tuple[OrderPurpose, ...]:
        """The exit orders asked for, in the order they are named (and placed)."""
        wanted = (
            (OrderPurpose.STOP_LOSS, self.stop_loss),
            (OrderPurpose.TAKE_PROFIT, self.take_profit),
            (OrderPurpose.TRAILING_STOP, self.trailing_rate),
        )
        return tuple(purpose for purpose, value in wanted if value is not None)


@dataclass(frozen=True, slots=True)
class Wait:
    """Do nothing now; `reason` says why when there is something new to say."""

    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Pause:
    """A daily limit stops new entries until the next UTC day; exits still run."""

    limit: PauseReason


@dataclass(frozen=True, slots=True)
class Enter:
    """Open a position on `signal`, sized at `price` (the close the bot decided at)."""

    side: PositionSide
    signal: Signal
    price: Decimal

    @property
    def order_side(self) -> Side:
        return self.side.entry_side


@dataclass(frozen=True, slots=True)
class Close:
    """Close the whole position (what is held when the order goes) with a MARKET order."""

    side: Side  # the order's side: SELL closes a long, BUY a short
    reason: ExitReason = ExitReason.SIGNAL


Decision = Protect | Wait | Pause | Enter | Close
_KEEP_WAITING = Wait()
_SPOT_SELL = Wait(SPOT_SELL_WHILE_FLAT)
_PAUSES = {limit: Pause(limit) for limit in PauseReason}
_CLOSES = {side: Close(side.exit_side) for side in PositionSide}


def decide(
    rules: TradingRules,
    position: Held | None,
    today: DayTally,
    reading: Reading,
    *,
    resting: bool = True,
) -> Decision:
    """Return what the bot does now, in the order the rule book gives.

    1. A position whose exit orders do not rest (`resting` False) is protected first;
       the caller decides again once they were placed (or tried).
    2. In a position, the opposite signal closes it; anything else waits.
    3. Flat: no signal waits (saying why when the data is behind); a daily limit reached
       pauses entries; a spot bot cannot sell what it does not hold; else it enters.
    """
    if position is not None:
        if not resting:
            protect = protection_for(rules.exits, position)
            if protect is not None:
                return protect
        closing = Signal.SELL if position.side is PositionSide.LONG else Signal.BUY
        if reading.signal is closing:
            return _CLOSES[position.side]
        return _KEEP_WAITING
    if reading.signal is Signal.NONE or reading.price is None:
        return _KEEP_WAITING if reading.missing is None else Wait(reading.missing)
    pause = entry_pause_reason(rules.limits, today)
    if pause is not None:
        return _PAUSES[pause]
    if reading.signal is Signal.SELL:
        if rules.position_type is PositionType.SPOT:
            return _SPOT_SELL
        return Enter(PositionSide.SHORT, Signal.SELL, reading.price)
    return Enter(PositionSide.LONG, Signal.BUY, reading.price)


def protection_for(exits: ExitRules, position: Held) -> Protect | None:
    """Return the exit orders a position needs resting, or None when no exit is set."""
    if exits.stop_loss is None and exits.take_profit is None and exits.trailing_stop is None:
        return None
    side, entry = position.side, position.entry_price
    return Protect(
        side=side,
        quantity=position.quantity,
        entry_price=entry,
        stop_loss=stop_loss_level(side, entry, exits),
        take_profit=take_profit_level(side, entry, exits),
        trailing_rate=exits.trailing_stop,
    )


def opens(signal: Signal, position_type: PositionType) -> PositionSide | None:
    """Return the side a flat bot opens on `signal` (what `decide` enters), or None."""
    if signal is Signal.BUY:
        return PositionSide.LONG
    if signal is Signal.SELL and position_type is PositionType.FUTURES:
        return PositionSide.SHORT
    return None


def size_order(
    rules: TradingRules, entry: Enter, market: MarketRules, free: Decimal, leverage: int
) -> Decimal | NoOrder:
    """Return the entry's normalized quantity, or why no order can be sent.

    `free` is the free quote balance of the wallet that pays and `leverage` the one the
    exchange applied (1 for spot): the exchange's answers, asked only to enter.
    """
    return size_entry(rules.sizing, free, entry.price, leverage, market)


def funding_shortfall(rules: TradingRules, free: Decimal, leverage: int) -> Decimal | None:
    """Return what a futures wallet lacks for the entry's margin and fees, or None.

    Only for bots that top their futures wallet up from spot (`auto_transfer`).
    """
    if not rules.auto_transfer or rules.position_type is not PositionType.FUTURES:
        return None
    needed = quote_amount(rules.sizing, free) * (1 + leverage * FEE_ROOM)
    return None if free >= needed else needed - free


def transfer_size(rules: TradingRules, shortfall: Decimal, spot_free: Decimal) -> Decimal:
    """Return how much to move from spot for `shortfall` (the set amount, if any)."""
    return min(rules.transfer_amount or shortfall, spot_free)

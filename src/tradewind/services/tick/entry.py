"""Signal, risk gate, sizing and the entry order (ARCHITECTURE.md §2, steps 5-7)."""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.candles import to_decimal
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.limits import DayTally, PauseReason, entry_pause_reason, utc_day
from tradewind.domain.normalization import NoOrder
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.sizing import effective_leverage, quote_amount, size_entry
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import PositionSide, PositionType, Signal
from tradewind.ports import Exchange, UnitOfWork
from tradewind.services.tick.context import Tick
from tradewind.services.tick.sending import send_market_order

# Room left for the taker fee when topping up the futures wallet (0.1 % of notional).
_FEE_ROOM = Decimal("0.001")


def closed_signal(tick: Tick) -> tuple[Signal, Decimal | None, str | None]:
    """Return the signal at the candle that closed at the slot, its close, or why none."""
    cfg = tick.bot.config
    candles = tick.deps.market_data.closed_candles(
        cfg.symbol, cfg.timeframe, cfg.position_type, tick.slot, tick.deps.history
    )
    if (
        len(candles) < 2
        or int(candles.open_time[-1]) + timeframe_seconds(cfg.timeframe) != tick.slot
    ):
        return Signal.NONE, None, "no closed candle for this slot yet (market data behind)"
    signal = cfg.strategy_choice().last_signal(candles)
    return signal, to_decimal(float(candles.close[-1])), None


def pause_reason(tick: Tick, tally: DayTally) -> PauseReason | None:
    """Return the daily limit that stops entries today, if any."""
    return entry_pause_reason(tick.bot.config.daily_limits(), tally)


def today(tick: Tick, uow: UnitOfWork | None = None) -> DayTally:
    """Return today's counters (the UTC day of the decision moment), read again after fills."""
    if tick.recorded:
        if uow is None:
            with tick.deps.uow() as own:
                tick.today = own.counters.get(tick.bot.id, utc_day(tick.slot))
        else:
            tick.today = uow.counters.get(tick.bot.id, utc_day(tick.slot))
        tick.recorded = False
    return tick.today


def enter(tick: Tick, exchange: Exchange, signal: Signal, price: Decimal) -> bool:
    """Open a position on `signal` if the rules allow; return True when it filled."""
    bot, cfg = tick.bot, tick.bot.config
    side = PositionSide.LONG if signal is Signal.BUY else PositionSide.SHORT
    futures = cfg.position_type is PositionType.FUTURES
    if side is PositionSide.SHORT and not futures:
        raise ConfigurationError(f"bot {bot.id}: a spot bot cannot open a short position")
    rules = exchange.market_rules(cfg.symbol, cfg.position_type)
    leverage = 1
    if futures:
        leverage = exchange.set_leverage(
            cfg.symbol, effective_leverage(cfg.leverage, rules.max_leverage)
        )
        exchange.set_isolated_margin(cfg.symbol)
    free = exchange.free_balance(rules.quote_asset, cfg.position_type)
    if futures and cfg.auto_transfer_funds:
        free = _top_up(tick, exchange, rules.quote_asset, free, leverage)
    sized = size_entry(cfg.sizing_rule(), free, price, leverage, rules)
    if isinstance(sized, NoOrder):
        bot.state.reason = f"{signal.name} signal, but {sized}"
        return False
    return send_market_order(tick, exchange, side.entry_side, sized, OrderPurpose.ENTRY)


def _top_up(tick: Tick, exchange: Exchange, asset: str, free: Decimal, leverage: int) -> Decimal:
    """Move funds from spot to futures when the wallet cannot cover the margin."""
    cfg = tick.bot.config
    margin = quote_amount(cfg.sizing_rule(), free)
    needed = margin * (1 + leverage * _FEE_ROOM)
    if free >= needed:
        return free
    spot = exchange.free_balance(asset, PositionType.SPOT)
    amount = min(cfg.transfer_amount or (needed - free), spot)
    if amount <= 0:
        return free
    exchange.transfer_spot_to_futures(asset, amount)
    return exchange.free_balance(asset, PositionType.FUTURES)

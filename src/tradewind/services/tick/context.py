"""What a tick works with: the ports (`TickDeps`), and the bot at its slot (`BotAtSlot`).

A tick holds no dependencies in its records and opens no transaction by itself: each step
is given the unit of work it writes in (or, around an exchange call, the factory of the
short ones it needs: never one open across the call).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.bots import BotState
from tradewind.domain.decide import TradingRules
from tradewind.domain.limits import DayTally
from tradewind.domain.orders import OrderStatus
from tradewind.domain.records import OrderRecord
from tradewind.ports import (
    AccountAccess,
    Bot,
    BotLock,
    Clock,
    Exchange,
    ExchangeProvider,
    MarketData,
    UnitOfWork,
)

# The fewest closed candles a decision reads (a strategy whose indicators need more reads
# its `history`); also what a batch fetches per market for all its bots at once.
INDICATOR_HISTORY = 1_000
_RULES_KEPT = 8192


@dataclass(frozen=True, slots=True)
class TickDeps:
    """The ports a tick needs; bootstrap builds one per process."""

    uow: Callable[[], UnitOfWork]
    exchanges: ExchangeProvider
    market_data: MarketData
    lock: BotLock
    clock: Clock
    history: int = INDICATOR_HISTORY
    # Venues whose bots decide on candles of their own (the workers' Binance bots on the
    # stream book, beside paper bots on the paper market); any other: `market_data`.
    venue_market_data: Mapping[ExchangeKind, MarketData] = field(default_factory=dict)

    def candles_of(self, venue: ExchangeKind) -> MarketData:
        """Return the market data the bots on `venue` accounts decide on."""
        return self.venue_market_data.get(venue, self.market_data)


class StateBook:
    """The bot's state and today's counters as the database holds them.

    A state is written only when it differs from the one last written (the claim wrote
    the run already); today's counters are read again only after a fill changed them.
    """

    __slots__ = ("_bot", "_day", "_saved", "_today", "_today_read")

    def __init__(self, bot: Bot, today: DayTally) -> None:
        self._bot = bot
        self._saved = _copy(bot.state)
        self._today = today
        self._today_read = True
        self._day = today.day

    def save(self, uow: UnitOfWork) -> None:
        """Write the bot's state in `uow`, and remember it as written."""
        uow.bots.save_state(self._bot.id, self._bot.state)
        self._saved = _copy(self._bot.state)

    def changed(self) -> bool:
        """Tell whether the state differs from the one the database holds."""
        return self._saved != self._bot.state

    def filled(self) -> None:
        """Note that a fill was recorded: today's counters are read again when next asked."""
        self._today_read = False

    def today(self, uow: UnitOfWork) -> DayTally:
        """Return today's counters, read again in `uow` if a fill changed them."""
        if not self._today_read:
            self._today = uow.counters.get(self._bot.id, self._day)
            self._today_read = True
        return self._today

    @property
    def tally(self) -> DayTally:
        """Return today's counters as last read: as loaded, unless a fill made them stale."""
        return self._today

    @property
    def stale(self) -> bool:
        """Tell whether a fill was recorded since today's counters were last read."""
        return not self._today_read


@dataclass(frozen=True, slots=True)
class BotAtSlot:
    """One claimed bot at one slot: what the tick decides on and writes about."""

    bot: Bot
    access: AccountAccess
    rules: TradingRules
    slot: int
    now: int
    open_orders: list[OrderRecord]  # loaded with the bot: unresolved and resting orders
    book: StateBook

    @classmethod
    def claimed(
        cls,
        bot: Bot,
        access: AccountAccess,
        open_orders: list[OrderRecord],
        today: DayTally,
        slot: int,
        now: int,
    ) -> BotAtSlot:
        """Return the bot as its claim loaded it (the claim recorded this run already)."""
        return cls(bot, access, rules_of(bot.config), slot, now, open_orders, StateBook(bot, today))

    def resting(self, client_ids: list[str]) -> bool:
        """Tell whether any of these orders still rests on the exchange (status NEW)."""
        wanted = set(client_ids)
        return any(
            o.client_order_id in wanted and o.status is OrderStatus.NEW for o in self.open_orders
        )

    def on_market(self, exchange: Exchange) -> BotAtSlot:
        """Return the bot with its stop-loss and take-profit levels on the market's price
        tick, as the exchange holds them (docs/strategy.md, "Exits"): the rules a tick that
        may rest or watch those levels decides with. Asks the exchange (its cached rules)
        only when the bot has such a level."""
        exits = self.rules.exits
        if exits.stop_loss is None and exits.take_profit is None:
            return self
        config = self.bot.config
        tick = exchange.market_rules(config.symbol, config.position_type).tick_size
        return replace(self, rules=replace(self.rules, exits=exits.on_tick(tick)))

    def protected(self) -> bool:
        """Tell whether the position's exit orders rest (a flat bot needs none)."""
        position = self.bot.state.position
        return position is None or self.resting(list(position.protection.values()))


# Configs are shared objects (one per distinct stored row), so their rules are built once.
_rules: dict[int, tuple[BotConfig, TradingRules]] = {}


def rules_of(config: BotConfig) -> TradingRules:
    """Return the bot's settings as the domain's parameter objects."""
    kept = _rules.get(id(config))
    if kept is not None and kept[0] is config:
        return kept[1]
    rules = TradingRules(
        strategy=config.strategy_choice(),
        exits=config.exit_rules(),
        sizing=config.sizing_rule(),
        limits=config.daily_limits(),
        position_type=config.position_type,
        leverage=config.leverage,
        auto_transfer=config.auto_transfer_funds,
        transfer_amount=config.transfer_amount,
    )
    if len(_rules) >= _RULES_KEPT:
        _rules.clear()
    _rules[id(config)] = (config, rules)
    return rules


def _copy(state: BotState) -> BotState:
    position = state.position
    if position is not None:
        position = replace(position, protection=dict(position.protection))
    return replace(state, position=position)

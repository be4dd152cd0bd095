"""The interfaces the services depend on. Adapters implement them; bootstrap wires them.

- `trading`: what a tick needs: exchange, market data, clock, bot lock, and the tick's
  unit of work (bots, orders, trades, counters, slots, outbox, account access).
- `manage`: managing users, accounts and bots (the CLI's and the API's use cases), a
  wider unit of work, so fakes of the tick's ports never grow what only management uses.
- `notify`: channels, routes, the dispatcher's outbox and the senders.
- `backtest`: where a backtest's candles and symbol rules come from.

Money crosses every port as `Decimal`; errors cross as the domain's error hierarchy
(`tradewind.domain.errors`): an adapter maps venue codes and exceptions to those types.
The entities and records the ports hand out live in `tradewind.domain`.

The package's names are loaded from their module on first use (PEP 562): a process that
needs one port, such as `tradewind backtest` reading `research`, does not import every
port's dependencies (pydantic among them) at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradewind.ports.backtest import BacktestSources
    from tradewind.ports.identity import (
        AttemptRepository,
        IdentityUnitOfWork,
        LoginRepository,
        NewToken,
        PasswordHasher,
        RecoveryCodeRepository,
        SessionRepository,
        TokenRepository,
        TotpCodes,
        TwoFactorRepository,
    )
    from tradewind.ports.manage import (
        AccountCatalog,
        BotCatalog,
        CounterHistory,
        CredentialCheck,
        ManageUnitOfWork,
        NewAccount,
        OrderHistory,
        TradeHistory,
        UserRepository,
    )
    from tradewind.ports.notify import (
        BotDay,
        Channel,
        ChannelRepository,
        ChannelSender,
        ChannelTarget,
        DeliveryJob,
        DeliveryRepository,
        DeliveryView,
        NewChannel,
        Notification,
        NotifyOutbox,
        NotifyUnitOfWork,
        Route,
        RouteRepository,
        SummaryRepository,
        event_id,
    )
    from tradewind.ports.trading import (
        AccountAccess,
        AccountRepository,
        Bot,
        BotLock,
        BotRepository,
        Clock,
        DailyCounterRepository,
        Exchange,
        ExchangeProvider,
        MarketData,
        OrderRepository,
        OutboxRepository,
        RunningBot,
        SlotRepository,
        TickLoad,
        TradeRepository,
        Transaction,
        UnitOfWork,
    )

# The module of each name the package exports.
_MODULES: dict[str, tuple[str, ...]] = {
    "backtest": ("BacktestSources",),
    "identity": (
        "AttemptRepository",
        "IdentityUnitOfWork",
        "LoginRepository",
        "NewToken",
        "PasswordHasher",
        "RecoveryCodeRepository",
        "SessionRepository",
        "TokenRepository",
        "TotpCodes",
        "TwoFactorRepository",
    ),
    "manage": (
        "AccountCatalog",
        "BotCatalog",
        "CounterHistory",
        "CredentialCheck",
        "ManageUnitOfWork",
        "NewAccount",
        "OrderHistory",
        "TradeHistory",
        "UserRepository",
    ),
    "notify": (
        "BotDay",
        "Channel",
        "ChannelRepository",
        "ChannelSender",
        "ChannelTarget",
        "DeliveryJob",
        "DeliveryRepository",
        "DeliveryView",
        "NewChannel",
        "Notification",
        "NotifyOutbox",
        "NotifyUnitOfWork",
        "Route",
        "RouteRepository",
        "SummaryRepository",
        "event_id",
    ),
    "trading": (
        "AccountAccess",
        "AccountRepository",
        "Bot",
        "BotLock",
        "BotRepository",
        "Clock",
        "DailyCounterRepository",
        "Exchange",
        "ExchangeProvider",
        "MarketData",
        "OrderRepository",
        "OutboxRepository",
        "RunningBot",
        "SlotRepository",
        "TickLoad",
        "TradeRepository",
        "Transaction",
        "UnitOfWork",
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "AccountAccess",
    "AccountCatalog",
    "AccountRepository",
    "AttemptRepository",
    "BacktestSources",
    "Bot",
    "BotCatalog",
    "BotDay",
    "BotLock",
    "BotRepository",
    "Channel",
    "ChannelRepository",
    "ChannelSender",
    "ChannelTarget",
    "Clock",
    "CounterHistory",
    "CredentialCheck",
    "DailyCounterRepository",
    "DeliveryJob",
    "DeliveryRepository",
    "DeliveryView",
    "Exchange",
    "ExchangeProvider",
    "IdentityUnitOfWork",
    "LoginRepository",
    "ManageUnitOfWork",
    "MarketData",
    "NewAccount",
    "NewChannel",
    "NewToken",
    "Notification",
    "NotifyOutbox",
    "NotifyUnitOfWork",
    "OrderHistory",
    "OrderRepository",
    "OutboxRepository",
    "PasswordHasher",
    "RecoveryCodeRepository",
    "Route",
    "RouteRepository",
    "RunningBot",
    "SessionRepository",
    "SlotRepository",
    "SummaryRepository",
    "TickLoad",
    "TokenRepository",
    "TotpCodes",
    "TradeHistory",
    "TradeRepository",
    "Transaction",
    "TwoFactorRepository",
    "UnitOfWork",
    "UserRepository",
    "event_id",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value

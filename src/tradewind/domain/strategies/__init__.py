"""The strategies a bot can trade with, by name: one module each, one line here.

Everything else (the bot config, the CLI, the tick, the backtester, the API) asks this
registry, so adding a strategy touches its module, its section of `docs/strategy.md`,
its tests and the tuple below — nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradewind.domain.errors import DomainError
from tradewind.domain.strategies.base import (
    ParamError,
    ParamInfo,
    ParamSpec,
    SignalArray,
    Strategy,
    StrategyChoice,
    param,
    params_of,
)
from tradewind.domain.strategies.bollinger_rsi import BOLLINGER_RSI
from tradewind.domain.strategies.ema_rsi import EMA_RSI

STRATEGIES: Mapping[str, Strategy[Any]] = {s.name: s for s in (EMA_RSI, BOLLINGER_RSI)}
DEFAULT_STRATEGY = "ema_rsi"


class UnknownStrategyError(DomainError):
    """No strategy has that name; the message names the ones there are."""


def strategy_named(name: str) -> Strategy[Any]:
    """Return the registered strategy `name`, or raise naming the valid ones."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise UnknownStrategyError(
            f"unknown strategy {name!r}; choose one of: {', '.join(sorted(STRATEGIES))}"
        ) from None


__all__ = [
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "ParamError",
    "ParamInfo",
    "ParamSpec",
    "SignalArray",
    "Strategy",
    "StrategyChoice",
    "UnknownStrategyError",
    "param",
    "params_of",
    "strategy_named",
]

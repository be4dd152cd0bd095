"""A bot config read without pydantic, for `tradewind backtest --quiet` given plain flags.

Importing pydantic and building `BotConfig` costs a quick backtest a fifth of its CPU
time. `plain_bot_config` builds the same settings from fields that are all plainly
valid (a digits-only number within its bounds, a known timeframe, an upper-case symbol,
the default strategy) and returns None for anything else, so that `BotConfig` validates
it and names whatever is wrong. It never refuses and never decides a doubtful value: a
field it does not accept plainly goes to the model. Its tests build both from the same
fields and compare every field and every derived setting.

The settings a config works out from its fields (exits as fractions, sizing, limits,
warnings) are functions of the fields here, used by `BotConfig` too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Protocol

from tradewind.domain.bounds import MAX_AMOUNT, MAX_AMOUNT_DECIMALS, MAX_COUNT, MAX_NAME_LENGTH
from tradewind.domain.params import (
    MAX_LEVERAGE,
    MAX_VENUE_LEVERAGE,
    TRAILING_STEP,
    DailyLimits,
    ExitRules,
    SizingRule,
    venue_trailing_rate,
)
from tradewind.domain.sizing import effective_leverage
from tradewind.domain.strategies import (
    DEFAULT_STRATEGY,
    STRATEGIES,
    Strategy,
    StrategyChoice,
    params_of,
)
from tradewind.domain.types import PositionType, Symbol

TIMEFRAMES = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")
# Digits, at most one point inside them: no sign, exponent, space, underscore or NaN.
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,13}(\.[0-9]{1,16})?")
_PLAIN_INT = re.compile(r"[1-9][0-9]{0,6}")
_SYMBOL = re.compile(r"[A-Z0-9]{2,20}")
# The flat names of parameters: alias -> (strategy name, parameter name).
ALIASES: Mapping[str, tuple[str, str]] = {
    info.spec.alias: (name, info.name)
    for name, strategy in STRATEGIES.items()
    for info in params_of(strategy.params_type)
    if info.spec.alias is not None
}
_PERCENTS = ("custom_stop_loss", "custom_take_profit", "custom_trailing_stop")
_AMOUNTS = ("position_size_fixed", "max_daily_loss", "daily_profit_target", "transfer_amount")


class StrategyFields(Protocol):
    """A config's strategy: its name with its parameters."""

    def choice(self) -> StrategyChoice[Any]: ...
    def params(self) -> Any: ...


class ConfigFields(Protocol):
    """The fields of a bot config that its derived settings are worked out from."""

    @property
    def strategy(self) -> StrategyFields: ...

    @property
    def position_type(self) -> PositionType: ...
    @property
    def leverage(self) -> int: ...
    @property
    def custom_stop_loss(self) -> Decimal | None: ...
    @property
    def custom_take_profit(self) -> Decimal | None: ...
    @property
    def custom_trailing_stop(self) -> Decimal | None: ...
    @property
    def position_size_fixed(self) -> Decimal | None: ...
    @property
    def position_size_perc(self) -> Decimal | None: ...
    @property
    def max_daily_trades(self) -> int | None: ...
    @property
    def max_daily_loss(self) -> Decimal | None: ...
    @property
    def daily_profit_target(self) -> Decimal | None: ...
    @property
    def auto_transfer_funds(self) -> bool: ...
    @property
    def transfer_amount(self) -> Decimal | None: ...


class DerivedSettings:
    """What a config works out from its fields, for the tick and the backtester: one
    definition for `BotConfig` and `PlainBotConfig` (a mixin without fields, so pydantic
    adds none)."""

    __slots__ = ()

    @property
    def effective_leverage(self: ConfigFields) -> int:
        """Return the leverage used before the exchange's cap: min(leverage, 50)."""
        return effective_leverage(self.leverage, 0)

    @property
    def warnings(self: ConfigFields) -> list[str]:
        """Return what was accepted but will not act as written."""
        return config_warnings(self)

    def strategy_choice(self: ConfigFields) -> StrategyChoice[Any]:
        """Return the strategy with its parameters, for the tick and the backtester."""
        return self.strategy.choice()

    def strategy_params(self: ConfigFields) -> Any:
        """Return the strategy's parameters as the domain's dataclass (e.g. EmaRsiParams)."""
        return self.strategy.params()

    def exit_rules(self: ConfigFields) -> ExitRules:
        """Return the protective exits as fractions (2% -> 0.02)."""
        return exit_rules_of(self)

    def sizing_rule(self: ConfigFields) -> SizingRule:
        """Return how much quote each entry commits."""
        return sizing_rule_of(self)

    def daily_limits(self: ConfigFields) -> DailyLimits:
        """Return the per-UTC-day caps on new entries."""
        return daily_limits_of(self)


def config_warnings(config: ConfigFields) -> list[str]:
    """Return what was accepted but will not act as written."""
    notes: list[str] = []
    if config.leverage > MAX_LEVERAGE:
        notes.append(f"leverage {config.leverage} capped at {MAX_LEVERAGE}")
    if config.position_size_fixed is not None and config.position_size_perc is not None:
        notes.append("position_size_perc is ignored because position_size_fixed is set")
    if config.auto_transfer_funds and config.position_type is PositionType.SPOT:
        notes.append("auto_transfer_funds has no effect on a spot bot")
    if config.transfer_amount is not None and not config.auto_transfer_funds:
        notes.append("transfer_amount has no effect while auto_transfer_funds is off")
    trailing = fraction(config.custom_trailing_stop)
    if trailing is not None:
        rested = venue_trailing_rate(trailing, config.position_type)
        if rested != trailing:
            notes.append(
                f"custom_trailing_stop {config.custom_trailing_stop} % rests as "
                f"{rested.scaleb(2).normalize():f} % (the exchange takes a "
                f"{config.position_type.value} trailing stop in steps of "
                f"{TRAILING_STEP[config.position_type].scaleb(2).normalize():f} %)"
            )
    return notes


def exit_rules_of(config: ConfigFields) -> ExitRules:
    """Return the protective exits as fractions (2% -> 0.02)."""
    return ExitRules(
        stop_loss=fraction(config.custom_stop_loss),
        take_profit=fraction(config.custom_take_profit),
        trailing_stop=_rested(fraction(config.custom_trailing_stop), config.position_type),
    )


def _rested(trailing: Decimal | None, position_type: PositionType) -> Decimal | None:
    # The distance the exchange rests (config_warnings says when it is not as written).
    return None if trailing is None else venue_trailing_rate(trailing, position_type)


def sizing_rule_of(config: ConfigFields) -> SizingRule:
    """Return how much quote each entry commits."""
    return SizingRule(
        fixed_quote=config.position_size_fixed,
        balance_fraction=fraction(config.position_size_perc),
    )


def daily_limits_of(config: ConfigFields) -> DailyLimits:
    """Return the per-UTC-day caps on new entries."""
    return DailyLimits(
        max_trades=config.max_daily_trades,
        max_loss=config.max_daily_loss,
        profit_target=config.daily_profit_target,
    )


def fraction(percent: Decimal | None) -> Decimal | None:
    # scaleb shifts the exponent, so 2.5 % becomes exactly 0.025 (no division rounding).
    return None if percent is None else percent.scaleb(-2)


@dataclass(frozen=True, slots=True)
class PlainStrategy:
    """A strategy with its default parameters, as `BotConfig.strategy` shows it."""

    strategy: Strategy[Any]
    parameters: Any

    @property
    def name(self) -> str:
        return self.strategy.name

    def param_values(self) -> dict[str, Any]:
        """Return the parameters by name, without the strategy's name."""
        return {
            info.name: getattr(self.parameters, info.name)
            for info in params_of(self.strategy.params_type)
        }

    def params(self) -> Any:
        return self.parameters

    def choice(self) -> StrategyChoice[Any]:
        return StrategyChoice(self.strategy, self.parameters)


@dataclass(frozen=True, slots=True)
class PlainBotConfig(DerivedSettings):
    """A bot config's fields as `BotConfig` holds them, with the same derived settings."""

    name: str
    symbol: Symbol
    timeframe: str
    position_type: PositionType
    strategy: PlainStrategy
    leverage: int = 1
    custom_stop_loss: Decimal | None = None
    custom_take_profit: Decimal | None = None
    custom_trailing_stop: Decimal | None = None
    position_size_fixed: Decimal | None = None
    position_size_perc: Decimal | None = None
    max_daily_trades: int | None = None
    max_daily_loss: Decimal | None = None
    daily_profit_target: Decimal | None = None
    auto_transfer_funds: bool = False
    transfer_amount: Decimal | None = None


FIELDS = frozenset(f.name for f in fields(PlainBotConfig))


def plain_bot_config(given: Mapping[str, object]) -> PlainBotConfig | None:
    """Return the config of these fields when every one is plainly valid, else None (the
    pydantic `BotConfig` then validates them and says what is wrong)."""
    if not given.keys() <= FIELDS - {"strategy", "auto_transfer_funds"}:
        return None  # a strategy or its parameters, a switch, an unknown name: the model's
    text = {name: value for name, value in given.items() if isinstance(value, str)}
    if len(text) != len(given):
        return None  # a number or a table, as a config file gives them: the model's
    try:
        values: dict[str, Any] = {
            "name": _name(text["name"]),
            "symbol": _symbol(text["symbol"]),
            "timeframe": _timeframe(text["timeframe"]),
            "position_type": PositionType(text["position_type"]),
        }
        for name in _PERCENTS:
            if name in text:
                values[name] = _decimal(text[name], below=Decimal(100))
        if "position_size_perc" in text:
            values["position_size_perc"] = _decimal(text["position_size_perc"], most=Decimal(100))
        for name in _AMOUNTS:
            if name in text:
                values[name] = _decimal(text[name], most=MAX_AMOUNT)
        if "max_daily_trades" in text:
            values["max_daily_trades"] = _count(text["max_daily_trades"], MAX_COUNT)
        if "leverage" in text:
            values["leverage"] = _count(text["leverage"], MAX_VENUE_LEVERAGE)
    except (KeyError, ValueError):
        return None
    if values["position_type"] is PositionType.SPOT and values.get("leverage", 1) != 1:
        return None
    strategy = STRATEGIES[DEFAULT_STRATEGY]
    return PlainBotConfig(strategy=PlainStrategy(strategy, strategy.params_type()), **values)


def _name(value: str) -> str:
    if not 1 <= len(value) <= MAX_NAME_LENGTH or value != value.strip():
        raise ValueError(value)
    return value


def _symbol(value: str) -> Symbol:
    if not _SYMBOL.fullmatch(value):
        raise ValueError(value)
    return Symbol(value)


def _timeframe(value: str) -> str:
    if value not in TIMEFRAMES:
        raise ValueError(value)
    return value


def _decimal(value: str, *, below: Decimal | None = None, most: Decimal | None = None) -> Decimal:
    """A number > 0 written as digits with at most 16 decimals, under `below` or at most
    `most` (MAX_AMOUNT_DECIMALS - 2 decimals fit every field: a percent's fraction too)."""
    if not _PLAIN_DECIMAL.fullmatch(value):
        raise ValueError(value)
    number = Decimal(value)
    if not (
        number > 0
        and (below is None or number < below)
        and (most is None or number <= most)
        and -int(number.as_tuple().exponent) <= MAX_AMOUNT_DECIMALS - 2
    ):
        raise ValueError(value)
    return number


def _count(value: str, most: int) -> int:
    if not _PLAIN_INT.fullmatch(value) or int(value) > most:
        raise ValueError(value)
    return int(value)

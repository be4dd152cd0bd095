"""A bot's strategy as a config field, built from the strategy registry at import.

Each registered strategy gets a pydantic model (`EmaRsiSettings`, ...) generated from its
parameters dataclass: one field per `param(...)`, with its default, description and
bounds, and `name` fixed to the strategy's name. `StrategyField` is the union of them,
told apart by `name`. A validated model builds the domain's parameters dataclass at once,
so its `__post_init__` rules (`ParamError`) become validation errors naming the parameter.

A config may also give a parameter under the flat name it had before strategies were
plugins (`ParamSpec.alias`, e.g. `custom_ema_fast` for ema_rsi's `ema_fast`):
`gather_strategy` moves such names into the strategy's table. Nothing here names a
strategy; a new one in the registry is a new member of the union.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Mapping
from functools import reduce
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tradewind.bot_config.plain import ALIASES
from tradewind.domain.strategies import (
    DEFAULT_STRATEGY,
    STRATEGIES,
    ParamError,
    ParamInfo,
    Strategy,
    StrategyChoice,
    params_of,
)

# (the problem's field, its rule) for a flat parameter name that cannot be gathered.
AliasProblem = tuple[str, str]


def _no_bool(value: object) -> object:
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "must be a number, not true/false")
    return value


class StrategySettings(BaseModel):
    """A strategy by name with its parameters, validated; subclassed once per strategy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: ClassVar[Strategy[Any]]
    name: str
    _params: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _build_params(self) -> StrategySettings:
        try:
            self._params = self.strategy.params_type(**self.param_values())
        except ParamError as e:
            raise PydanticCustomError(
                "strategy_param", "{rule}", {"field": e.field, "rule": e.rule}
            ) from e
        return self

    def param_values(self) -> dict[str, Any]:
        """Return the parameters by name, without the strategy's name."""
        return {name: getattr(self, name) for name in type(self).model_fields if name != "name"}

    def params(self) -> Any:
        """Return the domain's parameters dataclass of the strategy."""
        return self._params

    def choice(self) -> StrategyChoice[Any]:
        """Return the strategy with its parameters, for the tick and the backtester."""
        return StrategyChoice(self.strategy, self._params)


def _field(info: ParamInfo) -> Any:
    spec = info.spec
    bounds = Field(
        description=spec.description, ge=spec.ge, gt=spec.gt, le=spec.le, lt=spec.lt,
        allow_inf_nan=False if info.type is float else None,
    )  # fmt: skip
    # The bounds before the validator, so the JSON schema states them as JSON schema does.
    return (Annotated[info.type, bounds, BeforeValidator(_no_bool)], info.default)


def _literal(value: str) -> Any:
    return Literal[value]


def _settings_model(strategy: Strategy[Any]) -> type[StrategySettings]:
    title = "".join(part.capitalize() for part in strategy.name.split("_")) + "Settings"
    model: type[StrategySettings] = create_model(
        title,
        __base__=StrategySettings,
        __doc__=strategy.summary,
        name=(_literal(strategy.name), strategy.name),
        **{info.name: _field(info) for info in params_of(strategy.params_type)},
    )
    model.strategy = strategy
    return model


SETTINGS: Mapping[str, type[StrategySettings]] = {
    name: _settings_model(strategy) for name, strategy in STRATEGIES.items()
}

if TYPE_CHECKING:
    StrategyField = StrategySettings
else:
    StrategyField = Annotated[reduce(operator.or_, SETTINGS.values()), Field(discriminator="name")]


def default_settings() -> StrategySettings:
    """Return the default strategy with its default parameters."""
    return SETTINGS[DEFAULT_STRATEGY].model_validate({})


def as_table(value: object) -> dict[str, Any] | None:
    """Return a strategy given as a name, a mapping or settings as a plain dict, else None."""
    if isinstance(value, StrategySettings):
        return value.model_dump()
    if isinstance(value, str):
        return {"name": value}
    if isinstance(value, Mapping):
        return dict(value)
    return None


def strategy_table(value: object) -> object:
    """Return the strategy field's input with a known `name`, or refuse it by rule."""
    if isinstance(value, StrategySettings):
        return value
    table = as_table(value)
    if table is None:
        raise PydanticCustomError(
            "strategy_type",
            "must be a strategy name or a table of its name and parameters (got {value})",
            {"value": repr(value)},
        )
    name = table.setdefault("name", DEFAULT_STRATEGY)
    if name not in STRATEGIES:
        close = difflib.get_close_matches(str(name), STRATEGIES, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise PydanticCustomError(
            "unknown_strategy",
            "unknown strategy (got {name}); choose one of: {names}{hint}",
            {"name": repr(name), "names": ", ".join(sorted(STRATEGIES)), "hint": hint},
        )
    return table


def gather_strategy(
    fields: Mapping[str, Any], default: str | None = DEFAULT_STRATEGY
) -> tuple[dict[str, Any], list[AliasProblem]]:
    """Move flat parameter names (`custom_ema_fast`) into the strategy's table.

    A table without a name stands for `default`; with `default` None (one layer of
    several, whose strategy a lower layer may name) any strategy's flat names are moved.
    A flat name is left where it is, with a problem, when it belongs to another strategy
    than the one named, or when the table gives the same parameter too.
    """
    flat = [key for key in fields if key in ALIASES]
    if not flat:
        return dict(fields), []
    out = dict(fields)
    table = as_table(out.get("strategy", {}))
    if table is None:
        return out, []  # not a strategy at all: the field's own validation says so
    name = table.get("name", default)
    problems: list[AliasProblem] = []
    for alias in flat:
        owner, param = ALIASES[alias]
        if name in STRATEGIES and name != owner:
            problems.append((alias, f"is a parameter of {owner}, not of {name}"))
        elif param in table:
            problems.append((alias, f"is also given as strategy.{param}; give one of the two"))
        else:
            table[param] = out.pop(alias)
    out["strategy"] = table
    return out, problems


def merge_config_fields(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Merge config fields, later layers winning, the strategy's parameters one by one.

    A layer's strategy parameters update those below when it names the same strategy or
    none; a layer naming another strategy replaces the strategy with its parameters.
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        gathered, _ = gather_strategy(layer, default=None)
        below, above = as_table(merged.get("strategy")), as_table(gathered.get("strategy"))
        merged |= gathered
        if below is not None and above is not None:
            named_below = below.get("name", DEFAULT_STRATEGY)
            if above.get("name", named_below) == named_below:
                merged["strategy"] = below | above
    return merged


def unknown_parameter(strategy_name: str, given: str) -> str:
    """Say that `given` is no parameter of the strategy, naming the ones it has."""
    names = [info.name for info in params_of(STRATEGIES[strategy_name].params_type)]
    close = difflib.get_close_matches(given, names, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unknown parameter of {strategy_name}{hint} ({strategy_name} takes: {', '.join(names)})"

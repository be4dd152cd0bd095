"""The bot config's command-line options, declared once: built from `BotConfig` and the
strategy registry, for every command that takes a bot config.

Each `BotConfig` field is an option of its name (`position_size_fixed` ->
`--position-size-fixed`) whose help is the field's description; the strategy is
`--strategy NAME` with repeatable `--param KEY=VALUE`, and each strategy parameter's
former flat name (`ParamSpec.alias`, e.g. `--custom-ema-fast`) is an option too. A new
field or strategy parameter is an option of every such command without a line here.

`with_config_options` adds the options to a command and hands it what was given as one
`ConfigFlags`; the command turns that into config fields inside its own error handling,
so a malformed `--param` is reported like any other bad input.
"""

from __future__ import annotations

import enum
import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import typer

from tradewind.bot_config import ALIASES, BotConfig
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.strategies import DEFAULT_STRATEGY, STRATEGIES, params_of

STRATEGY_PANEL = "Strategy (overrides --config)"
_SEPARATE = frozenset(("strategy",))  # fields with options of their own below
_METAVARS = {int: "INTEGER", float: "NUMBER", Decimal: "NUMBER", str: "TEXT"}


@dataclass(frozen=True, slots=True)
class ConfigFlags:
    """The bot config options given on the command line (None = not given)."""

    given: Mapping[str, Any]

    def fields(self) -> dict[str, object]:
        """Return the given options as bot config fields; the strategy as a table."""
        fields: dict[str, object] = {}
        strategy: dict[str, object] = {}
        for name, value in self.given.items():
            if value is None:
                continue
            if name == "strategy":
                strategy["name"] = value
            elif name == "param":
                strategy |= _parameters(value)
            else:
                fields[name] = value
        if strategy:
            fields["strategy"] = strategy
        return fields


def _parameters(items: list[str]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for item in items:
        key, equals, value = (part.strip() for part in item.partition("="))
        if not equals or not key:
            raise ConfigurationError(f"--param: expected KEY=VALUE, e.g. ema_fast=5 (got {item!r})")
        if key in parameters:
            raise ConfigurationError(f"--param: {key} is given twice")
        parameters[key] = value
    return parameters


def with_config_options(
    *, panel: str, skip: frozenset[str] = frozenset(), defaults: Mapping[str, str] | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Add the bot config options to a command that takes `config_flags: ConfigFlags`.

    `skip` leaves fields out; `defaults` says in the help what an unset field becomes.
    """
    options = [*_field_options(panel, skip, defaults or {}), *_strategy_options()]
    names = [option.name for option in options]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(command, eval_str=True)

        @functools.wraps(command)
        def run(**given: Any) -> None:
            flags = ConfigFlags({name: given.pop(name) for name in names})
            command(**given, config_flags=flags)

        kept = [p for p in own.parameters.values() if p.name != "config_flags"]
        run.__signature__ = own.replace(parameters=[*kept, *options])  # type: ignore[attr-defined]
        return run

    return decorate


def _option(name: str, kind: Any, flag: str, **settings: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[kind, typer.Option(flag, **settings)],
    )


def _field_options(
    panel: str, skip: frozenset[str], defaults: Mapping[str, str]
) -> list[inspect.Parameter]:
    options = []
    for name, field in BotConfig.model_fields.items():
        if name in skip or name in _SEPARATE:
            continue
        flag = "--" + name.replace("_", "-")
        core = _core_type(field.annotation)
        shown_default = defaults.get(name)
        if shown_default is None and field.default not in (None, False, ...):
            shown_default = str(field.default)
        help_text = (field.description or "") + (
            f" Default: {shown_default}." if shown_default else ""
        )
        if core is bool:
            decls = f"{flag}/--no-{flag[2:]}"
            options.append(_option(name, bool | None, decls, help=help_text, rich_help_panel=panel))
            continue
        options.append(
            _option(name, str | None, flag, metavar=_metavar(core),
                    help=help_text, rich_help_panel=panel)
        )  # fmt: skip
    return options


def _strategy_options() -> list[inspect.Parameter]:
    names = ", ".join(sorted(STRATEGIES))
    options = [
        _option(
            "strategy", str | None, "--strategy", metavar="NAME",
            help=f"The strategy: {names}. Default: {DEFAULT_STRATEGY}. "
            "See `tradewind strategies`.",
            rich_help_panel=STRATEGY_PANEL,
        ),
        _option(
            "param", list[str] | None, "--param", metavar="KEY=VALUE",
            help="A parameter of the strategy, e.g. ema_fast=5; repeat for more.",
            rich_help_panel=STRATEGY_PANEL,
        ),
    ]  # fmt: skip
    for alias, (strategy, parameter) in ALIASES.items():
        info = next(i for i in params_of(STRATEGIES[strategy].params_type) if i.name == parameter)
        options.append(
            _option(alias, str | None, "--" + alias.replace("_", "-"),
                    metavar=_metavar(info.type),
                    help=f"{info.spec.description} Same as --param {parameter}=… ({strategy}).",
                    rich_help_panel=STRATEGY_PANEL)
        )  # fmt: skip
    return options


def _core_type(annotation: Any) -> Any:
    """Return the type inside Annotated[...] and Optional[...]."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def _metavar(core: Any) -> str:
    if typing.get_origin(core) is typing.Literal:
        return "|".join(str(choice) for choice in typing.get_args(core))
    if isinstance(core, type) and issubclass(core, enum.Enum):
        return "|".join(str(member.value) for member in core)
    return _METAVARS.get(core, "TEXT")

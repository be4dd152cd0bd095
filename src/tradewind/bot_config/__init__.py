"""The validated bot configuration (pydantic): the model, its strategy field built from
the strategy registry, its error messages and its TOML files; and the plain reading of
plain fields (`plain`) that a quick backtest uses without pydantic.

The package's names are loaded from their module on first use (PEP 562), so importing
`tradewind.bot_config.plain` does not import pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradewind.bot_config.errors import format_validation_error
    from tradewind.bot_config.files import bot_config_toml, load_bot_config_toml
    from tradewind.bot_config.model import BotConfig, Timeframe
    from tradewind.bot_config.plain import ALIASES
    from tradewind.bot_config.strategy import (
        SETTINGS,
        StrategySettings,
        merge_config_fields,
    )

# The module of each name the package exports.
_MODULES: dict[str, tuple[str, ...]] = {
    "errors": ("format_validation_error",),
    "files": ("bot_config_toml", "load_bot_config_toml"),
    "model": ("BotConfig", "Timeframe"),
    "plain": ("ALIASES",),
    "strategy": ("SETTINGS", "StrategySettings", "merge_config_fields"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "ALIASES",
    "SETTINGS",
    "BotConfig",
    "StrategySettings",
    "Timeframe",
    "bot_config_toml",
    "format_validation_error",
    "load_bot_config_toml",
    "merge_config_fields",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value

"""The validated bot configuration (pydantic): the model, its strategy field built from
the strategy registry, its error messages and its TOML files."""

from __future__ import annotations

from tradewind.bot_config.errors import format_validation_error
from tradewind.bot_config.files import bot_config_toml, load_bot_config_toml
from tradewind.bot_config.model import BotConfig, Timeframe
from tradewind.bot_config.strategy import (
    ALIASES,
    SETTINGS,
    StrategySettings,
    merge_config_fields,
)

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

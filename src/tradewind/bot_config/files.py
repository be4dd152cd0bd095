"""Bot configs from TOML files, with the command line's fields over them."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tradewind.bot_config.errors import format_validation_error
from tradewind.bot_config.model import BotConfig
from tradewind.bot_config.strategy import merge_config_fields
from tradewind.domain.errors import ConfigurationError


def load_bot_config_toml(
    path: Path,
    overrides: Mapping[str, object],
    *,
    defaults: Mapping[str, object] | None = None,
) -> BotConfig:
    """Load a bot config from TOML ([bot] table or top-level keys); `overrides` win.

    `defaults` fill only what neither the file nor `overrides` sets. The strategy's
    parameters merge one by one (`merge_config_fields`), so `--param` on top of a file
    changes that parameter only.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigurationError(f"cannot read bot config {path}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise ConfigurationError(f"bot config {path} is not UTF-8 text: {e}") from e
    try:
        doc: dict[str, Any] = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as e:
        raise ConfigurationError(f"bot config {path} is not valid TOML: {e}") from e
    fields = doc
    if "bot" in doc:
        fields = doc["bot"]
        if not isinstance(fields, dict):
            raise ConfigurationError(f"bot config {path}: 'bot' must be a [bot] table")
        stray = sorted(set(doc) - {"bot"})
        if stray:
            raise ConfigurationError(
                f"bot config {path}: {', '.join(stray)} outside the [bot] table "
                "(put every setting under [bot], or drop the [bot] header)"
            )
    try:
        return BotConfig.model_validate(merge_config_fields(defaults or {}, fields, overrides))
    except ValidationError as e:
        raise ConfigurationError(
            f"bot config {path} is invalid:\n{format_validation_error(e)}"
        ) from e

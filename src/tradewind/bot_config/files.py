"""Bot configs from TOML files, with the command line's fields over them."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
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


def bot_config_toml(config: BotConfig, comment: str = "") -> str:
    """Write a config as a TOML `[bot]` table that `load_bot_config_toml` reads back equal.

    Decimals are written as TOML numbers in plain notation: read with `parse_float=Decimal`
    they come back as the same decimals, never through a float.
    """
    doc = config.model_dump(mode="python", exclude_none=True)
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines.append("[bot]")
    for key, value in doc.items():
        if key != "strategy":
            lines.append(f"{key} = {_toml_value(value)}")
    strategy = ", ".join(f"{k} = {_toml_value(v)}" for k, v in doc["strategy"].items())
    lines.append(f"strategy = {{ {strategy} }}")
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, StrEnum):
        return json.dumps(value.value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return repr(value)
    raise ConfigurationError(f"cannot write {value!r} ({type(value).__name__}) to TOML")

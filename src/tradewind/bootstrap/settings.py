"""Settings from the environment, for every entry point (light: no database, no adapter)."""

from __future__ import annotations

from tradewind.settings import Settings


def load_settings() -> Settings:
    """Read the settings from the environment; a clear error naming the bad variable."""
    from pydantic import ValidationError

    from tradewind.bot_config import format_validation_error
    from tradewind.domain.errors import ConfigurationError

    try:
        return Settings()
    except ValidationError as e:
        lines = []
        for line in format_validation_error(e).splitlines():
            field, _, rule = line.partition(":")
            lines.append(f"TRADEWIND_{field.upper()}:{rule}")
        raise ConfigurationError("invalid settings:\n" + "\n".join(lines)) from None

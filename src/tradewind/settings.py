"""Process settings from the environment (TRADEWIND_*); every knob has an env var."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings shared by every entry point."""

    model_config = SettingsConfigDict(env_prefix="TRADEWIND_", extra="ignore")

    data_dir: Path = Field(
        default=Path.home() / ".tradewind",
        description="Where the embedded defaults keep their files.",
    )

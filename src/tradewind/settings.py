"""Process settings from the environment (TRADEWIND_*); every knob has an env var."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATABASE_FILE = "tradewind.db"


class Settings(BaseSettings):
    """Settings shared by every entry point."""

    model_config = SettingsConfigDict(env_prefix="TRADEWIND_", extra="ignore")

    data_dir: Path = Field(
        default=Path.home() / ".tradewind",
        description="Where the embedded defaults keep their files.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; default: the SQLite file tradewind.db in data_dir. "
        "PostgreSQL: postgresql://user:password@host/db (psycopg 3).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Master key that encrypts exchange API secrets (Fernet; several keys "
        "comma-separated, the first encrypts). Default: the key file in data_dir.",
    )

    @field_validator("data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("secret_key")
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None or not value.get_secret_value().strip() else value

    @model_validator(mode="after")
    def _default_database(self) -> Self:
        if not self.database_url.strip():
            self.database_url = f"sqlite:///{self.data_dir.absolute() / DATABASE_FILE}"
        return self

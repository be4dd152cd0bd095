"""Process settings from the environment (TRADEWIND_*); every knob has an env var."""

from __future__ import annotations

import re
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

    # --- Scaling out: Celery workers and scheduler (ignored by the embedded default) ------
    broker_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Celery broker: redis://host:port/db, or RabbitMQ as "
        "amqp://user:password@host:port/vhost.",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Redis shared by the workers: cached candles, paper accounts, slot plans "
        "and figures (needed with a RabbitMQ broker too).",
    )
    namespace: str = Field(
        default="tradewind",
        min_length=1,
        max_length=40,
        description="Prefix of the queue names and Redis keys: installations sharing a broker "
        "or a Redis server use different ones.",
    )
    tick_batch_size: int = Field(
        default=100,
        ge=1,
        le=5_000,
        description="Bots ticked by one worker task, in a handful of database round trips.",
    )
    tick_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Threads per worker process for the ticks of a batch that call the "
        "exchange: more overlap the waits of a distant exchange (the paper one gains nothing).",
    )
    candle_cache_ttl: int = Field(
        default=900,
        ge=60,
        description="Seconds the closed candles of a slot stay in Redis.",
    )

    @field_validator("namespace")
    @classmethod
    def _plain_namespace(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
            raise ValueError(
                "letters, digits, '_', '.' and '-' only, starting with a letter or digit"
            )
        return value

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

"""Process settings from the environment (TRADEWIND_*); every knob has an env var."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradewind.domain.webhook_targets import parse_networks

DATABASE_FILE = "tradewind.db"


class Settings(BaseSettings):
    """Settings shared by every entry point."""

    model_config = SettingsConfigDict(env_prefix="TRADEWIND_", extra="ignore")

    data_dir: Path = Field(
        default=Path.home() / ".tradewind",
        description="Where the embedded defaults keep their files.",
    )
    candle_dir: Path | None = Field(
        default=None,
        description="The candle store (`tradewind data download`): one Parquet file per "
        "series. Default: candles/ in data_dir.",
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

    binance_url: str = Field(
        default="",
        description="One base URL for every Binance API, instead of Binance's own hosts "
        "(e.g. http://127.0.0.1:8765, the project's Binance-compatible test server).",
    )
    binance_stream_url: str = Field(
        default="",
        description="Binance's spot streams (wss://stream.binance.com:9443 by default); the "
        "kline feeder of `tradewind feeder` follows the bots' series there.",
    )
    binance_futures_stream_url: str = Field(
        default="",
        description="Binance's USDⓈ-M streams (wss://fstream.binance.com by default).",
    )
    market_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often a paper `tradewind run` on the real market asks Binance "
        "whether a new 1m candle has begun (its clock is the market's newest candle).",
    )
    binance_timeout: float = Field(
        default=10.0, gt=0, le=120, description="Seconds to wait for a Binance answer."
    )
    binance_recv_window: int = Field(
        default=5_000, ge=1, le=60_000, description="Binance recvWindow, in milliseconds."
    )

    @field_validator("binance_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("binance_stream_url", "binance_futures_stream_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("ws://", "wss://")):
            raise ValueError("must start with ws:// or wss://")
        return value.rstrip("/")

    # --- Notifications (see services/notify) -------------------------------------------
    smtp_host: str = Field(
        default="", description="SMTP server for email notifications; empty: no email."
    )
    smtp_port: int = Field(default=587, ge=1, le=65_535, description="SMTP server port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls (port 587), tls (implicit TLS, port 465) or none (a local relay).",
    )
    smtp_username: str = Field(default="", description="SMTP login; empty: no login.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_from: str = Field(
        default="tradewind@localhost", description="The sender address of notification mail."
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="CA certificates (PEM) to trust for the SMTP server instead of the "
        "system's: for a server with a private certificate.",
    )
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_allow_networks: str = Field(
        default="",
        description="Comma-separated networks webhooks may reach although they are not "
        "public (e.g. 10.0.0.0/8,127.0.0.1/32). Default: none, only public addresses.",
    )
    notify_max_attempts: int = Field(
        default=8, ge=1, le=50, description="Tries of one delivery before it is dead-lettered."
    )
    notify_backoff_seconds: float = Field(
        default=30.0, gt=0, description="Wait after the first failed try; doubles each time."
    )
    notify_backoff_cap_seconds: float = Field(
        default=6 * 3600.0, gt=0, description="The longest wait between two tries."
    )
    notify_poll_seconds: float = Field(
        default=1.0, gt=0, le=300, description="How often the in-process dispatcher looks."
    )

    @field_validator("webhook_allow_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        return ",".join(str(network) for network in parse_networks(value))

    @field_validator("smtp_password")
    @classmethod
    def _blank_password_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None or not value.get_secret_value() else value

    # --- The API and the dashboard (`tradewind serve`) -------------------------------------
    signup: Literal["invite", "open"] = Field(
        default="invite",
        description="invite: only an operator adds users (`tradewind user add`); open: anyone "
        "may sign up with an email and a password.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a browser stays signed in."
    )
    login_failures_per_account: int = Field(
        default=5, ge=1, le=1_000, description="Failed sign-ins to one account per window."
    )
    login_failures_per_address: int = Field(
        default=20, ge=1, le=100_000, description="Failed sign-ins from one address per window."
    )
    login_window_seconds: int = Field(
        default=900, ge=1, le=86_400, description="The window of the sign-in rate limits."
    )
    events_poll_seconds: float = Field(
        default=2.0, gt=0, le=60, description="How often a live-updates stream looks for news."
    )
    token_max_days: int = Field(
        default=365, ge=1, le=3_650, description="The longest life of a personal API token."
    )
    auth_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long an API process may reuse a token's or session's lookup for "
        "reads (changes always look it up); 0 = never.",
    )
    backtest_max_candles: int = Field(
        default=200_000, ge=10, le=5_000_000, description="The most candles one API backtest reads."
    )
    backtest_jobs_per_user: int = Field(
        default=2, ge=1, le=100, description="Unfinished API backtests one user may have."
    )
    backtest_jobs_total: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Unfinished API backtests of one API process (its pool's processes).",
    )

    # --- Scaling out: Celery workers and scheduler (ignored by the embedded default) ------
    broker_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Celery broker: redis://host:port/db, or RabbitMQ as "
        "amqp://user:password@host:port/vhost.",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Redis shared by the workers: cached candles, paper accounts, slot plans, "
        "figures and the Binance request-weight budget (needed with a RabbitMQ broker too).",
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
    workers_trade_binance: bool = Field(
        default=False,
        description="Workers also tick the bots on Binance accounts, on the candles "
        "`tradewind feeder` streams into Redis (REST behind), sharing one weight budget; "
        "leave off while `tradewind run --exchange binance` runs them.",
    )
    stream_wait_s: float = Field(
        default=6.0,
        ge=0,
        le=50,
        description="How long after the minute a slot of Binance bots waits for its candles "
        "on the feeder's streams; then it is decided from REST klines, or skipped and said "
        "so when REST lacks the candle too.",
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

    @property
    def candle_store_dir(self) -> Path:
        """Where the candle store lives: `candle_dir`, else candles/ in the data dir."""
        return (self.candle_dir or self.data_dir / "candles").expanduser()

    @field_validator("secret_key")
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None or not value.get_secret_value().strip() else value

    @model_validator(mode="after")
    def _default_database(self) -> Self:
        if not self.database_url.strip():
            self.database_url = f"sqlite:///{self.data_dir.absolute() / DATABASE_FILE}"
        return self


class BinanceRetrySettings(BaseSettings):
    """How Binance calls are retried (BINANCE_RETRY_MAX_ATTEMPTS, BINANCE_RETRY_BACKOFF_BASE)."""

    model_config = SettingsConfigDict(env_prefix="BINANCE_RETRY_", extra="ignore")

    max_attempts: int = Field(
        default=5, ge=1, le=20, description="Tries per call, the first included."
    )
    backoff_base: float = Field(
        default=0.5,
        ge=0,
        le=60,
        description="Seconds: retry n waits a random time up to base * 2**n (full jitter).",
    )

"""Builders of valid records for the database tests."""

from __future__ import annotations

from decimal import Decimal

from pydantic import SecretStr

from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.types import PositionType
from tradewind.ports import NewAccount


def spot_config(name: str = "spot-btc", **fields: object) -> BotConfig:
    """Return a valid spot bot config; `fields` override."""
    return BotConfig.model_validate(
        {"name": name, "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot"} | fields
    )


def paper_account(user_id: int, name: str = "paper", key: str = "", secret: str = "") -> NewAccount:
    """Return a paper account with 10,000 USDT in its spot wallet."""
    return NewAccount(
        user_id=user_id,
        name=name,
        kind=ExchangeKind.PAPER,
        api_key=SecretStr(key),
        api_secret=SecretStr(secret),
        created_at=1_700_000_000,
        paper_balances={PositionType.SPOT: {"USDT": Decimal(10_000)}},
    )

"""What the API reads and writes: one family per resource (Create / Update / Public).

A Create or Update schema refuses unknown fields by name; a Public one never holds a secret
(an exchange account's key and secret are write-only: `SecretStr`, never echoed). Ids fit
the database's integer columns, and text refuses NUL characters, which no database keeps.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, create_model

from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.bots import BotStatus
from tradewind.domain.identity import TokenScope
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.types import PositionSide, PositionType, Side

MAX_ID = 2_147_483_647  # the largest id an INTEGER column holds


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Secret = Annotated[SecretStr, Field(min_length=1, max_length=512)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Identity ----------------------------------------------------------------------------


class SignIn(Input):
    email: Annotated[Text, Field(max_length=254)]
    password: Annotated[SecretStr, Field(max_length=1_024)]
    code: Annotated[SecretStr, Field(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="The two-factor code (or a recovery code), for users who turned it on.",
    )


class SignUp(Input):
    email: Annotated[Text, Field(max_length=254)]
    password: Annotated[SecretStr, Field(max_length=1_024)]
    name: Annotated[Text, Field(min_length=1, max_length=100)] | None = None


OneTimeCode = Annotated[SecretStr, Field(min_length=1, max_length=64)]


class UserPublic(BaseModel):
    id: int
    email: str
    name: str | None
    role: str


class SessionPublic(BaseModel):
    """A signed-in browser: send `csrf_token` as X-CSRF-Token with every change."""

    user: UserPublic
    csrf_token: str | None
    expires_at: int | None
    via: str


class TokenCreate(Input):
    name: Annotated[Text, Field(min_length=1, max_length=100)]
    scopes: Annotated[list[TokenScope], Field(min_length=1, max_length=2)]
    days: Annotated[int, Field(ge=1, le=3_650)] = 90


class TokenPublic(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[TokenScope]
    created_at: int
    expires_at: int
    revoked_at: int | None


class TokenCreated(TokenPublic):
    """The new token with its secret: shown this once, never again."""

    secret: str


class TwoFactorPublic(BaseModel):
    enabled: bool
    pending: bool = Field(description="Enrolled, waiting for a code to turn it on.")
    recovery_codes_left: int


class TwoFactorEnrollment(BaseModel):
    """The secret to put in an authenticator app (or its otpauth:// URI): shown once."""

    secret: str
    otpauth_uri: str


class TwoFactorCode(Input):
    code: OneTimeCode


class RecoveryCodes(BaseModel):
    """Ten recovery codes, each opening one session: shown this once, never again."""

    recovery_codes: list[str]


# --- Exchange accounts -------------------------------------------------------------------


class AccountCreate(Input):
    """A paper account (a starting USDT balance) or a Binance one (key and secret)."""

    name: Annotated[Text, Field(min_length=1, max_length=100)]
    kind: ExchangeKind
    testnet: bool = False
    api_key: Secret | None = Field(default=None, description="Binance only; write-only.")
    api_secret: Secret | None = Field(default=None, description="Binance only; write-only.")
    balance: Annotated[Decimal, Field(gt=0, le=10**15, allow_inf_nan=False)] | None = Field(
        default=None, description="Paper only: starting USDT in the spot wallet."
    )


class AccountPublic(BaseModel):
    """An exchange account: never its key or secret, only whether it has them."""

    id: int
    name: str
    kind: ExchangeKind
    testnet: bool
    has_api_key: bool
    paper_balances: dict[PositionType, dict[str, Decimal]]
    created_at: int


# --- Bots --------------------------------------------------------------------------------


class BotCreate(Input):
    account_id: Id
    config: BotConfig


if TYPE_CHECKING:
    BotConfigChanges = BaseModel
else:
    # Every BotConfig field, optional: what a PATCH may change (checked whole in the service).
    BotConfigChanges = create_model(
        "BotConfigChanges",
        __config__=ConfigDict(extra="forbid"),
        **{
            name: (field.annotation | None, Field(default=None, description=field.description))
            for name, field in BotConfig.model_fields.items()
        },
    )


class BotUpdate(Input):
    """The fields to change; the others keep their values. The bot must be stopped."""

    account_id: Id | None = None
    config: BotConfigChanges = Field(default_factory=BotConfigChanges)

    def changes(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json", exclude_unset=True, round_trip=True)


class PositionPublic(BaseModel):
    side: PositionSide
    quantity: Decimal
    entry_price: Decimal
    entry_time: int


class BotStatePublic(BaseModel):
    status: BotStatus
    reason: str | None
    pause_reason: str | None
    last_run_at: int | None
    last_signal: str | None
    last_signal_at: int | None
    position: PositionPublic | None
    closing: bool = Field(
        default=False, description="Its owner asked to close the position; the next tick does."
    )


class TodayPublic(BaseModel):
    day: date
    entries: int
    realized_pnl: Decimal


class BotPublic(BaseModel):
    id: int
    account_id: int
    account: str
    active: bool
    config: BotConfig
    state: BotStatePublic
    today: TodayPublic | None = None
    warnings: list[str] = []


# --- History and strategies --------------------------------------------------------------


class OrderPublic(BaseModel):
    id: int | None
    bot_id: int
    client_order_id: str
    exchange_order_id: str | None
    symbol: str
    position_type: PositionType
    side: Side
    purpose: OrderPurpose
    status: OrderStatus
    requested_qty: Decimal
    filled_qty: Decimal
    avg_price: Decimal | None
    quote_qty: Decimal
    fee: Decimal
    fee_asset: str | None
    reason: str | None
    created_at: int
    updated_at: int | None


class TradePublic(BaseModel):
    bot_id: int
    bot: str
    exchange_order_id: str
    client_order_id: str
    symbol: str
    side: Side
    purpose: OrderPurpose
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal
    fee: Decimal
    fee_asset: str
    realized_pnl: Decimal | None
    timestamp: int


class DayPnlPublic(BaseModel):
    day: date
    realized: Decimal
    cumulative: Decimal


class ParameterPublic(BaseModel):
    name: str
    type: str
    default: Any
    bounds: str
    description: str


class StrategyPublic(BaseModel):
    name: str
    summary: str
    is_default: bool
    parameters: list[ParameterPublic]
    json_schema: dict[str, Any] = Field(description="The JSON Schema of `config.strategy`.")

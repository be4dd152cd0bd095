"""A bot's settings as the user writes them, validated; the domain gets parameter objects.

Every product field is here with the product's own name. Rules worth knowing:

- `strategy` is a strategy of the registry by name with its parameters
  (`strategy = "ema_rsi"`, or a table `{name = "ema_rsi", ema_fast = 5}`); the parameters'
  former flat names (`custom_ema_fast`, ...) are still accepted at the top level
  (`bot_config.strategy`).
- Percent fields are percents (`custom_stop_loss = 2` means 2%); the domain gets fractions.
- Money fields are `Decimal`, given as strings or integers; a float is refused, because a
  float such as 0.1 is not the number the user wrote. NaN and infinities are refused too.
  (TOML files are read with `parse_float=Decimal`, so `2.5` there is exact.)
- `leverage` above 50 (up to 125, the most any venue offers) is accepted and kept as
  written, but `effective_leverage` caps it at 50 and `warnings` says so. The exchange's
  own maximum is applied later, at sizing.
- Spot bots trade without leverage, so a spot bot must have `leverage = 1`; anything else is
  refused rather than silently ignored, so the user never believes a spot bot is leveraged.
- Amounts are at most a trillion with at most 18 decimals, counts at most a million, names
  at most 100 characters (`domain.bounds`): the database never sees a number it cannot hold.
- Unknown fields are refused by name (a typo never silently falls back to a default).

Each field's description is its help text on the command line, which builds one option
per field from this model.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tradewind.bot_config.plain import DerivedSettings
from tradewind.bot_config.strategy import (
    StrategyField,
    default_settings,
    gather_strategy,
    strategy_table,
)
from tradewind.domain.bounds import MAX_AMOUNT, MAX_AMOUNT_DECIMALS, MAX_COUNT, MAX_NAME_LENGTH
from tradewind.domain.params import MAX_VENUE_LEVERAGE
from tradewind.domain.types import PositionType, Symbol

Timeframe = Literal["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d"]


def _no_float_or_bool(value: object) -> object:
    """Refuse floats (inexact) and booleans (accidental 1/0) before Decimal parsing."""
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "must be a number, not true/false")
    if isinstance(value, float):
        raise PydanticCustomError(
            "decimal_from_float",
            'must be written as a string or an integer (e.g. "2.5"), not a float',
        )
    return value


def _no_bool(value: object) -> object:
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "must be an integer, not true/false")
    return value


def _upper_alnum(value: str) -> str:
    if not (value.isascii() and value.isalnum() and value.upper() == value):
        raise PydanticCustomError(
            "symbol_format",
            "must be upper-case letters and digits, like BTCUSDT (got {value})",
            {"value": repr(value)},
        )
    return value


# Bounded so the database never overflows (domain.bounds); a percent becomes a fraction
# with two more decimals, which must still fit the columns' 18.
Money = Annotated[
    Decimal,
    BeforeValidator(_no_float_or_bool),
    Field(gt=0, le=int(MAX_AMOUNT), decimal_places=MAX_AMOUNT_DECIMALS, allow_inf_nan=False),
]
Percent = Annotated[
    Decimal,
    BeforeValidator(_no_float_or_bool),
    Field(gt=0, lt=100, decimal_places=MAX_AMOUNT_DECIMALS - 2, allow_inf_nan=False),
]


class BotConfig(DerivedSettings, BaseModel):
    """One bot's validated settings, with the product's field names."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: Annotated[
        str,
        Field(min_length=1, max_length=MAX_NAME_LENGTH, description="Bot name, unique per user."),
    ]
    symbol: Annotated[
        Symbol, Field(min_length=2, max_length=20, description="Symbol, e.g. BTCUSDT.")
    ]
    timeframe: Annotated[Timeframe, Field(description="Candle timeframe.")]
    position_type: Annotated[PositionType, Field(description="Spot or USDⓈ-M futures.")]
    strategy: Annotated[StrategyField, BeforeValidator(strategy_table)] = Field(
        default_factory=default_settings,
        description="The strategy by name, with its parameters (`tradewind strategies`).",
    )
    leverage: Annotated[
        int,
        BeforeValidator(_no_bool),
        Field(
            ge=1,
            le=MAX_VENUE_LEVERAGE,
            validate_default=True,
            description="Futures leverage; capped at 50.",
        ),
    ] = 1
    custom_stop_loss: Annotated[Percent | None, Field(description="Stop-loss in percent.")] = None
    custom_take_profit: Annotated[Percent | None, Field(description="Take-profit in percent.")] = (
        None
    )
    custom_trailing_stop: Annotated[
        Percent | None, Field(description="Trailing stop in percent.")
    ] = None
    position_size_fixed: Annotated[
        Money | None, Field(description="Quote amount per entry (margin for futures).")
    ] = None
    position_size_perc: Annotated[
        Annotated[
            Decimal,
            BeforeValidator(_no_float_or_bool),
            Field(gt=0, le=100, decimal_places=MAX_AMOUNT_DECIMALS - 2, allow_inf_nan=False),
        ]
        | None,
        Field(description="Percent of the free quote balance per entry."),
    ] = None
    max_daily_trades: Annotated[
        Annotated[int, BeforeValidator(_no_bool), Field(ge=1, le=MAX_COUNT)] | None,
        Field(description="Most entries per UTC day."),
    ] = None
    max_daily_loss: Annotated[
        Money | None, Field(description="Pause entries at this realized loss today (quote).")
    ] = None
    daily_profit_target: Annotated[
        Money | None, Field(description="Pause entries at this realized profit today (quote).")
    ] = None
    auto_transfer_funds: Annotated[
        bool, Field(description="Futures: move quote from spot to futures when short of margin.")
    ] = False
    transfer_amount: Annotated[
        Money | None, Field(description="How much each auto-transfer moves (quote).")
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _gather_strategy_parameters(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        gathered, problems = gather_strategy(data)
        if problems:
            field, rule = problems[0]
            raise PydanticCustomError("strategy_alias", "{rule}", {"field": field, "rule": rule})
        return gathered

    @field_validator("symbol")
    @classmethod
    def _symbol_is_upper_alnum(cls, value: str) -> Symbol:
        return Symbol(_upper_alnum(value))

    @field_validator("leverage")
    @classmethod
    def _spot_has_no_leverage(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("position_type") is PositionType.SPOT and value != 1:
            raise PydanticCustomError(
                "spot_leverage",
                "spot bots trade without leverage, so it must be 1 (got {value})",
                {"value": value},
            )
        return value

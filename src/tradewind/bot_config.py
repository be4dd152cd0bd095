"""A bot's settings as the user writes them, validated; the domain gets parameter objects.

Every product field is here with the product's own name. Rules worth knowing:

- Percent fields are percents (`custom_stop_loss = 2` means 2%); the domain gets fractions.
- Money fields are `Decimal`, given as strings or integers; a float is refused, because a
  float such as 0.1 is not the number the user wrote. NaN and infinities are refused too.
  (TOML files are read with `parse_float=Decimal`, so `2.5` there is exact.)
- `leverage` above 50 is accepted and kept as written, but `effective_leverage` caps it at
  50 and `warnings` says so. The exchange's own maximum is applied later, at sizing.
- Spot bots trade without leverage, so a spot bot must have `leverage = 1`; anything else is
  refused rather than silently ignored, so the user never believes a spot bot is leveraged.
- Unknown fields are refused by name (a typo never silently falls back to a default).

Field validators that compare two fields run on the later of the two (pydantic validates
fields in order), which is why `custom_ema_slow` precedes `custom_ema_fast` and
`custom_rsi_overbought` precedes `custom_rsi_oversold`.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from tradewind.domain.errors import ConfigurationError
from tradewind.domain.params import (
    MAX_LEVERAGE,
    DailyLimits,
    ExitRules,
    SizingRule,
)
from tradewind.domain.sizing import effective_leverage
from tradewind.domain.strategies import StrategyChoice, strategy_named
from tradewind.domain.strategies.ema_rsi import EmaRsiParams
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


Money = Annotated[Decimal, BeforeValidator(_no_float_or_bool), Field(gt=0, allow_inf_nan=False)]
Percent = Annotated[
    Decimal, BeforeValidator(_no_float_or_bool), Field(gt=0, lt=100, allow_inf_nan=False)
]
Period = Annotated[int, BeforeValidator(_no_bool), Field(ge=2)]
RsiLevel = Annotated[float, BeforeValidator(_no_bool), Field(gt=0, lt=100, allow_inf_nan=False)]


class BotConfig(BaseModel):
    """One bot's validated settings, with the product's field names."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=100)]
    symbol: Annotated[Symbol, Field(min_length=2, max_length=20)]
    timeframe: Timeframe
    position_type: PositionType
    strategy: Literal["ema_rsi"] = "ema_rsi"
    leverage: Annotated[int, BeforeValidator(_no_bool), Field(ge=1, validate_default=True)] = 1
    custom_ema_slow: Period = 21
    custom_ema_fast: Annotated[Period, Field(validate_default=True)] = 8
    custom_rsi_period: Period = 7
    custom_rsi_overbought: RsiLevel = 65.0
    custom_rsi_oversold: Annotated[RsiLevel, Field(validate_default=True)] = 35.0
    custom_stop_loss: Percent | None = None
    custom_take_profit: Percent | None = None
    custom_trailing_stop: Percent | None = None
    position_size_fixed: Money | None = None
    position_size_perc: (
        Annotated[
            Decimal, BeforeValidator(_no_float_or_bool), Field(gt=0, le=100, allow_inf_nan=False)
        ]
        | None
    ) = None
    max_daily_trades: Annotated[int, BeforeValidator(_no_bool), Field(ge=1)] | None = None
    max_daily_loss: Money | None = None
    daily_profit_target: Money | None = None
    auto_transfer_funds: bool = False
    transfer_amount: Money | None = None

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

    @field_validator("custom_ema_fast")
    @classmethod
    def _fast_below_slow(cls, value: int, info: ValidationInfo) -> int:
        slow = info.data.get("custom_ema_slow")
        if slow is not None and value >= slow:
            raise PydanticCustomError(
                "ema_order",
                "must be less than custom_ema_slow (got {fast} ≥ {slow})",
                {"fast": value, "slow": slow},
            )
        return value

    @field_validator("custom_rsi_oversold")
    @classmethod
    def _oversold_below_overbought(cls, value: float, info: ValidationInfo) -> float:
        overbought = info.data.get("custom_rsi_overbought")
        if overbought is not None and value >= overbought:
            raise PydanticCustomError(
                "rsi_order",
                "must be less than custom_rsi_overbought (got {oversold} ≥ {overbought})",
                {"oversold": f"{value:g}", "overbought": f"{overbought:g}"},
            )
        return value

    @property
    def effective_leverage(self) -> int:
        """Return the leverage used before the exchange's cap: min(leverage, 50)."""
        return effective_leverage(self.leverage, 0)

    @property
    def warnings(self) -> list[str]:
        """Return what was accepted but will not act as written."""
        notes: list[str] = []
        if self.leverage > MAX_LEVERAGE:
            notes.append(f"leverage {self.leverage} capped at {MAX_LEVERAGE}")
        if self.position_size_fixed is not None and self.position_size_perc is not None:
            notes.append("position_size_perc is ignored because position_size_fixed is set")
        if self.auto_transfer_funds and self.position_type is PositionType.SPOT:
            notes.append("auto_transfer_funds has no effect on a spot bot")
        if self.transfer_amount is not None and not self.auto_transfer_funds:
            notes.append("transfer_amount has no effect while auto_transfer_funds is off")
        return notes

    def strategy_choice(self) -> StrategyChoice[EmaRsiParams]:
        """Return the strategy with its parameters, for the tick and the backtester."""
        return StrategyChoice(strategy_named(self.strategy), self.strategy_params())

    def strategy_params(self) -> EmaRsiParams:
        """Return the EMA/RSI settings for the domain."""
        return EmaRsiParams(
            ema_fast=self.custom_ema_fast,
            ema_slow=self.custom_ema_slow,
            rsi_period=self.custom_rsi_period,
            rsi_oversold=self.custom_rsi_oversold,
            rsi_overbought=self.custom_rsi_overbought,
        )

    def exit_rules(self) -> ExitRules:
        """Return the protective exits as fractions (2% -> 0.02)."""
        return ExitRules(
            stop_loss=_fraction(self.custom_stop_loss),
            take_profit=_fraction(self.custom_take_profit),
            trailing_stop=_fraction(self.custom_trailing_stop),
        )

    def sizing_rule(self) -> SizingRule:
        """Return how much quote each entry commits."""
        return SizingRule(
            fixed_quote=self.position_size_fixed,
            balance_fraction=_fraction(self.position_size_perc),
        )

    def daily_limits(self) -> DailyLimits:
        """Return the per-UTC-day caps on new entries."""
        return DailyLimits(
            max_trades=self.max_daily_trades,
            max_loss=self.max_daily_loss,
            profit_target=self.daily_profit_target,
        )


def _fraction(percent: Decimal | None) -> Decimal | None:
    # scaleb shifts the exponent, so 2.5 % becomes exactly 0.025 (no division rounding).
    return None if percent is None else percent.scaleb(-2)


def format_validation_error(e: ValidationError) -> str:
    """Return one line per problem: `field: rule (got value)`, without pydantic's URLs."""
    lines = []
    for err in e.errors(include_url=False):
        field = ".".join(str(part) for part in err["loc"]) or "config"
        kind = err["type"]
        if kind == "missing":
            text = "is required"
        elif kind == "extra_forbidden":
            close = difflib.get_close_matches(str(err["loc"][-1]), BotConfig.model_fields, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            text = f"unknown field{hint}"
        else:
            text = _as_rule(err["msg"])
            if "(got " not in text:
                text += f" (got {_show(err['input'])})"
        lines.append(f"{field}: {text}")
    return "\n".join(lines)


def _as_rule(message: str) -> str:
    for prefix, replacement in (("Input should be", "must be"), ("Value error, ", "")):
        if message.startswith(prefix):
            message = replacement + message[len(prefix) :]
    return message[:1].lower() + message[1:]


def _show(value: object) -> str:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return str(value)
    return repr(value)


def load_bot_config_toml(
    path: Path,
    overrides: Mapping[str, object],
    *,
    defaults: Mapping[str, object] | None = None,
) -> BotConfig:
    """Load a bot config from TOML ([bot] table or top-level keys); `overrides` win.

    `defaults` fill only what neither the file nor `overrides` sets.
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
        return BotConfig.model_validate({**(defaults or {}), **fields, **overrides})
    except ValidationError as e:
        raise ConfigurationError(
            f"bot config {path} is invalid:\n{format_validation_error(e)}"
        ) from e

"""A bot config accepts exactly the product's rules and says which field broke which rule."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tradewind.bot_config import BotConfig, format_validation_error, load_bot_config_toml
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.params import DailyLimits, ExitRules, SizingRule
from tradewind.domain.strategies import STRATEGIES
from tradewind.domain.strategies.ema_rsi import EmaRsiParams
from tradewind.domain.types import PositionType

D = Decimal
BASE: dict[str, object] = {
    "name": "my bot",
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "position_type": "futures",
}
TIMEFRAMES = ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d"]


def config(**fields: object) -> BotConfig:
    return BotConfig.model_validate({**BASE, **fields})


def problems(**fields: object) -> str:
    """Return the formatted validation error for a config that must be refused."""
    with pytest.raises(ValidationError) as e:
        config(**fields)
    return format_validation_error(e.value)


def test_a_minimal_config_has_the_product_defaults() -> None:
    c = config()
    assert (c.strategy.name, c.leverage, c.auto_transfer_funds) == ("ema_rsi", 1, False)
    assert c.position_type is PositionType.FUTURES
    assert c.strategy_params() == EmaRsiParams(8, 21, 7, 35.0, 65.0)
    assert c.exit_rules() == ExitRules()
    assert c.sizing_rule() == SizingRule()
    assert c.daily_limits() == DailyLimits()
    assert c.warnings == []


@pytest.mark.parametrize("timeframe", TIMEFRAMES)
def test_every_product_timeframe_is_accepted(timeframe: str) -> None:
    assert config(timeframe=timeframe).timeframe == timeframe


@pytest.mark.parametrize("timeframe", ["2m", "1w", "60", "1H", ""])
def test_other_timeframes_are_refused_naming_the_field(timeframe: str) -> None:
    assert problems(timeframe=timeframe).startswith("timeframe: must be '1m', '3m'")


@pytest.mark.parametrize("field", ["name", "symbol", "timeframe", "position_type"])
def test_identity_fields_are_required(field: str) -> None:
    fields = {k: v for k, v in BASE.items() if k != field}
    with pytest.raises(ValidationError) as e:
        BotConfig.model_validate(fields)
    assert format_validation_error(e.value) == f"{field}: is required"


def test_position_type_becomes_the_domain_enum_and_nothing_else_is_accepted() -> None:
    assert config(position_type="spot").position_type is PositionType.SPOT
    assert problems(position_type="margin").startswith("position_type: must be 'spot' or")


@pytest.mark.parametrize("symbol", ["btcusdt", "BTC/USDT", "BTC-USDT", "BTCUSDT!", "B", "ÄBCUSDT"])
def test_a_symbol_must_be_upper_case_letters_and_digits(symbol: str) -> None:
    assert problems(symbol=symbol).startswith("symbol: ")


def test_an_unknown_strategy_is_refused_naming_the_registered_ones() -> None:
    names = ", ".join(sorted(STRATEGIES))
    assert problems(strategy="macd") == (
        f"strategy: unknown strategy (got 'macd'); choose one of: {names}"
    )
    assert problems(strategy={"name": "ema-rsi"}).endswith("; did you mean ema_rsi?")


# --- leverage ------------------------------------------------------------------------------


def test_leverage_above_fifty_is_kept_as_configured_but_capped_with_a_warning() -> None:
    c = config(leverage=75)
    assert (c.leverage, c.effective_leverage) == (75, 50)
    assert c.warnings == ["leverage 75 capped at 50"]


@given(st.integers(1, 125))
def test_effective_leverage_is_the_configured_value_up_to_fifty(leverage: int) -> None:
    c = config(leverage=leverage)
    assert c.effective_leverage == min(leverage, 50)
    assert any("capped" in w for w in c.warnings) == (leverage > 50)


@pytest.mark.parametrize("leverage", [0, -1, True, 2.5, "ten"])
def test_leverage_must_be_an_integer_of_at_least_one(leverage: object) -> None:
    assert problems(leverage=leverage).startswith("leverage: must be")


def test_a_spot_bot_must_have_leverage_one() -> None:
    assert config(position_type="spot").leverage == 1
    assert problems(position_type="spot", leverage=5) == (
        "leverage: spot bots trade without leverage, so it must be 1 (got 5)"
    )


# --- indicators ----------------------------------------------------------------------------


def test_the_fast_ema_must_be_shorter_than_the_slow_one() -> None:
    assert problems(custom_ema_fast=30) == (
        "strategy.ema_fast: must be less than ema_slow (got 30 ≥ 21)"
    )
    assert problems(custom_ema_fast=21).startswith("strategy.ema_fast: must be less than")
    assert problems(strategy={"ema_slow": 5}) == (
        "strategy.ema_fast: must be less than ema_slow (got 8 ≥ 5)"
    )


@given(fast=st.integers(2, 300), slow=st.integers(2, 300))
def test_ema_periods_are_accepted_exactly_when_fast_is_below_slow(fast: int, slow: int) -> None:
    if fast < slow:
        params = config(custom_ema_fast=fast, custom_ema_slow=slow).strategy_params()
        assert (params.ema_fast, params.ema_slow) == (fast, slow)
    else:
        assert problems(custom_ema_fast=fast, custom_ema_slow=slow) == (
            f"strategy.ema_fast: must be less than ema_slow (got {fast} ≥ {slow})"
        )


@pytest.mark.parametrize("field", ["ema_fast", "ema_slow", "rsi_period"])
@pytest.mark.parametrize("period", [1, 0, -3])
def test_indicator_periods_must_be_at_least_two(field: str, period: int) -> None:
    expected = f"strategy.{field}: must be greater than or equal to 2 (got {period})"
    assert expected in problems(**{f"custom_{field}": period})
    assert expected in problems(strategy={"name": "ema_rsi", field: period})


def test_rsi_oversold_must_be_below_overbought() -> None:
    assert problems(custom_rsi_oversold=70) == (
        "strategy.rsi_oversold: must be less than rsi_overbought (got 70 ≥ 65)"
    )
    assert problems(custom_rsi_overbought="30").startswith("strategy.rsi_oversold: must be less")
    params = config(custom_rsi_oversold="20.5", custom_rsi_overbought=80).strategy_params()
    assert (params.rsi_oversold, params.rsi_overbought) == (20.5, 80.0)


@pytest.mark.parametrize("field", ["rsi_oversold", "rsi_overbought"])
@pytest.mark.parametrize("level", [0, 100, -5, 150, "nan", "inf", True])
def test_rsi_levels_must_lie_strictly_between_zero_and_one_hundred(
    field: str, level: object
) -> None:
    assert problems(**{f"custom_{field}": level}).startswith(f"strategy.{field}: must be")


# --- percents and money ---------------------------------------------------------------------


def test_exit_percents_become_exact_fractions() -> None:
    c = config(custom_stop_loss="2", custom_take_profit="0.5", custom_trailing_stop=12)
    assert c.exit_rules() == ExitRules(D("0.02"), D("0.005"), D("0.12"))


@given(st.decimals(min_value="0.000001", max_value="99.999999", places=6))
def test_a_percent_survives_the_trip_to_a_fraction_exactly(percent: Decimal) -> None:
    stop = config(custom_stop_loss=str(percent)).exit_rules().stop_loss
    assert stop is not None
    assert stop * 100 == percent


@pytest.mark.parametrize(
    "field", ["custom_stop_loss", "custom_take_profit", "custom_trailing_stop"]
)
@pytest.mark.parametrize("value", ["0", "100", "-1", "150"])
def test_exit_percents_must_lie_strictly_between_zero_and_one_hundred(
    field: str, value: str
) -> None:
    assert problems(**{field: value}).startswith(f"{field}: must be")


def test_position_size_perc_may_be_the_whole_balance_but_no_more() -> None:
    assert config(position_size_perc=100).sizing_rule().balance_fraction == 1
    assert config(position_size_perc="12.5").sizing_rule().balance_fraction == D("0.125")
    assert problems(position_size_perc="100.01") == (
        "position_size_perc: must be less than or equal to 100 (got '100.01')"
    )
    assert problems(position_size_perc=0).startswith("position_size_perc: must be greater than 0")


MONEY = ["position_size_fixed", "max_daily_loss", "daily_profit_target", "transfer_amount"]


@pytest.mark.parametrize("field", MONEY)
def test_money_fields_keep_the_exact_decimal_written(field: str) -> None:
    assert getattr(config(**{field: "0.1"}), field) == D("0.1")
    assert getattr(config(**{field: 25}), field) == D(25)


@pytest.mark.parametrize("field", MONEY)
@pytest.mark.parametrize("value", ["0", "-5", "NaN", "Infinity", "-Infinity", "abc"])
def test_money_fields_must_be_finite_and_positive(field: str, value: str) -> None:
    assert problems(**{field: value}).startswith(f"{field}: must be")


@pytest.mark.parametrize("field", [*MONEY, "custom_stop_loss", "position_size_perc"])
def test_decimal_fields_refuse_floats_because_they_are_not_the_number_written(field: str) -> None:
    assert problems(**{field: 0.1}) == (
        f'{field}: must be written as a string or an integer (e.g. "2.5"), not a float (got 0.1)'
    )


def test_sizing_and_daily_limits_go_to_the_domain_objects() -> None:
    c = config(
        position_size_fixed="100", max_daily_trades=5, max_daily_loss="50",
        daily_profit_target="75.5",
    )  # fmt: skip
    assert c.sizing_rule() == SizingRule(fixed_quote=D(100))
    assert c.daily_limits() == DailyLimits(5, D(50), D("75.5"))


@pytest.mark.parametrize("trades", [0, -1, True, "x"])
def test_max_daily_trades_must_be_a_positive_integer(trades: object) -> None:
    assert problems(max_daily_trades=trades).startswith("max_daily_trades: must be")


def test_settings_that_will_not_act_as_written_produce_warnings() -> None:
    both = config(position_size_fixed=10, position_size_perc=5)
    assert both.warnings == ["position_size_perc is ignored because position_size_fixed is set"]
    spot = config(position_type="spot", auto_transfer_funds=True, transfer_amount="100")
    assert spot.warnings == ["auto_transfer_funds has no effect on a spot bot"]
    idle = config(transfer_amount="100")
    assert idle.warnings == ["transfer_amount has no effect while auto_transfer_funds is off"]


def test_a_typo_in_a_field_name_is_refused_by_name_with_a_suggestion() -> None:
    assert (
        problems(custom_ema_fats=5)
        == "custom_ema_fats: unknown field; did you mean custom_ema_fast?"
    )


def test_a_config_cannot_be_changed_after_validation() -> None:
    c = config()
    with pytest.raises(ValidationError):
        c.leverage = 10  # type: ignore[misc]


def test_every_error_line_names_its_field_and_rule_without_pydantic_urls() -> None:
    text = problems(
        symbol="btc", timeframe="7m", leverage=0, custom_ema_period=3, custom_stop_loss="-1",
        position_size_fixed=1.5, max_daily_trades=0, auto_transfer_funds="maybe",
    )  # fmt: skip
    lines = text.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "symbol", "timeframe", "leverage", "custom_stop_loss", "position_size_fixed",
        "max_daily_trades", "auto_transfer_funds", "custom_ema_period",
    ]  # fmt: skip
    assert all(len(line.split(": ", 1)[1]) > 10 for line in lines)
    assert "http" not in text
    assert "pydantic" not in text


# --- TOML files ------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toml_bot_table_is_loaded_and_toml_floats_stay_exact(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[bot]\nname = "b"\nsymbol = "ETHUSDT"\ntimeframe = "15m"\nposition_type = "futures"\n'
        "leverage = 10\ncustom_stop_loss = 2.5\nposition_size_fixed = 0.1\n",
    )
    c = load_bot_config_toml(path, {})
    assert (c.symbol, c.timeframe, c.leverage) == ("ETHUSDT", "15m", 10)
    assert c.position_size_fixed == D("0.1")
    assert c.exit_rules().stop_loss == D("0.025")


def test_top_level_keys_work_and_overrides_win_and_defaults_fill_gaps(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "b"\nsymbol = "ETHUSDT"\ntimeframe = "15m"\n')
    c = load_bot_config_toml(
        path,
        {"timeframe": "4h", "custom_ema_fast": 5},
        defaults={"position_type": "spot", "timeframe": "1m", "symbol": "BTCUSDT"},
    )
    assert (c.symbol, c.timeframe, c.position_type, c.strategy_params().ema_fast) == (
        "ETHUSDT", "4h", PositionType.SPOT, 5,
    )  # fmt: skip


def test_a_missing_file_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"nope\.toml"):
        load_bot_config_toml(tmp_path / "nope.toml", {})


def test_invalid_toml_is_a_configuration_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[bot\nname = ")
    with pytest.raises(ConfigurationError, match=r"bot\.toml is not valid TOML"):
        load_bot_config_toml(path, {})


def test_settings_outside_the_bot_table_are_refused_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, 'leverage = 3\n[bot]\nname = "b"\n')
    with pytest.raises(ConfigurationError, match="leverage outside the \\[bot\\] table"):
        load_bot_config_toml(path, {})


def test_an_invalid_config_file_lists_each_field_and_rule(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[bot]\nname = "b"\nsymbol = "BTCUSDT"\ntimeframe = "1h"\nposition_type = "futures"\n'
        "custom_ema_fast = 30\ncustom_stop_lost = 2\n",
    )
    with pytest.raises(ConfigurationError) as e:
        load_bot_config_toml(path, {})
    message = str(e.value)
    assert str(path) in message
    assert "strategy.ema_fast: must be less than ema_slow (got 30 ≥ 21)" in message
    assert "custom_stop_lost: unknown field; did you mean custom_stop_loss?" in message
    assert isinstance(e.value.__cause__, ValidationError)

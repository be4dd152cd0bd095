"""Numbers and names a user types are bounded at the edge, with the field named.

The database must never be the one to say no ("numeric field overflow"), and a message
never echoes a 10,000-character input whole.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from tests.unit.manage_fakes import FakeStore
from tradewind.bot_config import BotConfig, format_validation_error
from tradewind.domain.bounds import MAX_AMOUNT, check_amount, check_name, shown
from tradewind.domain.errors import ConfigurationError
from tradewind.services import manage
from tradewind.services.access import Actor

BASE = {"name": "b", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "futures"}
LONG = "x" * 10_000
OPERATOR = Actor.operator()


class Clock:
    def now(self) -> int:
        return 1_700_000_000


def problems(**fields: object) -> str:
    with pytest.raises(ValidationError) as e:
        BotConfig.model_validate({**BASE, **fields})
    return format_validation_error(e.value)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("position_size_fixed", "1e30", "must be less than or equal to 1000000000000"),
        ("max_daily_loss", "1e25", "must be less than or equal to 1000000000000"),
        ("daily_profit_target", "1000000000000.5", "must be less than or equal to"),
        ("transfer_amount", "1e19", "must be less than or equal to"),
        (
            "position_size_fixed",
            "0.0000000000000000001",
            "must have no more than 18 decimal places",
        ),
        ("custom_stop_loss", "1.00000000000000001", "must have no more than 16 decimal places"),
        ("leverage", 10**12, "must be less than or equal to 125"),
        ("max_daily_trades", 2**40, "must be less than or equal to 1000000"),
    ],
)
def test_a_number_too_large_or_too_fine_for_the_columns_is_refused_by_name(
    field: str, value: object, rule: str
) -> None:
    message = problems(**{field: value})
    assert message.startswith(f"{field}: {rule}")


def test_the_largest_amounts_allowed_still_fit_the_columns() -> None:
    c = BotConfig.model_validate(
        {**BASE, "position_size_fixed": "1000000000000", "max_daily_loss": "0.000000000000000001"}
    )
    assert c.position_size_fixed == MAX_AMOUNT
    assert BotConfig.model_validate({**BASE, "leverage": 125}).effective_leverage == 50


def test_a_long_name_is_refused_without_echoing_it_whole() -> None:
    message = problems(name=LONG)
    assert message.startswith("name: string should have at most 100 characters")
    assert "(10,000 characters)" in message
    assert len(message) < 200


def test_a_paper_balance_beyond_the_bound_is_refused_and_nothing_is_written() -> None:
    store = FakeStore()
    user = manage.add_user(store.manage_uow, Clock(), OPERATOR, "ann@example.com")
    before = store.snapshot()
    for balance, rule in (
        (Decimal("1e30"), "must be at most 1,000,000,000,000"),
        (Decimal("-1"), "must be a number > 0"),
        (Decimal("NaN"), "must be a number > 0"),
    ):
        with pytest.raises(ConfigurationError, match=rf"^balance: {rule}"):
            manage.add_account(
                store.manage_uow, Clock(), OPERATOR, owner_id=user.id, name="p", kind="paper",
                balance=balance,
            )  # fmt: skip
    with pytest.raises(ConfigurationError, match=r"^name: must be 1 to 100") as refused:
        manage.add_account(
            store.manage_uow, Clock(), OPERATOR, owner_id=user.id, name=LONG, kind="paper"
        )
    assert len(str(refused.value)) < 200
    assert store.snapshot() == before


def test_amount_and_name_checks_name_the_field_and_cut_what_they_echo() -> None:
    assert check_amount("x", Decimal("0"), allow_zero=True) == 0
    with pytest.raises(ConfigurationError, match=r"^x: must be a number > 0"):
        check_amount("x", Decimal("0"))
    with pytest.raises(ConfigurationError, match=r"^x: must have at most 18 decimals"):
        check_amount("x", Decimal("1e-19"))
    assert check_name("name", "  ok ") == "ok"
    assert shown("short") == "'short'"
    assert shown(LONG).endswith("… (10,000 characters)")

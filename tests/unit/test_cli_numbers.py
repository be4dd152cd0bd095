"""Numbers in the CLI's tables: money to the asset, prices to the tick, durations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradewind.entrypoints.cli.numbers import duration, money, percent, to_step

D = Decimal


@pytest.mark.parametrize(
    ("value", "asset", "shown"),
    [(D("-2.7799422573"), "USDT", "-2.78"), (D("1234.005"), "USDC", "1,234.00"),
     (D("0.000123456789"), "BTC", "0.00012346"), (None, "USDT", "-")],
)  # fmt: skip
def test_money_is_rounded_to_its_assets_precision(
    value: Decimal | None, asset: str, shown: str
) -> None:
    assert money(value, asset) == shown


def test_prices_show_to_the_tick_and_quantities_to_the_step() -> None:
    assert to_step(D("41234.5678"), D("0.01000000")) == "41234.57"
    assert to_step(D("0.5"), D("0.001")) == "0.500"
    assert to_step(D("3.14159"), D(0)) == "3.14159"


def test_durations_show_their_two_largest_units() -> None:
    assert [duration(s) for s in (45 * 60, 2 * 3600 + 5 * 60, 3 * 86400 + 4 * 3600, None)] == [
        "45m", "2h 05m", "3d 4h", "-",
    ]  # fmt: skip


def test_percentages_carry_a_sign_and_na() -> None:
    assert (percent(0.0123), percent(-0.5, 1), percent(None)) == ("+1.23%", "-50.0%", "n/a")

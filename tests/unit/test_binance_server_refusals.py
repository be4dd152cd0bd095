"""The simulated venue's refusals, answered as Binance answers them: code and message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradewind.adapters.exchange.simulated import Refusal, VenueRejection
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server.errors import refusal_answer

SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
R = Refusal


@pytest.mark.parametrize(
    ("refusal", "market", "code", "msg"),
    [
        (R.QUANTITY_NOT_POSITIVE, SPOT, -1013, "Filter failure: LOT_SIZE"),
        (R.BELOW_MIN_QTY, SPOT, -1013, "Filter failure: LOT_SIZE"),
        (R.QUANTITY_OFF_STEP, SPOT, -1013, "Filter failure: LOT_SIZE"),
        (R.ABOVE_MAX_QTY, SPOT, -1013, "Filter failure: MARKET_LOT_SIZE"),
        (R.BELOW_MIN_NOTIONAL, SPOT, -1013, "Filter failure: NOTIONAL"),
        (R.ABOVE_MAX_NOTIONAL, SPOT, -1013, "Filter failure: NOTIONAL"),
        (R.INSUFFICIENT_BALANCE, SPOT, -2010,
         "Account has insufficient balance for requested action."),
        (R.DUPLICATE_CLIENT_ID, SPOT, -2010, "Duplicate order sent."),
        (R.DUPLICATE_CLIENT_ID, FUTURES, -4116, "ClientOrderId is duplicated."),
        (R.QUANTITY_NOT_POSITIVE, FUTURES, -4003, "Quantity less than or equal to zero."),
        (R.QUANTITY_OFF_STEP, FUTURES, -1111,
         "Precision is over the maximum defined for this asset."),
        (R.BELOW_MIN_QTY, FUTURES, -4004, "Quantity less than min quantity."),
        (R.ABOVE_MAX_QTY, FUTURES, -4005, "Quantity greater than max quantity."),
        (R.INSUFFICIENT_MARGIN, FUTURES, -2019, "Margin is insufficient."),
        (R.WOULD_NOT_REDUCE, FUTURES, -2022, "ReduceOnly Order is rejected."),
        (R.MARGIN_MODE_LOCKED, FUTURES, -4048,
         "Margin type cannot be changed if there exists position."),
        (R.TRANSFER_EXCEEDS_BALANCE, None, -5002, "You have insufficient balance."),
        (R.INJECTED, None, -2010, "New order rejected."),
    ],
)  # fmt: skip
def test_each_refusal_gets_binances_code_and_message(
    refusal: Refusal, market: PositionType | None, code: int, msg: str
) -> None:
    assert refusal_answer(VenueRejection(refusal, "detail", market=market)) == (code, msg)


def test_a_futures_notional_below_the_minimum_names_the_minimum() -> None:
    error = VenueRejection(R.BELOW_MIN_NOTIONAL, "d", market=FUTURES, limit=Decimal("100.0"))
    assert refusal_answer(error) == (
        -4164,
        "Order's notional must be no smaller than 100.0 (unless you choose reduce only).",
    )


def test_a_leverage_out_of_range_names_the_leverage_asked() -> None:
    error = VenueRejection(R.LEVERAGE_OUT_OF_RANGE, "d", market=FUTURES, value=126, limit=125)
    assert refusal_answer(error) == (-4028, "Leverage 126 is not valid")


@pytest.mark.parametrize(
    ("field", "param"),
    [("levels", "stopPrice"), ("ids", "newClientOrderId"), ("amount", "amount")],
)
def test_an_invalid_field_names_binances_parameter(field: str, param: str) -> None:
    error = VenueRejection(R.INVALID_FIELD, "d", field=field)
    assert refusal_answer(error) == (
        -1102,
        f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed.",
    )

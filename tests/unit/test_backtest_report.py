"""The equity curve and the report figures mean what docs/strategy.md says."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import numpy as np
import pytest

from tradewind.domain.types import ExitReason, PositionSide
from tradewind.services.backtest.engine import equity_curve
from tradewind.services.backtest.metrics import max_drawdown
from tradewind.services.backtest.result import RoundTrip, round_trip

D = Decimal


def test_equity_is_the_balance_when_flat_and_marked_to_market_in_a_position() -> None:
    close = np.array([100.0, 101.0, 103.0, 99.0, 98.0, 97.0])
    long = RoundTrip(
        PositionSide.LONG, 1, 0, D(100), D(2), D("0.2"),
        3, 0, D(99), D("0.198"), ExitReason.SIGNAL, D("-2.398"),
    )  # fmt: skip
    short = RoundTrip(PositionSide.SHORT, 4, 0, D(98), D(1), D("0.1"))  # still open
    equity = equity_curve(close, D(1000), [long, short])
    expected = [
        1000,  # flat
        1000 - 0.2 + 2 * (101 - 100),  # long from candle 1: entry fee paid, marked at close
        1000 - 0.2 + 2 * (103 - 100),
        1000 - 2.398,  # closed at candle 3's open: flat at its close
        1000 - 2.398 - 0.1 + (98 - 98),  # short from candle 4
        1000 - 2.398 - 0.1 + (98 - 97),
    ]
    assert equity.tolist() == pytest.approx(expected)


def test_max_drawdown_is_the_deepest_fall_from_a_running_peak() -> None:
    assert max_drawdown(np.array([100.0, 120.0, 90.0, 130.0, 117.0])) == pytest.approx(0.25)
    assert max_drawdown(np.array([1.0, 2.0, 3.0])) == 0.0


def test_a_round_trip_built_through_its_slots_is_the_dataclass_and_stays_frozen() -> None:
    fields = (
        PositionSide.LONG, 1, 60, D("100.5"), D("0.249"), D("0.0250245"),
        7, 420, D("102.1"), D("0.0253"), ExitReason.TAKE_PROFIT, D("0.35"), D("0.248"),
        D("0.00075"),
    )  # fmt: skip
    built = round_trip(*fields)
    assert type(built) is RoundTrip
    assert built == RoundTrip(*fields)
    assert hash(built) == hash(RoundTrip(*fields))
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.pnl = D(0)  # type: ignore[misc]
    assert len(fields) == len(dataclasses.fields(RoundTrip))  # every field is given

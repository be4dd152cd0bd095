"""Fees and realized PnL, in the quote asset, hand-computed (docs/strategy.md, "Realized PnL").

Every expected number below was worked out by hand from the page: a fill pays the taker
rate times its notional; a closed position's PnL is the move times the quantity, less the
fees of both its fills.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.pnl import base_fee, held_after_buy, realized_pnl, taker_fee
from tradewind.domain.types import PositionSide

D = Decimal
LONG, SHORT = PositionSide.LONG, PositionSide.SHORT


def test_a_fill_pays_the_taker_rate_times_its_notional() -> None:
    assert taker_fee(D(40_000), D("0.5"), D("0.001")) == D(20)  # 20,000 x 0.1 %
    assert taker_fee(D(2_000), D(2), D("0.0004")) == D("1.6")  # 4,000 x 0.04 %
    assert taker_fee(D("23716.59"), D("0.00421"), D("0.001")) == D("0.0998468439")


def test_a_winning_long_makes_the_rise_times_the_quantity_less_both_fees() -> None:
    # Bought 0.5 at 40,000 (fee 20), sold at 41,000 (fee 20.5): 500 - 40.5.
    assert realized_pnl(LONG, D(40_000), D(41_000), D("0.5"), D("40.5")) == D("459.5")


def test_a_winning_short_makes_the_fall_times_the_quantity_less_both_fees() -> None:
    # Sold 2 at 2,000 (fee 1.6), bought back at 1,900 (fee 1.52): 200 - 3.12.
    assert realized_pnl(SHORT, D(2_000), D(1_900), D(2), D("3.12")) == D("196.88")


def test_a_losing_long_and_a_losing_short_lose_the_move_and_the_fees() -> None:
    # 3 at 100, out at 90 (a long) or 110 (a short), fees 0.3 + 0.27 or 0.3 + 0.33.
    assert realized_pnl(LONG, D(100), D(90), D(3), D("0.57")) == D("-30.57")
    assert realized_pnl(SHORT, D(100), D(110), D(3), D("0.63")) == D("-30.63")


def test_a_position_closed_where_it_opened_loses_exactly_its_fees() -> None:
    assert realized_pnl(LONG, D(100), D(100), D(3), D("0.6")) == D("-0.6")
    assert realized_pnl(SHORT, D(100), D(100), D(3), D("0.6")) == D("-0.6")


def test_a_spot_buy_pays_its_fee_in_the_base_and_holds_what_the_step_allows() -> None:
    # 0.00421 BTC bought at 0.1 %: fee 0.00000421 BTC, 0.00420579 received, 0.0042 held.
    assert base_fee(D("0.00421"), D("0.001")) == D("0.00000421")
    assert held_after_buy(D("0.00421"), D("0.00000421"), D("0.00001")) == D("0.0042")
    # Its value at the fill price is the quote fee of the same fill.
    assert base_fee(D("0.00421"), D("0.001")) * D("23716.59") == taker_fee(
        D("23716.59"), D("0.00421"), D("0.001")
    )
    assert held_after_buy(D("2.5"), D("0.0025"), D(0)) == D("2.4975")  # no step rule


steps = st.sampled_from([D("0.00001"), D("0.001"), D("0.1"), D(1)])


@given(
    quantity=st.integers(min_value=1, max_value=10**9).map(lambda n: D(n) / 10**5),
    rate=st.sampled_from([D("0.001"), D("0.00075"), D("0.0004")]),
    step=steps,
)
def test_what_a_buy_holds_is_a_whole_number_of_steps_within_one_step_of_what_it_received(
    quantity: Decimal, rate: Decimal, step: Decimal
) -> None:
    received = quantity - base_fee(quantity, rate)
    held = held_after_buy(quantity, base_fee(quantity, rate), step)
    assert held % step == 0
    assert 0 <= received - held < step

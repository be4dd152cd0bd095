"""The simulated venue as a whole: determinism, injected faults, snapshots, threads, money."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.market_script import MINUTE, T0, ManualClock, same_candles_for_both_markets
from tradewind.adapters.exchange.simulated import (
    CandlesPriceFeed,
    FaultMode,
    SimulatedExchange,
    SimulatedVenue,
)
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.errors import (
    ConfigurationError,
    OrderRejected,
    OutcomeUnknown,
    TemporaryExchangeError,
)
from tradewind.domain.orders import (
    ClientOrderId,
    OrderPurpose,
    OrderReport,
    OrderRequest,
    OrderStatus,
    ProtectionRequest,
)
from tradewind.domain.types import PositionSide, PositionType, Side

D = Decimal
SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
# Two hours of a realistic 1m market around 100 USDT, from T0.
MARKET = generate_market(120, seed=3, start_price=D(100))
FEED = CandlesPriceFeed(same_candles_for_both_markets("BTCUSDT", MARKET))


def venue(
    seed: int = 0, state_path: Path | None = None, clock: ManualClock | None = None
) -> tuple[SimulatedVenue, SimulatedExchange, ManualClock]:
    clock = clock or ManualClock(T0 + MINUTE)
    v = SimulatedVenue(FEED, clock, seed=seed, state_path=state_path)
    return v, v.account(1, futures_balances={"USDT": D(10_000)}), clock


def request(
    cid: str, side: Side = Side.BUY, qty: str = "1", kind: PositionType = SPOT
) -> OrderRequest:
    return OrderRequest(ClientOrderId(cid), "BTCUSDT", kind, side, D(qty), reduce_only=False)


def protection(cid: str, stop: str = "99", quantity: str = "1") -> ProtectionRequest:
    return ProtectionRequest(
        "BTCUSDT",
        SPOT,
        PositionSide.LONG,
        D(quantity),
        D(100),
        D(stop),
        D(130),
        D("0.01"),
        {
            OrderPurpose.STOP_LOSS: ClientOrderId(f"{cid}-s"),
            OrderPurpose.TAKE_PROFIT: ClientOrderId(f"{cid}-t"),
            OrderPurpose.TRAILING_STOP: ClientOrderId(f"{cid}-r"),
        },
    )


def session(exchange: SimulatedExchange, clock: ManualClock) -> list[object]:
    """A fixed run of calls; returns everything the exchange answered."""
    answers: list[object] = [exchange.place_market_order(request("a"))]
    answers.append(exchange.protect_position(protection("g", quantity="0.999")))  # 1 less the fee
    exchange.set_leverage("BTCUSDT", 3)
    answers.append(exchange.transfer_spot_to_futures("USDT", D(100)))
    answers.append(exchange.place_market_order(request("f", Side.SELL, "2", FUTURES)))
    for minute in range(2, 120, 7):
        clock.at_minute(minute)
        answers.append(exchange.find_order("BTCUSDT", SPOT, ClientOrderId("g-r")))
        answers.append(exchange.position("BTCUSDT"))
    answers.append(exchange.free_balance("USDT", SPOT))
    answers.append(exchange.free_balance("USDT", FUTURES))
    return answers


# --- Determinism -----------------------------------------------------------------------------


def test_the_same_seed_and_calls_give_the_same_ids_and_results() -> None:
    first, exchange_1, clock_1 = venue(seed=11)
    second, exchange_2, clock_2 = venue(seed=11)
    assert session(exchange_1, clock_1) == session(exchange_2, clock_2)
    assert first.snapshot() == second.snapshot()


def test_another_seed_gives_other_ids_but_the_same_fills() -> None:
    _, exchange_1, _ = venue(seed=1)
    _, exchange_2, _ = venue(seed=2)
    one, two = (
        exchange_1.place_market_order(request("a")),
        exchange_2.place_market_order(request("a")),
    )
    assert one.exchange_order_id != two.exchange_order_id
    assert (one.avg_price, one.fee) == (two.avg_price, two.fee)


def test_order_ids_are_sequential() -> None:
    _, exchange, _ = venue()
    ids = [int(exchange.place_market_order(request(f"o{i}")).exchange_order_id) for i in range(3)]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]


# --- Injected faults ---------------------------------------------------------------------------


def test_an_injected_reject_places_nothing() -> None:
    v, exchange, _ = venue()
    v.faults.schedule(FaultMode.REJECT, call="place_market_order")
    with pytest.raises(OrderRejected):
        exchange.place_market_order(request("a"))
    assert exchange.find_order("BTCUSDT", SPOT, ClientOrderId("a")) is None
    assert exchange.place_market_order(request("a")).status is OrderStatus.FILLED


def test_a_timeout_after_accepting_leaves_a_filled_order_behind_an_unknown_outcome() -> None:
    v, exchange, _ = venue()
    v.faults.schedule(FaultMode.TIMEOUT_AFTER_ACCEPT, call="place_market_order")
    with pytest.raises(OutcomeUnknown):
        exchange.place_market_order(request("a"))
    found = exchange.find_order("BTCUSDT", SPOT, ClientOrderId("a"))
    assert found is not None
    assert found.status is OrderStatus.FILLED
    assert exchange.free_balance("BTC", SPOT) == D("0.999")  # 1 less its 0.1 % fee


@pytest.mark.parametrize(
    ("mode", "error"),
    [(FaultMode.UNKNOWN_BEFORE, OutcomeUnknown), (FaultMode.TEMPORARY, TemporaryExchangeError)],
)
def test_faults_before_placing_leave_nothing_behind(
    mode: FaultMode, error: type[Exception]
) -> None:
    v, exchange, _ = venue()
    v.faults.schedule(mode, call="place_market_order")
    with pytest.raises(error):
        exchange.place_market_order(request("a"))
    assert exchange.find_order("BTCUSDT", SPOT, ClientOrderId("a")) is None
    assert exchange.free_balance("USDT", SPOT) == D(10_000)


def test_a_scheduled_fault_hits_the_next_n_calls_of_its_kind_only() -> None:
    v, exchange, _ = venue()
    v.faults.schedule(FaultMode.TEMPORARY, call="find_order", count=2)
    exchange.place_market_order(request("a"))  # another kind of call: untouched
    for _ in range(2):
        with pytest.raises(TemporaryExchangeError):
            exchange.find_order("BTCUSDT", SPOT, ClientOrderId("a"))
    assert exchange.find_order("BTCUSDT", SPOT, ClientOrderId("a")) is not None


def test_a_fault_for_any_call_hits_whatever_comes_next() -> None:
    v, exchange, _ = venue()
    v.faults.schedule(FaultMode.TEMPORARY)
    with pytest.raises(TemporaryExchangeError):
        exchange.free_balance("USDT", SPOT)
    assert exchange.free_balance("USDT", SPOT) == D(10_000)


def test_random_faults_follow_the_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        v, exchange, _ = venue(seed=seed)
        v.faults.set_rate(FaultMode.TEMPORARY, 0.5, call="find_order")
        failed = []
        for _ in range(40):
            try:
                exchange.find_order("BTCUSDT", SPOT, ClientOrderId("x"))
                failed.append(False)
            except TemporaryExchangeError:
                failed.append(True)
        return failed

    assert pattern(5) == pattern(5)
    assert 0 < sum(pattern(5)) < 40
    assert pattern(5) != pattern(6)


def test_a_fault_for_a_call_that_does_not_exist_is_refused() -> None:
    v, _, _ = venue()
    with pytest.raises(ValueError, match="call must be"):
        v.faults.schedule(FaultMode.REJECT, call="place_order")


# --- Snapshots ---------------------------------------------------------------------------------


def test_a_restarted_venue_finds_its_accounts_orders_and_resting_groups(tmp_path: Path) -> None:
    path = tmp_path / "paper" / "venue.json"
    first, exchange, clock = venue(seed=4, state_path=path)
    placed = exchange.place_market_order(request("a", qty="2"))
    resting = exchange.protect_position(protection("g", stop="99.5", quantity="1.998"))
    exchange.set_leverage("BTCUSDT", 5)
    exchange.set_isolated_margin("BTCUSDT")
    exchange.place_market_order(request("f", Side.SELL, "3", FUTURES))
    snapshot = first.snapshot()

    second, again, _ = venue(seed=999, state_path=path, clock=clock)  # the file wins
    assert second.snapshot() == snapshot
    assert again.find_order("BTCUSDT", SPOT, ClientOrderId("a")) == placed
    assert again.find_order("BTCUSDT", SPOT, ClientOrderId("g-s")) == resting[0]
    assert again.spot_balance("BTC").locked == D("1.998")
    position = again.position("BTCUSDT")
    assert position is not None
    assert (position.side, position.quantity, position.leverage) == (PositionSide.SHORT, D(3), 5)
    next_id = int(again.place_market_order(request("b")).exchange_order_id)
    assert next_id > int(placed.exchange_order_id) + 3

    clock.at_minute(119)  # the group keeps being watched after the restart
    fired = [again.find_order("BTCUSDT", SPOT, ClientOrderId(f"g-{c}")) for c in "str"]
    assert [r.status for r in fired if r is not None].count(OrderStatus.FILLED) == 1


def test_the_snapshot_is_json_with_decimals_as_strings_and_no_temporary_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "venue.json"
    _, exchange, _ = venue(state_path=path)
    report = exchange.place_market_order(request("a", qty="0.5"))
    document = json.loads(path.read_text())
    (account,) = document["accounts"]
    assert account["spot"]["BTC"]["free"] == "0.4995"  # 0.5 less its fee in BTC
    assert document["orders"][0]["price"] == str(report.avg_price)
    assert [p.name for p in tmp_path.iterdir()] == ["venue.json"]


def test_an_unreadable_snapshot_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "venue.json"
    path.write_text('{"format": "something else"}')
    with pytest.raises(ConfigurationError, match="not usable"):
        venue(state_path=path)


# --- Threads -----------------------------------------------------------------------------------


def test_calls_from_many_threads_keep_ids_unique_and_balances_whole() -> None:
    _, exchange, _ = venue()
    reports: list[OrderReport] = []

    def worker(n: int) -> None:
        for i in range(10):
            reports.append(exchange.place_market_order(request(f"t{n}-{i}", qty="0.1")))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.exchange_order_id for r in reports}) == 80
    spent = sum((r.quote_qty for r in reports), start=D(0))
    assert exchange.free_balance("USDT", SPOT) == D(10_000) - spent
    assert exchange.free_balance("BTC", SPOT) == D("7.992")  # each buy's fee taken in BTC


# --- Money is conserved ------------------------------------------------------------------------

actions = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=118),  # minute
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1_000, max_value=20_000),  # quantity in thousandths
        st.booleans(),  # reduce-only (futures)
    ),
    max_size=12,
)


def flows(reports: list[OrderReport], asset: str = "USDT") -> tuple[Decimal, Decimal]:
    """Return (sells - buys in quote, fees paid in `asset`) of the filled reports."""
    cash = sum((r.quote_qty if r.side is Side.SELL else -r.quote_qty for r in reports), start=D(0))
    return cash, sum((r.fee for r in reports if r.fee_asset == asset), start=D(0))


def play(
    exchange: SimulatedExchange,
    clock: ManualClock,
    kind: PositionType,
    steps: list[tuple[int, Side, int, bool]],
) -> list[OrderReport]:
    filled = []
    for n, (minute, side, thousandths, reduce_only) in enumerate(sorted(steps, key=lambda s: s[0])):
        clock.at_minute(minute)
        order = OrderRequest(
            ClientOrderId(f"h{n}"),
            "BTCUSDT",
            kind,
            side,
            D(thousandths) / 1000,
            reduce_only and kind is FUTURES,
        )
        try:
            filled.append(exchange.place_market_order(order))
        except OrderRejected:
            continue
    return filled


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=actions)
def test_spot_balances_change_only_by_the_fills_and_their_fees(
    steps: list[tuple[int, Side, int, bool]],
) -> None:
    _, exchange, clock = venue()
    filled = play(exchange, clock, SPOT, steps)
    cash, fees = flows(filled)
    base_fees = flows(filled, "BTC")[1]  # a buy's fee is taken from the BTC it receives
    assert all(r.fee_asset == ("BTC" if r.side is Side.BUY else "USDT") for r in filled)
    bought = sum(
        (r.executed_qty if r.side is Side.BUY else -r.executed_qty for r in filled), start=D(0)
    )
    assert exchange.free_balance("USDT", SPOT) == D(10_000) + cash - fees
    assert exchange.free_balance("BTC", SPOT) == bought - base_fees
    # At one price p, quote + base x p changes only by the fees (those in base at p).
    if filled and len({r.avg_price for r in filled}) == 1:
        p = filled[0].avg_price
        held = exchange.free_balance("BTC", SPOT)
        assert exchange.free_balance("USDT", SPOT) + held * p == D(10_000) - fees - base_fees * p


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=actions, leverage=st.integers(min_value=1, max_value=5))
def test_the_futures_wallet_changes_only_by_realized_pnl_and_fees(
    steps: list[tuple[int, Side, int, bool]], leverage: int
) -> None:
    _, exchange, clock = venue()
    exchange.set_leverage("BTCUSDT", leverage)
    exchange.set_isolated_margin("BTCUSDT")
    filled = play(exchange, clock, FUTURES, steps)
    position = exchange.position("BTCUSDT")
    if position is not None:  # close what is left, so all PnL is realized
        clock.at_minute(119)
        filled.append(
            exchange.place_market_order(
                OrderRequest(
                    ClientOrderId("last"), "BTCUSDT", FUTURES, position.side.exit_side,
                    position.quantity, True,
                )
            )
        )  # fmt: skip
    cash, fees = flows(filled)
    assert exchange.position("BTCUSDT") is None
    assert exchange.futures_wallet("USDT") == D(10_000) + cash - fees
    assert exchange.free_balance("USDT", FUTURES) == exchange.futures_wallet("USDT")

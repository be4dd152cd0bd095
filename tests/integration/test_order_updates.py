"""The user stream's record of orders (`OrderUpdates`) on the real Redis: when an order may be
read from it instead of REST, and how a stream's events and REST answers merge."""

from __future__ import annotations

from decimal import Decimal

import redis

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.order_updates import OrderUpdates
from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.orders import OrderStatus

ACCOUNT = 7
CID = "tw1-1704067920-t0"


def event(
    execution: str, status: str, executed: str = "0", trade: int = -1, **more: object
) -> dict[str, object]:
    """A spot `executionReport` of our take-profit."""
    return {
        "e": "executionReport", "s": "BTCUSDT", "c": CID, "C": "", "i": 42, "S": "SELL",
        "o": "TAKE_PROFIT", "q": "0.002", "X": status, "x": execution, "z": executed,
        "Z": str(Decimal(executed) * 40_000), "T": 1_704_069_000_000, "t": trade,
        "l": executed, "L": "40000", "n": "0.08", "N": "USDT",
    } | more  # fmt: skip


def rest_new() -> dict[str, object]:
    """`GET /api/v3/order` of the take-profit, still resting."""
    return {
        "symbol": "BTCUSDT", "clientOrderId": CID, "orderId": 42, "side": "SELL",
        "type": "TAKE_PROFIT", "status": "NEW", "origQty": "0.002", "executedQty": "0",
        "cummulativeQuoteQty": "0", "updateTime": 1_704_068_000_000,
    }  # fmt: skip


def test_an_order_placed_in_the_live_session_is_read_from_it_until_the_session_ends(
    redis_client: redis.Redis, names: Names
) -> None:
    updates = OrderUpdates(redis_client, names)
    session = updates.open_session(ACCOUNT)
    updates.record(ACCOUNT, session, event("NEW", "NEW"))
    resting, live = updates.current(ACCOUNT, CID, "USDT")
    assert live == session
    assert resting is not None
    assert resting.status is OrderStatus.NEW
    updates.record(ACCOUNT, session, event("TRADE", "FILLED", "0.002", trade=9))
    updates.record(ACCOUNT, session, event("TRADE", "FILLED", "0.002", trade=9))  # again
    filled, _ = updates.current(ACCOUNT, CID, "USDT")
    assert filled is not None
    assert (filled.status, filled.executed_qty, filled.avg_price, filled.fee) == (
        OrderStatus.FILLED, Decimal("0.002"), Decimal(40_000), Decimal("0.08"),
    )  # fmt: skip
    updates.close_session(ACCOUNT, session)
    assert updates.current(ACCOUNT, CID, "USDT") == (None, None)  # no stream: REST


def test_after_a_reconnect_an_order_is_stale_until_rest_rebases_it(
    redis_client: redis.Redis, names: Names
) -> None:
    updates = OrderUpdates(redis_client, names)
    first = updates.open_session(ACCOUNT)
    updates.record(ACCOUNT, first, event("NEW", "NEW"))
    second = updates.open_session(ACCOUNT)  # a new connection
    assert updates.current(ACCOUNT, CID, "USDT") == (None, second)
    # A fill told in the new session does not make it current: the gap may have held more.
    updates.record(ACCOUNT, second, event("TRADE", "PARTIALLY_FILLED", "0.001", trade=1))
    assert updates.current(ACCOUNT, CID, "USDT") == (None, second)
    # REST (asked while `second` lived, before that fill) says NEW: the rebase keeps the
    # later state it merges, and the order is current again.
    updates.rebase(ACCOUNT, parsing.spot_report(rest_new(), [], "USDT"), second)
    partial, _ = updates.current(ACCOUNT, CID, "USDT")
    assert partial is not None
    assert (partial.status, partial.executed_qty) == (
        OrderStatus.PARTIALLY_FILLED,
        Decimal("0.001"),
    )


def test_a_fill_whose_trades_are_not_all_told_is_left_to_rest(
    redis_client: redis.Redis, names: Names
) -> None:
    updates = OrderUpdates(redis_client, names)
    session = updates.open_session(ACCOUNT)
    updates.record(ACCOUNT, session, event("NEW", "NEW"))
    # The order's first trade (0.001) never came; the second says it is filled (0.002).
    updates.record(ACCOUNT, session, event("TRADE", "FILLED", "0.002", trade=2, l="0.001"))
    assert updates.current(ACCOUNT, CID, "USDT") == (None, session)  # its fee would be short
    assert updates.heartbeat(ACCOUNT, session)
    updates.open_session(ACCOUNT)
    assert not updates.heartbeat(ACCOUNT, session)  # another session is live now


def test_rest_asked_before_a_session_began_does_not_make_an_order_current_in_it(
    redis_client: redis.Redis, names: Names
) -> None:
    updates = OrderUpdates(redis_client, names)
    _, before = updates.current(ACCOUNT, CID, "USDT")  # no stream yet
    updates.open_session(ACCOUNT)  # the stream connects while REST is being asked
    updates.rebase(ACCOUNT, parsing.spot_report(rest_new(), [], "USDT"), before)
    assert updates.current(ACCOUNT, CID, "USDT")[0] is None  # a fill in between is possible


def test_orders_long_over_are_dropped_from_the_record(
    redis_client: redis.Redis, names: Names
) -> None:
    updates = OrderUpdates(redis_client, names)
    session = updates.open_session(ACCOUNT)
    filled_at = 1_704_069_000_000
    updates.record(ACCOUNT, session, event("NEW", "NEW", c="resting"))
    updates.record(ACCOUNT, session, event("TRADE", "FILLED", "0.002", trade=9))
    assert updates.prune(ACCOUNT, filled_at + 1_000, keep_ms=60_000) == 0  # over, not long
    assert updates.prune(ACCOUNT, filled_at + 61_000, keep_ms=60_000) == 1
    assert updates.current(ACCOUNT, CID, "USDT")[0] is None  # REST tells, if asked
    assert updates.current(ACCOUNT, "resting", "USDT")[0] is not None  # still resting: kept

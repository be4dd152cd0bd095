"""Request weight per IP and minute, bans after repeated 429s, order counts per account."""

from __future__ import annotations

import pytest

from tradewind.testkit.binance_server.errors import BinanceError
from tradewind.testkit.binance_server.limits import Limits, Market, RateLimiter

MINUTE = 60_000
T = 1_700_000_020_000  # 40 s into a minute window
IP = "127.0.0.1"


def limiter(**limits: int) -> RateLimiter:
    return RateLimiter(Limits(**limits))


def refused(call: object) -> BinanceError:
    assert callable(call)
    with pytest.raises(BinanceError) as caught:
        call()
    return caught.value


def test_weight_adds_up_within_the_minute_and_starts_over_in_the_next() -> None:
    rates = limiter()
    assert [rates.charge(IP, Market.SPOT, w, T) for w in (1, 20, 4)] == [1, 21, 25]
    assert rates.used_weight(IP, Market.SPOT, T + 19_999) == 25
    assert rates.used_weight(IP, Market.SPOT, T + 20_000) == 0  # the next minute
    assert rates.charge(IP, Market.SPOT, 2, T + 20_000) == 2


def test_each_ip_and_each_market_has_its_own_budget() -> None:
    rates = limiter()
    rates.charge(IP, Market.SPOT, 10, T)
    assert rates.charge("127.0.0.2", Market.SPOT, 1, T) == 1
    assert rates.charge(IP, Market.FUTURES, 5, T) == 5


def test_going_over_the_limit_gets_429_with_the_seconds_to_the_window_end() -> None:
    rates = limiter(spot_weight_per_minute=30)
    rates.charge(IP, Market.SPOT, 20, T)
    error = refused(lambda: rates.charge(IP, Market.SPOT, 20, T + 500))
    assert (error.status, error.code) == (429, -1003)
    assert error.headers["Retry-After"] == "20"  # 19.5 s left, rounded up
    assert error.headers["X-MBX-USED-WEIGHT-1M"] == "40"
    assert "current limit is 30 request weight per 1 MINUTE" in error.msg


def test_a_client_that_keeps_sending_over_the_limit_is_banned_with_418_until_the_ban_ends() -> None:
    rates = limiter(spot_weight_per_minute=1, requests_before_ban=2, ban_seconds=120)
    rates.charge(IP, Market.SPOT, 1, T)
    statuses = [refused(lambda: rates.charge(IP, Market.SPOT, 1, T)).status for _ in range(3)]
    assert statuses == [429, 429, 418]
    ban = refused(lambda: rates.charge(IP, Market.SPOT, 1, T + MINUTE))  # a new window, banned
    assert (ban.status, ban.code, ban.headers["Retry-After"]) == (418, -1003, "60")
    assert f"IP banned until {T + 120_000}" in ban.msg
    assert rates.charge(IP, Market.SPOT, 1, T + 120_000) == 1  # the ban is over


def test_orders_count_per_account_in_each_interval_and_one_too_many_gets_1015() -> None:
    rates = limiter(spot_orders_per_10s=2)
    assert rates.count_order(1, Market.SPOT, T) == {
        "X-MBX-ORDER-COUNT-10S": "1",
        "X-MBX-ORDER-COUNT-1D": "1",
    }
    assert rates.count_order(2, Market.SPOT, T)["X-MBX-ORDER-COUNT-10S"] == "1"
    rates.count_order(1, Market.SPOT, T)
    error = refused(lambda: rates.count_order(1, Market.SPOT, T))
    assert (error.status, error.code) == (429, -1015)
    assert error.msg == "Too many new orders; current limit is 2 orders per 10 SECOND."
    assert error.headers["X-MBX-ORDER-COUNT-1D"] == "3"
    assert rates.count_order(1, Market.SPOT, T + 10_000)["X-MBX-ORDER-COUNT-10S"] == "1"


def test_futures_orders_count_per_minute_and_an_oco_counts_two() -> None:
    rates = limiter(futures_orders_per_minute=3)
    assert rates.count_order(1, Market.FUTURES, T, orders=2)["X-MBX-ORDER-COUNT-1M"] == "2"
    error = refused(lambda: rates.count_order(1, Market.FUTURES, T, orders=2))
    assert error.msg == "Too many new orders; current limit is 3 orders per 1 MINUTE."


def test_limits_must_be_whole_numbers_of_at_least_one() -> None:
    with pytest.raises(ValueError, match="spot_weight_per_minute"):
        Limits(spot_weight_per_minute=0)

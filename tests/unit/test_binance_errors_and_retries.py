"""Binance failures are classified by code, and only what may be retried is retried."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.adapters.exchange.binance.codes import CODES, Kind, classify
from tradewind.adapters.exchange.binance.errors import (
    BinanceClockSkew,
    BinanceCredentials,
    BinanceOutcomeUnknown,
    BinanceRateLimited,
    BinanceRejected,
    BinanceTemporary,
    binance_error,
    network_error,
)
from tradewind.adapters.exchange.binance.retry import RetryPolicy, call_with_retries
from tradewind.domain.errors import (
    AuthenticationFailed,
    ConfigurationError,
    OrderRejected,
    OutcomeUnknown,
    TemporaryExchangeError,
)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (429, -1003, Kind.RATE_LIMITED),
        (418, -1003, Kind.RATE_LIMITED),
        (400, -1015, Kind.RATE_LIMITED),
        (400, -1021, Kind.CLOCK),
        (400, -1022, Kind.CREDENTIALS),
        (401, -2015, Kind.CREDENTIALS),
        (401, -2014, Kind.CREDENTIALS),
        (400, -1013, Kind.REJECTED),
        (400, -2010, Kind.REJECTED),
        (400, -2019, Kind.REJECTED),
        (400, -4164, Kind.REJECTED),
        (400, -1121, Kind.CONFIGURATION),
        (400, -2013, Kind.NOT_FOUND),
        (400, -4046, Kind.NO_CHANGE),
        (503, -1007, Kind.OUTCOME_UNKNOWN),
        (500, None, Kind.OUTCOME_UNKNOWN),
        (502, None, Kind.OUTCOME_UNKNOWN),
        (400, None, Kind.REJECTED),
        (401, None, Kind.CREDENTIALS),
    ],
)
def test_each_answer_is_classified_by_its_code_and_status(
    status: int, code: int | None, kind: Kind
) -> None:
    assert classify(status, code) is kind


def test_the_domain_type_says_what_the_bot_does() -> None:
    expected = {
        -1003: TemporaryExchangeError,
        -1021: TemporaryExchangeError,
        -1007: OutcomeUnknown,
        -2010: OrderRejected,
        -2015: AuthenticationFailed,
        -1121: ConfigurationError,
    }
    for code, domain_type in expected.items():
        error = binance_error(400, code, "msg")
        assert isinstance(error, domain_type), code
        assert error.code == code


def test_the_message_is_binances_but_classification_ignores_it() -> None:
    # The same code with a reworded message is the same kind of error.
    one = binance_error(400, -2010, "Account has insufficient balance for requested action.")
    two = binance_error(400, -2010, "something else entirely, e.g. a translation")
    assert type(one) is type(two) is BinanceRejected
    assert "Binance -2010: Account has insufficient balance" in str(one)


def test_a_credentials_error_tells_the_owner_what_to_check() -> None:
    error = binance_error(401, -2015, "Invalid API-key, IP, or permissions for action.")
    assert isinstance(error, BinanceCredentials)
    assert "permissions" in str(error)


def test_a_rate_limit_keeps_retry_after() -> None:
    error = binance_error(429, -1003, "Too much request weight used", retry_after=7)
    assert isinstance(error, BinanceRateLimited)
    assert error.retry_after == 7


@given(st.integers(min_value=-10_000, max_value=-1), st.integers(min_value=400, max_value=599))
def test_every_code_maps_to_exactly_one_kind(code: int, status: int) -> None:
    kind = classify(status, code)
    if status in (418, 429):
        assert kind is Kind.RATE_LIMITED
    elif code in CODES:
        assert kind is CODES[code]
    else:
        assert kind in (Kind.OUTCOME_UNKNOWN, Kind.REJECTED, Kind.CREDENTIALS, Kind.RATE_LIMITED)


# --- retries -------------------------------------------------------------------------


class Script:
    """An action that fails as scripted, then returns 'ok'."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def policy(attempts: int = 5) -> tuple[RetryPolicy, list[float]]:
    waits: list[float] = []
    return RetryPolicy(attempts, 0.5, 30.0, sleep=waits.append, rng=random.Random(1)), waits


def test_rate_limits_are_retried_after_retry_after() -> None:
    retry, waits = policy()
    blocked: list[float | None] = []
    action = Script(binance_error(429, -1003, "weight", retry_after=3))
    result = call_with_retries(
        retry, action, idempotent=False, resync_clock=lambda: None, on_rate_limited=blocked.append
    )
    assert result == "ok"
    assert action.calls == 2
    assert waits[0] >= 3  # never sooner than Binance asked
    assert blocked == [3]


def test_a_clock_error_resyncs_before_retrying() -> None:
    retry, _ = policy()
    resyncs: list[int] = []
    action = Script(binance_error(400, -1021, "Timestamp outside of recvWindow"))
    call_with_retries(retry, action, idempotent=False, resync_clock=lambda: resyncs.append(1))
    assert resyncs == [1]
    assert action.calls == 2


def test_an_order_whose_answer_was_lost_is_never_resent() -> None:
    retry, _ = policy()
    action = Script(network_error("read timed out", maybe_done=True))
    with pytest.raises(BinanceOutcomeUnknown):
        call_with_retries(retry, action, idempotent=False, resync_clock=lambda: None)
    assert action.calls == 1


def test_a_read_whose_answer_was_lost_is_asked_again() -> None:
    retry, _ = policy()
    action = Script(
        binance_error(503, None, "Service Unavailable"), network_error("reset", maybe_done=True)
    )
    assert call_with_retries(retry, action, idempotent=True, resync_clock=lambda: None) == "ok"
    assert action.calls == 3


def test_a_read_that_never_gets_an_answer_ends_as_temporary() -> None:
    retry, _ = policy(attempts=3)
    action = Script(*[binance_error(502, None, "Bad Gateway")] * 5)
    with pytest.raises(BinanceTemporary):
        call_with_retries(retry, action, idempotent=True, resync_clock=lambda: None)
    assert action.calls == 3


@pytest.mark.parametrize(
    "error",
    [
        binance_error(400, -2010, "insufficient balance"),
        binance_error(401, -2015, "Invalid API-key"),
        binance_error(400, -1121, "Invalid symbol."),
        binance_error(400, -1013, "Filter failure: LOT_SIZE"),
    ],
)
def test_what_cannot_succeed_is_not_retried(error: Exception) -> None:
    retry, waits = policy()
    action = Script(error)
    with pytest.raises(type(error)):
        call_with_retries(retry, action, idempotent=True, resync_clock=lambda: None)
    assert action.calls == 1
    assert waits == []


def test_retries_stop_after_the_configured_attempts() -> None:
    retry, waits = policy(attempts=4)
    action = Script(*[binance_error(400, -1015, "Too many new orders")] * 10)
    with pytest.raises(BinanceRateLimited):
        call_with_retries(retry, action, idempotent=False, resync_clock=lambda: None)
    assert action.calls == 4
    assert len(waits) == 3


def test_clock_skew_is_retried_at_most_max_attempts_times() -> None:
    retry, _ = policy(attempts=2)
    action = Script(*[binance_error(400, -1021, "skew")] * 3)
    with pytest.raises(BinanceClockSkew):
        call_with_retries(retry, action, idempotent=True, resync_clock=lambda: None)
    assert action.calls == 2


@given(
    st.integers(min_value=0, max_value=30),
    st.floats(min_value=0, max_value=10),
    st.floats(min_value=0, max_value=120),
    st.integers(min_value=0, max_value=2**32),
)
def test_full_jitter_stays_within_its_ceiling(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    retry = RetryPolicy(5, base, cap, rng=random.Random(seed))
    wait = retry.delay(attempt)
    assert 0 <= wait <= min(cap, base * 2**attempt)


def test_jitter_spreads_the_retries_of_many_bots() -> None:
    retry = RetryPolicy(5, 1.0, 30.0, rng=random.Random(3))
    waits = [retry.delay(3) for _ in range(1000)]
    assert max(waits) <= 8
    assert len({round(w, 2) for w in waits}) > 500  # not in step
    assert 3.0 < sum(waits) / len(waits) < 5.0  # uniform over [0, 8]

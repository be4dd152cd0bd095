"""Signed requests are checked as Binance checks them: raw bytes, query then body, a time window."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.testkit.binance_server.errors import BinanceError
from tradewind.testkit.binance_server.signing import (
    check_timestamp,
    parse_params,
    sign,
    signature_matches,
    signed_payload,
)

# Binance's documented example (spot API docs, "SIGNED endpoint examples for POST /api/v3/order").
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
PAYLOAD = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1499827319559"
)
SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
# Example 3 of the same page: part in the query string, part in the body.
MIXED_QUERY = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
MIXED_BODY = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
MIXED_SIGNATURE = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"


def test_the_documented_test_vector_signs_to_binances_signature() -> None:
    assert sign(SECRET, PAYLOAD) == SIGNATURE


@pytest.mark.parametrize(
    ("query", "body"),
    [
        (f"{PAYLOAD}&signature={SIGNATURE}", ""),  # GET: all in the query string
        ("", f"{PAYLOAD}&signature={SIGNATURE}"),  # POST: all in the body
    ],
)
def test_the_test_vector_passes_in_the_query_or_in_the_body(query: str, body: str) -> None:
    assert signature_matches(SECRET, query, body)


def test_a_signature_covers_the_query_then_the_body_with_nothing_between() -> None:
    body = f"{MIXED_BODY}&signature={MIXED_SIGNATURE}"
    assert signed_payload(MIXED_QUERY, body) == (MIXED_QUERY + MIXED_BODY, MIXED_SIGNATURE)
    assert signature_matches(SECRET, MIXED_QUERY, body)


def test_the_raw_order_of_the_parameters_is_what_was_signed() -> None:
    reordered = "timestamp=1499827319559&" + PAYLOAD.removesuffix("&timestamp=1499827319559")
    assert signature_matches(SECRET, f"{reordered}&signature={sign(SECRET, reordered)}", "")
    assert not signature_matches(SECRET, f"{reordered}&signature={SIGNATURE}", "")


@pytest.mark.parametrize(
    ("query", "secret"),
    [
        (f"{PAYLOAD.replace('quantity=1', 'quantity=2')}&signature={SIGNATURE}", SECRET),
        (f"{PAYLOAD}&signature={SIGNATURE}", SECRET[:-1] + "k"),
        (PAYLOAD, SECRET),  # no signature at all
        (f"{PAYLOAD}&signature=", SECRET),
    ],
)
def test_a_changed_request_a_wrong_secret_or_no_signature_fails(query: str, secret: str) -> None:
    assert not signature_matches(secret, query, "")


def test_a_key_in_both_the_query_and_the_body_takes_the_querys_value() -> None:
    params = parse_params("symbol=BTCUSDT&side=BUY", "side=SELL&quantity=1")
    assert params == {"symbol": "BTCUSDT", "side": "BUY", "quantity": "1"}


SERVER_TIME = 1_700_000_000_000


@given(
    offset=st.integers(min_value=-70_000, max_value=5_000),
    window=st.one_of(st.none(), st.integers(min_value=1, max_value=60_000)),
)
def test_a_timestamp_is_accepted_iff_under_a_second_ahead_and_within_the_recv_window(
    offset: int, window: int | None
) -> None:
    params = {"timestamp": str(SERVER_TIME + offset)}
    if window is not None:
        params["recvWindow"] = str(window)
    accepted = offset < 1000 and -offset <= (window or 5000)
    if accepted:
        check_timestamp(params, SERVER_TIME)
    else:
        with pytest.raises(BinanceError) as caught:
            check_timestamp(params, SERVER_TIME)
        assert (caught.value.status, caught.value.code) == (400, -1021)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, -1102),
        ({"timestamp": "soon"}, -1102),
        ({"timestamp": str(SERVER_TIME), "recvWindow": "60001"}, -1131),
        ({"timestamp": str(SERVER_TIME), "recvWindow": "0"}, -1131),
    ],
)
def test_a_missing_timestamp_or_a_recv_window_over_a_minute_is_refused(
    params: dict[str, str], code: int
) -> None:
    with pytest.raises(BinanceError) as caught:
        check_timestamp(params, SERVER_TIME)
    assert caught.value.code == code

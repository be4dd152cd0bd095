"""The rules of notifications: event types, the retry schedule, secrets, webhook targets."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.adapters.notify.signing import generate_secret, signature
from tradewind.domain.notifications import (
    ROUTABLE,
    EventType,
    parse_event_types,
    retry_delay,
    webhook_key,
)
from tradewind.domain.webhook_targets import (
    TargetRefused,
    check_resolved,
    check_target,
    parse_networks,
)

LOOPBACK = parse_networks("127.0.0.0/8")


def test_all_means_every_event_an_owner_can_route_and_not_the_test_event() -> None:
    assert parse_event_types("all") == ROUTABLE
    assert EventType.TEST not in ROUTABLE
    assert set(ROUTABLE) | {EventType.TEST} == set(EventType)


def test_a_list_of_event_types_keeps_its_order_and_drops_repeats() -> None:
    chosen = parse_event_types(" position_closed, BOT_ERROR ,position_closed")
    assert chosen == (EventType.POSITION_CLOSED, EventType.BOT_ERROR)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("position_closd", "unknown event type 'position_closd'"),
        ("test", "the test event is not routed"),
        (" , ", "give `all` or a comma-separated list"),
    ],
)
def test_a_bad_event_list_is_refused_naming_the_bad_word(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_event_types(text)


@given(
    attempts=st.integers(min_value=1, max_value=200),
    base=st.floats(min_value=0.1, max_value=600),
    cap=st.floats(min_value=1, max_value=86_400),
    jitter=st.floats(min_value=0.8, max_value=1.2),
)
def test_the_wait_doubles_from_the_base_and_never_passes_the_cap(
    attempts: int, base: float, cap: float, jitter: float
) -> None:
    delay = retry_delay(attempts, base, cap, jitter)
    assert 0 < delay <= cap * jitter
    assert delay == pytest.approx(min(cap, base * 2.0 ** min(attempts - 1, 60)) * jitter)
    assert retry_delay(attempts + 1, base, cap, jitter) >= delay


def test_the_standard_webhooks_test_vector_signs_as_the_scheme_says() -> None:
    # The scheme's published example: secret, message id, timestamp, body, signature.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    signed = signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                       b'{"test": 2432232314}')  # fmt: skip
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_generated_secret_is_a_valid_secret_of_32_bytes() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(webhook_key(secret)) == 32
    assert generate_secret() != secret


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("s3cr3t-without-prefix-0123456789", "must start with whsec_"),
        ("whsec_not base64!", "followed by base64"),
        ("whsec_c2hvcnQ=", "24 to 64 bytes"),
    ],
)
def test_a_malformed_secret_is_refused_without_echoing_it(secret: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        webhook_key(secret)
    assert secret not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://localhost/hook", "names this machine"),
        ("https://api.localhost/hook", "names this machine"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://172.16.5.4/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://100.64.0.1/hook", "not a public address"),
        ("https://0.0.0.0/hook", "not a unicast address"),
        ("https://224.0.0.1/hook", "not a unicast address"),
        ("ftp://example.com/hook", "must start with https://"),
        ("https:///hook", "has no host"),
        ("https://user:pw@example.com/hook", "must not carry a user name"),
        ("https://example.com:99999/hook", "not a URL"),
        ("https://exa mple.com/hook", "spaces"),
        ("http://2130706433/", "numeric, hex or octal form"),
        ("http://0x7f.1/", "numeric, hex or octal form"),
        ("http://0x7f000001/", "numeric, hex or octal form"),
        ("http://0177.0.0.1/", "numeric, hex or octal form"),
        ("http://127.1/", "numeric, hex or octal form"),
        ("http://metadata.google.internal/computeMetadata/v1/", "internal name"),
        ("https://vault.corp.internal/hook", "internal name"),
        ("https://printer.local/hook", "internal name"),
        ("https://metadata/hook", "internal name"),
        ("https://LOCALHOST./hook", "names this machine"),
        ("https://ip6-localhost/hook", "names this machine"),
        ("https://localhost.localdomain/hook", "names this machine"),
    ],
)
def test_a_webhook_target_that_is_not_public_or_not_a_url_is_refused(url: str, why: str) -> None:
    with pytest.raises(TargetRefused, match=why):
        check_target(url, ())


def test_a_public_target_passes_and_an_allowed_network_opens_a_private_one() -> None:
    assert check_target("https://93.184.215.14/hook", ()).hostname == "93.184.215.14"
    assert check_target("https://hooks.example.com/x?token=1", ()).hostname == "hooks.example.com"
    assert check_target("http://127.0.0.1:9000/hook", LOOPBACK).port == 9000
    assert check_target("http://localhost:9000/hook", LOOPBACK).hostname == "localhost"
    with pytest.raises(TargetRefused, match="private"):
        check_target("https://10.0.0.1/hook", LOOPBACK)  # loopback allowed, not 10/8


def test_a_name_is_refused_when_any_address_it_resolves_to_is_not_allowed() -> None:
    public, private = ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.7")
    assert check_resolved([public], ()) == public
    with pytest.raises(TargetRefused, match=r"resolves to 10\.0\.0\.7 is a private address"):
        check_resolved([public, private], ())
    with pytest.raises(TargetRefused, match="resolves to no address"):
        check_resolved([], ())


def test_allowed_networks_are_parsed_and_a_bad_one_is_named() -> None:
    assert [str(n) for n in parse_networks("127.0.0.1, 10.0.0.0/8,,::1")] == [
        "127.0.0.1/32", "10.0.0.0/8", "::1/128",
    ]  # fmt: skip
    with pytest.raises(ValueError, match=r"'10\.0\.0/33' is not a network"):
        parse_networks("10.0.0/33")

"""`tradewind notify …` as an owner runs it: real processes, a real receiver on loopback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.test_cli_manage import Tradewind
from tests.notify.servers import WebhookReceiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
LOOPBACK = {"TRADEWIND_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32"}


@pytest.fixture(scope="module")
def owner_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with Ann, her paper account and her bot btc (made once, then copied)."""
    home = tmp_path_factory.mktemp("owner")
    tw = Tradewind(home)
    tw.ok("init")
    tw.ok("user", "add", "ann@example.com")
    tw.ok("account", "add", "--user", "ann@example.com", "--name", "paper", "--kind", "paper")
    tw.ok("bot", "create", "--user", "ann@example.com", "--account", "paper", "--name", "btc",
          "--symbol", "BTCUSDT", "--timeframe", "1m", "--position-type", "spot")  # fmt: skip
    return home


@pytest.fixture
def tw(owner_home: Path, tmp_path: Path) -> Tradewind:
    home = tmp_path / "home"
    shutil.copytree(owner_home, home)  # keeps the key file's mode 0600
    return Tradewind(home)


def test_an_owner_adds_a_webhook_routes_it_and_the_test_event_arrives_signed(
    tw: Tradewind,
) -> None:
    user = ("--user", "ann@example.com")
    with WebhookReceiver(SECRET) as receiver:
        tw.ok("notify", "webhook", "add", *user, "--name", "hook", "--url", receiver.url,
              TRADEWIND_WEBHOOK_SECRET=SECRET, **LOOPBACK)  # fmt: skip
        tw.ok("notify", "route", *user, "--channel", "hook", "--bot", "btc",
              "--events", "position_closed,bot_error")  # fmt: skip
        listed = tw.ok("notify", "list", *user)
        sent = tw.ok("notify", "test", *user, **LOOPBACK)
    gone = tw("notify", "test", *user, **LOOPBACK)  # the receiver has stopped
    assert gone.returncode == 1
    assert "1 of 1 channel(s) did not take the test event" in gone.stderr
    assert "could not reach the endpoint (ConnectError)" in " ".join(gone.stdout.split())
    assert "stored (encrypted)" in listed
    assert "position_closed, bot_error" in listed
    assert SECRET not in listed
    assert SECRET.removeprefix("whsec_").encode() not in tw.database_bytes()
    assert "test event evt_1 delivered to 1 channel(s)" in sent
    [taken] = receiver.received
    assert taken.refused is None
    assert json.loads(taken.body)["type"] == "test"


def test_bad_notification_settings_are_refused_naming_the_field(tw: Tradewind) -> None:
    user = ("--user", "ann@example.com")
    private = tw.refused("notify", "webhook", "add", *user, "--name", "h", "--url",
                         "https://10.1.2.3/hook", TRADEWIND_WEBHOOK_SECRET=SECRET)  # fmt: skip
    assert "url: 10.1.2.3 is a private address" in private
    for url, why in (
        ("http://2130706433/", "2130706433 is an address in a numeric, hex or octal form"),
        ("http://0x7f.1/", "0x7f.1 is an address in a numeric, hex or octal form"),
        ("http://metadata.google.internal/", "metadata.google.internal is an internal name"),
    ):
        refused = tw.refused("notify", "webhook", "add", *user, "--name", "h", "--url", url,
                             TRADEWIND_WEBHOOK_SECRET=SECRET)  # fmt: skip
        assert f"url: {why}" in refused
    weak = tw.refused("notify", "webhook", "add", *user, "--name", "h", "--url",
                      "https://hooks.example.com/x",
                      TRADEWIND_WEBHOOK_SECRET="hunter2")  # fmt: skip
    assert "secret: must start with whsec_" in weak
    assert "hunter2" not in weak
    mail = tw.refused("notify", "email", "add", *user, "--name", "m", "--to", "ann@")
    assert "to: must be one address like name@example.com" in mail
    events = tw.refused("notify", "route", *user, "--channel", "m", "--events", "fills")
    assert "events: unknown event type 'fills'" in events
    assert "has no notification channel yet" in tw.ok("notify", "list", *user)


def test_a_generated_secret_is_shown_once_and_never_again(tw: Tradewind) -> None:
    user = ("--user", "ann@example.com")
    added = tw.ok("notify", "webhook", "add", *user, "--name", "hook", "--url",
                  "https://hooks.example.com/tw?token=abc", "--generate-secret")  # fmt: skip
    secret = next(line for line in added.splitlines() if line.startswith("whsec_"))
    listed = tw.ok("notify", "list", *user)
    assert secret not in listed
    assert "https://hooks.example.com/tw?…" in listed  # the token in the query stays out

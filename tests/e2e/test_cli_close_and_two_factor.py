"""`tradewind bot close` and `tradewind user reset-2fa` from the command line."""

from __future__ import annotations

from tests.e2e.test_cli_manage import Tradewind, ready, ready_home  # noqa: F401


def test_closing_a_flat_bot_is_refused_naming_why(ready: Tradewind) -> None:  # noqa: F811
    ready.ok("bot", "create", "--user", "ann@example.com", "--account", "paper", "--name", "b1",
             "--symbol", "BTCUSDT", "--timeframe", "1h", "--position-type", "spot")  # fmt: skip
    message = ready.refused("bot", "close", "b1")
    assert "bot: 'b1' holds no position; there is nothing to close" in message
    assert "closes" not in ready.ok("bot", "show", "b1")


def test_an_operator_resets_two_factor_sign_in(ready: Tradewind) -> None:  # noqa: F811
    said = ready.ok("user", "reset-2fa", "ann@example.com")
    assert "ann@example.com had no two-factor sign-in" in said
    assert "there is no user" in ready.refused("user", "reset-2fa", "nobody@example.com")

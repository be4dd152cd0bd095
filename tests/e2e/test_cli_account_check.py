"""`tradewind account add` shows a Binance key and secret to the exchange before storing
them, as the API does, and never shows or stores them in clear: against `tradewind
exchange serve` on loopback, real processes."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli_manage import CLI, Tradewind

KEY, SECRET = "cliGoodKey7a1", "cliGoodSecret3b9"
SAFETY_S = 120  # bounds a hung process; every wait ends on a line or an exit first
LIVE = ["account", "add", "--user", "ann@example.com", "--name", "live", "--kind", "binance"]


@pytest.fixture(scope="module")
def exchange() -> Iterator[str]:
    """Run `tradewind exchange serve` knowing one key; yield its base URL."""
    process = subprocess.Popen(
        [*CLI, "exchange", "serve", "--account", f"{KEY}:{SECRET}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("listening on http://127.0.0.1:"), first
        yield first.split()[-1]
    finally:
        process.terminate()
        process.wait(SAFETY_S)


@pytest.fixture(scope="module")
def ann_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home after `init` with the user Ann (made once, then copied)."""
    home = tmp_path_factory.mktemp("ann")
    tw = Tradewind(home)
    tw.ok("init")
    tw.ok("user", "add", "ann@example.com")
    return home


@pytest.fixture
def ann(ann_home: Path, tmp_path: Path) -> Tradewind:
    home = tmp_path / "home"
    shutil.copytree(ann_home, home)  # keeps the key file's mode 0600
    return Tradewind(home)


def _keys(key: str = KEY, secret: str = SECRET) -> dict[str, str]:
    return {"TRADEWIND_API_KEY": key, "TRADEWIND_API_SECRET": secret}


def test_a_key_binance_accepts_is_stored_encrypted_and_never_shown(
    ann: Tradewind, exchange: str
) -> None:
    done = ann(*LIVE, **_keys(), TRADEWIND_BINANCE_URL=exchange)
    assert done.returncode == 0, done.stderr
    assert "added binance account 'live'" in done.stdout
    listed = ann.ok("account", "list", "--user", "ann@example.com")
    assert "stored (encrypted)" in listed
    for output in (done.stdout, done.stderr, listed):
        assert KEY not in output
        assert SECRET not in output
    stored = ann.database_bytes()
    assert KEY.encode() not in stored
    assert SECRET.encode() not in stored


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        (_keys(key="unknownKey123"), "Binance -2015: Invalid API-key, IP, or permissions"),
        (_keys(secret="notTheSecret"), "Binance -1022: Signature for this request"),
    ],
)
def test_a_key_binance_refuses_is_an_error_on_api_key_with_its_reason_and_nothing_is_stored(
    ann: Tradewind, exchange: str, keys: dict[str, str], reason: str
) -> None:
    message = ann.refused(*LIVE, **keys, TRADEWIND_BINANCE_URL=exchange)
    assert message.startswith("error: api_key: binance refused this key and secret ("), message
    assert reason in message
    assert message.endswith("nothing was stored")
    for secret in keys.values():
        assert secret not in message
    assert "live" not in ann.ok("account", "list", "--user", "ann@example.com")


def test_an_exchange_that_does_not_answer_is_an_error_and_nothing_is_stored(
    ann: Tradewind,
) -> None:
    closed = "http://127.0.0.1:9"  # discard: nothing listens on loopback there
    message = ann.refused(
        *LIVE, **_keys(), TRADEWIND_BINANCE_URL=closed, BINANCE_RETRY_MAX_ATTEMPTS="1"
    )
    assert message.startswith("error: api_key: binance could not be asked whether it"), message
    assert message.endswith("nothing was stored, try again later")
    assert SECRET not in message
    assert "live" not in ann.ok("account", "list", "--user", "ann@example.com")

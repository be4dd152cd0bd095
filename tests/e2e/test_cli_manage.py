"""The management commands end to end, as a user runs them: real processes, a real data dir."""

from __future__ import annotations

import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.waiting import SAFETY_S

CLI = [sys.executable, "-m", "tradewind.entrypoints.cli"]
BOT = ["--name", "btc", "--symbol", "BTCUSDT", "--timeframe", "1m", "--position-type", "spot"]


class Tradewind:
    """Runs `tradewind …` with its data dir in a temporary folder."""

    def __init__(self, home: Path) -> None:
        self.data_dir = home / "data"
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "TRADEWIND_DATA_DIR": str(self.data_dir),
        }

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args],
            capture_output=True,
            text=True,
            timeout=SAFETY_S,
            check=False,
            env=self.env | env,
            stdin=subprocess.DEVNULL,
        )

    def ok(self, *args: str, **env: str) -> str:
        done = self(*args, **env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def refused(self, *args: str, **env: str) -> str:
        done = self(*args, **env)
        assert done.returncode == 2, (done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        return " ".join(done.stderr.split())

    def database_bytes(self) -> bytes:
        files = sorted(self.data_dir.glob("tradewind.db*"))
        assert files
        return b"".join(path.read_bytes() for path in files)

    def bot_rows(self) -> int:
        with sqlite3.connect(self.data_dir / "tradewind.db") as connection:
            count: int = connection.execute("SELECT count(*) FROM bot_configs").fetchone()[0]
        return count


@pytest.fixture
def tw(tmp_path: Path) -> Tradewind:
    return Tradewind(tmp_path)


@pytest.fixture(scope="module")
def ready_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home after `init`, with one user who has a paper account (made once, then copied)."""
    home = tmp_path_factory.mktemp("ready")
    tw = Tradewind(home)
    tw.ok("init")
    tw.ok("user", "add", "ann@example.com", "--name", "Ann")
    tw.ok("account", "add", "--user", "ann@example.com", "--name", "paper", "--kind", "paper")
    return home


@pytest.fixture
def ready(ready_home: Path, tmp_path: Path) -> Tradewind:
    home = tmp_path / "home"
    shutil.copytree(ready_home, home)  # keeps the key file's mode 0600
    return Tradewind(home)


def test_init_creates_the_data_dir_key_and_schema_and_is_safe_to_repeat(tw: Tradewind) -> None:
    first = tw.ok("init")
    assert "created" in first
    assert "migrated" in first
    key_file = tw.data_dir / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes()
    again = tw.ok("init")
    assert "up to date" in again
    assert key_file.read_bytes() == key


def test_every_command_before_init_says_to_run_init_and_creates_nothing(tw: Tradewind) -> None:
    for command in (["bot", "list"], ["user", "add", "a@example.com"], ["bot", "start", "b"]):
        message = tw.refused(*command)
        assert "is not migrated: run `tradewind init`" in message
    assert not (tw.data_dir / "tradewind.db").exists()


def test_a_binance_account_without_secrets_is_refused_when_nobody_can_be_asked(
    ready: Tradewind,
) -> None:
    message = ready.refused(
        "account", "add", "--user", "ann@example.com", "--name", "live", "--kind", "binance"
    )
    assert "api_key: a binance account needs one; set TRADEWIND_API_KEY" in message


def test_a_bot_with_a_bad_field_is_refused_naming_it_and_nothing_is_written(
    ready: Tradewind,
) -> None:
    message = ready.refused(
        "bot", "create", "--user", "ann@example.com", *BOT, "--custom-ema-fast", "40"
    )
    assert "strategy.ema_fast: must be less than ema_slow" in message
    message = ready.refused(
        "bot", "create", "--user", "ann@example.com", *BOT[:2], "--symbol", "DOGEUSDT",
        *BOT[4:],
    )  # fmt: skip
    assert "symbol: no built-in spot rules for 'DOGEUSDT'" in message
    assert ready.bot_rows() == 0


def test_a_bot_config_file_is_read_and_flags_override_it(ready: Tradewind, tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        '[bot]\nname = "from-file"\nsymbol = "ETHUSDT"\ntimeframe = "5m"\n'
        'position_type = "spot"\ncustom_stop_loss = 2.5\n'
    )
    ready.ok("bot", "create", "--user", "ann@example.com", "--config", str(config))
    ready.ok(
        "bot", "create", "--user", "ann@example.com", "--config", str(config),
        "--name", "override", "--custom-stop-loss", "3",
    )  # fmt: skip
    shown = ready.ok("bot", "show", "override")
    assert "ETHUSDT" in shown
    assert re.search(r"custom_stop_loss +3\b", shown)
    assert re.search(r"custom_stop_loss +2\.5\b", ready.ok("bot", "show", "from-file"))


def test_a_bot_lives_through_create_list_show_start_stop_and_delete(ready: Tradewind) -> None:
    created = ready.ok("bot", "create", "--user", "ann@example.com", *BOT)
    assert "created bot 'btc'" in created
    listed = ready.ok("bot", "list")
    assert "btc" in listed
    assert "BTCUSDT spot 1m" in listed
    assert "idle" in listed
    shown = ready.ok("bot", "show", "btc")
    assert "ann@example.com" in shown
    assert re.search(r"strategy +ema_rsi\b", shown)
    assert re.search(r"strategy\.ema_slow +21\b", shown)
    assert "started bot 'btc': waiting" in ready.ok("bot", "start", "btc")
    assert "waiting" in ready.ok("state", "--bot", "btc")
    assert "stopped bot 'btc'" in ready.ok("bot", "stop", "btc", "--user", "ann@example.com")
    assert "stopped" in ready.ok("state")
    assert "no orders yet" in ready.ok("orders", "--bot", "btc")
    assert "no trades yet" in ready.ok("trades", "--user", "ann@example.com")
    assert "deleted bot 'btc'" in ready.ok("bot", "delete", "btc")
    assert "btc" not in ready.ok("bot", "list")
    assert "bot: there is no bot named 'btc'" in ready.refused("bot", "start", "btc")


def test_starting_with_a_wrong_master_key_is_refused_and_changes_nothing(
    tw: Tradewind,
) -> None:
    right = tw.ok("keys", "generate").strip()
    wrong = tw.ok("keys", "generate").strip()
    tw.ok("init", TRADEWIND_SECRET_KEY=right)
    assert not (tw.data_dir / "secret.key").exists()
    tw.ok("user", "add", "ann@example.com")
    tw.ok(
        "account", "add", "--user", "ann@example.com", "--name", "p", "--kind", "paper",
        TRADEWIND_SECRET_KEY=right,
    )  # fmt: skip
    tw.ok("bot", "create", "--user", "ann@example.com", *BOT)
    message = tw.refused("bot", "start", "btc", TRADEWIND_SECRET_KEY=wrong)
    assert "cannot decrypt the stored account secrets" in message
    assert wrong not in message
    assert "idle" in tw.ok("bot", "list")
    assert "waiting" in tw.ok("bot", "start", "btc", TRADEWIND_SECRET_KEY=right)


def test_rotating_the_key_file_keeps_every_account_usable(ready: Tradewind) -> None:
    ready.ok("bot", "create", "--user", "ann@example.com", *BOT)
    key_file = ready.data_dir / "secret.key"
    before = key_file.read_bytes()
    assert "re-encrypted the secrets of 1 account(s)" in ready.ok("keys", "rotate")
    assert key_file.read_bytes() != before
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "waiting" in ready.ok("bot", "start", "btc")


def test_a_key_file_others_can_read_is_refused(ready: Tradewind) -> None:
    ready.ok("bot", "create", "--user", "ann@example.com", *BOT)
    (ready.data_dir / "secret.key").chmod(0o644)
    message = ready.refused("bot", "start", "btc")
    assert "open to other users (mode 644)" in message
    assert "chmod 600" in message


def test_a_number_names_a_bot_by_its_id_and_a_shared_name_needs_the_user(
    ready: Tradewind,
) -> None:
    refused = ready.refused("bot", "create", "--user", "ann@example.com", *BOT[:1], "7", *BOT[2:])
    assert "name: must not be only digits (got '7')" in refused
    ready.ok("user", "add", "bob@example.com")
    ready.ok("account", "add", "--user", "bob@example.com", "--name", "p", "--kind", "paper")
    ready.ok("bot", "create", "--user", "ann@example.com", *BOT)
    created = ready.ok("bot", "create", "--user", "bob@example.com", *BOT)
    bobs = created.split("(id ", 1)[1].split(")", 1)[0]
    shared = ready.refused("bot", "start", "btc")
    assert "bot: 2 users have a bot named 'btc'; say whose with --user" in shared
    assert "waiting" in ready.ok("bot", "start", "btc", "--user", "bob@example.com")
    # Bob's bot by its id: for the operator (no --user), or for Bob; never for Ann.
    assert "stopped bot 'btc'" in ready.ok("bot", "stop", bobs)
    assert "bob@example.com" in ready.ok("bot", "show", bobs, "--user", "bob@example.com")
    hidden = ready.refused("bot", "delete", bobs, "--user", "ann@example.com")
    assert f"bot: there is no bot {bobs}" in hidden
    assert "hint: `tradewind bot list` shows every bot with its id" in hidden
    assert ready.bot_rows() == 2


def test_numbers_beyond_the_columns_and_long_names_are_refused_naming_the_field(
    ready: Tradewind,
) -> None:
    huge_size = ready.refused("bot", "create", "--user", "ann@example.com", *BOT,
                              "--position-size-fixed", "1e30")  # fmt: skip
    assert "position_size_fixed: must be less than or equal to 1000000000000" in huge_size
    huge_loss = ready.refused("bot", "create", "--user", "ann@example.com", *BOT,
                              "--max-daily-loss", "1e25")  # fmt: skip
    assert "max_daily_loss: must be less than or equal to 1000000000000" in huge_loss
    balance = ready.refused("account", "add", "--user", "ann@example.com", "--name", "rich",
                            "--kind", "paper", "--balance", "1e30")  # fmt: skip
    assert "balance: must be at most 1,000,000,000,000 (got '1E+30')" in balance
    long_name = "n" * 10_000
    named = ready.refused("bot", "create", "--user", "ann@example.com", "--name", long_name,
                          *BOT[2:])  # fmt: skip
    assert "name: string should have at most 100 characters" in named
    assert "(10,000 characters)" in named
    assert long_name[:100] not in named
    assert ready.bot_rows() == 0

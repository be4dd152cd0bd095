"""One `tradewind run` per SQLite database: a second is refused naming the first, and a
runner killed with SIGKILL leaves nothing behind that stops the next one.

Real processes on a real data dir; every wait is on a condition (the lock file naming a
process), with a generous safety deadline for a loaded machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "tradewind.entrypoints.cli"]
SAFETY_S = 300.0  # only a hung process ever waits this long


def _env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "TRADEWIND_DATA_DIR": str(data_dir), "NO_COLOR": "1", "COLUMNS": "80"}
    env.pop("TRADEWIND_DATABASE_URL", None)
    env.pop("TRADEWIND_SECRET_KEY", None)
    return env


def _candles(path: Path, minutes: int) -> Path:
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    lines = ["open_time,open,high,low,close,volume"]
    for i in range(minutes):
        when = datetime.fromtimestamp(start + 60 * i, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        price = 100 + (i % 17)
        lines.append(f"{when},{price},{price + 1},{price - 1},{price},10")
    path.write_text("\n".join(lines) + "\n")
    return path


def _start(candles: Path, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [*CLI, "run", "--replay", str(candles), "--speed", "60", "--quiet"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_env(data_dir),
        )  # fmt: skip


def _wait_holding(lock: Path, runner: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the lock file names `runner` (it holds the lock and said so)."""
    deadline = time.monotonic() + SAFETY_S
    while time.monotonic() < deadline:
        assert runner.poll() is None, log.read_text()
        try:
            if json.loads(lock.read_text()).get("pid") == runner.pid:
                return
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.05)
    pytest.fail(f"runner {runner.pid} never took the lock: {log.read_text()}")


def test_a_second_run_on_one_sqlite_database_is_refused_and_a_killed_one_leaves_no_lock(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    subprocess.run(
        [*CLI, "init"], env=_env(data), check=True, capture_output=True, timeout=SAFETY_S
    )
    candles = _candles(tmp_path / "c.csv", 3 * 1440)
    lock = data / "tradewind.db.run.lock"
    first = _start(candles, data, tmp_path / "first.log")
    try:
        _wait_holding(lock, first, tmp_path / "first.log")
        second = subprocess.run(
            [*CLI, "run", "--replay", str(candles), "--quiet"], env=_env(data),
            capture_output=True, text=True, timeout=SAFETY_S, check=False,
        )  # fmt: skip
        assert second.returncode == 2, second.stdout + second.stderr
        [line] = second.stdout.splitlines()  # one line, whatever the width
        assert line.startswith("error: database: another `tradewind run` is running on ")
        assert f"(pid {first.pid} on {os.uname().nodename}, since " in line
        assert "stop it first (several runners need PostgreSQL)" in line
        assert first.poll() is None  # the refused one touched nothing of the first
    finally:
        first.kill()
        first.wait(timeout=SAFETY_S)
    third = _start(candles, data, tmp_path / "third.log")
    try:
        _wait_holding(lock, third, tmp_path / "third.log")  # SIGKILL left no lock behind
    finally:
        third.kill()
        third.wait(timeout=SAFETY_S)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_run_stops_in_order_on_sigterm_or_sigint_even_started_with_sigint_ignored(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """A service manager stops with SIGTERM; a shell's background job starts with SIGINT
    ignored. Either signal ends the paper run as Ctrl-C does: it says so, releases its lock
    and exits 0."""
    data = tmp_path / "data"
    subprocess.run(
        [*CLI, "init"], env=_env(data), check=True, capture_output=True, timeout=SAFETY_S
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        # `trap '' INT` then `exec`: the run inherits SIGINT ignored, as a background job does.
        runner = subprocess.Popen(
            ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *CLI, "run"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_env(data),
        )  # fmt: skip
    try:
        deadline = time.monotonic() + SAFETY_S
        while "Ctrl-C stops" not in log.read_text():  # started: it trades until stopped
            assert runner.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        runner.send_signal(sig)
        assert runner.wait(timeout=SAFETY_S) == 0, log.read_text()
    finally:
        runner.kill()
        runner.wait()
    assert log.read_text().splitlines()[-1] == "stopped"

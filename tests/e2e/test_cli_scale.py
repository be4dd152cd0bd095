"""`tradewind worker` and `tradewind scheduler` as an operator starts them: real processes.

Anything missing or away at start gets one line naming it and exit code 2, never a
traceback. A worker that starts ticks the slot it is sent, on the wall clock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import redis
from celery import Celery
from psycopg import sql

from tests.waiting import SAFETY_S, wait_until
from tradewind.entrypoints.worker.app import configure
from tradewind.settings import Settings

CLI = [sys.executable, "-m", "tradewind.entrypoints.cli"]
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
CLOSED_PORT = "127.0.0.1:1"  # nothing listens there


def reachable() -> bool:
    try:
        psycopg.connect(ADMIN, connect_timeout=3).close()
        redis.Redis(socket_connect_timeout=3).ping()
    except (psycopg.OperationalError, redis.RedisError):
        return False
    return True


pytestmark = pytest.mark.skipif(
    not reachable(), reason="PostgreSQL and Redis must run on 127.0.0.1"
)


@pytest.fixture
def database() -> Iterator[str]:
    """Yield the URL of an empty database of its own (not migrated)."""
    name = f"tradewind_cli_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def env(tmp_path: Path, database: str) -> dict[str, str]:
    namespace = f"tw-cli-{uuid.uuid4().hex[:10]}"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "TRADEWIND_DATA_DIR": str(tmp_path / "data"),
        "TRADEWIND_DATABASE_URL": database,
        "TRADEWIND_NAMESPACE": namespace,
    }


def run(env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=SAFETY_S, check=False,
        env=env | extra, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def refused(env: dict[str, str], *args: str, **extra: str) -> str:
    done = run(env, *args, **extra)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    return " ".join(done.stderr.split())


def test_a_part_missing_at_start_is_named_in_one_line(env: dict[str, str]) -> None:
    assert "not migrated: run `tradewind init`" in refused(env, "worker")
    assert run(env, "init").returncode == 0
    cases = [  # (command, the variable set wrong, what the line says)
        ("worker", {"TRADEWIND_BROKER_URL": f"redis://{CLOSED_PORT}/0"},
         "cannot reach the broker at redis://"),
        ("scheduler", {"TRADEWIND_BROKER_URL": f"amqp://guest:guest@{CLOSED_PORT}//"},
         "cannot reach the broker at amqp://guest:**@127.0.0.1:1//"),  # no password shown
        ("worker", {"TRADEWIND_REDIS_URL": f"redis://{CLOSED_PORT}/0"},
         "cannot reach Redis at redis://127.0.0.1:1/0"),
        ("scheduler", {"TRADEWIND_DATABASE_URL": f"postgresql://postgres@{CLOSED_PORT}/x"},
         "cannot open database postgresql+psycopg://postgres@127.0.0.1:1/x"),
        ("worker", {"TRADEWIND_DATABASE_URL": f"sqlite:///{env['HOME']}/t.db"},
         "workers and the scheduler need PostgreSQL"),
        ("scheduler", {"TRADEWIND_NAMESPACE": "no spaces"}, "TRADEWIND_NAMESPACE"),
    ]  # fmt: skip
    with ThreadPoolExecutor(max_workers=3) as pool:  # each start imports Celery: a second
        lines = list(pool.map(lambda case: refused(env, case[0], **case[1]), cases))
    for (_, _, expected), line in zip(cases, lines, strict=True):
        assert expected in line


def test_a_started_worker_ticks_the_slot_it_is_sent(env: dict[str, str]) -> None:
    assert run(env, "init").returncode == 0
    for args in (
        ["user", "add", "ann@example.com"],
        ["account", "add", "--user", "ann@example.com", "--name", "paper", "--kind", "paper"],
        ["bot", "create", "--user", "ann@example.com", "--account", "paper", "--name", "btc",
         "--symbol", "BTCUSDT", "--timeframe", "1m", "--position-type", "spot"],
        ["bot", "start", "btc"],
    ):  # fmt: skip
        done = run(env, *args)
        assert done.returncode == 0, done.stderr
    key = (Path(env["TRADEWIND_DATA_DIR"]) / "secret.key").read_text().strip()
    worker = subprocess.Popen(
        [*CLI, "worker", "--concurrency", "1", "--loglevel", "info"],
        env=env | {"TRADEWIND_SECRET_KEY": key}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            if " ready." in line:
                break
        settings = Settings(
            database_url=env["TRADEWIND_DATABASE_URL"], namespace=env["TRADEWIND_NAMESPACE"]
        )
        sender = configure(settings, Celery("e2e-sender", set_as_current=False))
        slot = int((time.time() - 2) // 60 * 60)  # the slot under way: not over yet
        sender.send_task("tradewind.plan_slot", kwargs={"slot": slot})
        shown = time.strftime("%H:%M", time.gmtime(slot))
        # Each look is a CLI process of its own: a loaded machine may take a while.
        wait_until(lambda: shown in run(env, "bot", "show", "btc").stdout, f"slot {shown} run")
        sender.close()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=120)
        client = redis.Redis()
        keys = list(client.scan_iter(match=f"{env['TRADEWIND_NAMESPACE']}*"))
        if keys:
            client.delete(*keys)

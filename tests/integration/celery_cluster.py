"""Real Celery workers and schedulers for a test: started, driven slot by slot, stopped.

Each cluster has a namespace of its own (queues, Redis keys), the test's PostgreSQL
database, and a clock the test moves (see celery_child.py). Every process is started in
a session of its own and the whole session is killed at the end, pool processes too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from celery import Celery
from sqlalchemy import Engine, text

from tests.integration.db_builders import paper_account, spot_config
from tests.integration.signals import signal_at
from tests.waiting import SAFETY_S
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.adapters.shared.redis_store import Names
from tradewind.bootstrap.worker import HISTORY_MINUTES, paper_market
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.domain.types import PositionType, Signal
from tradewind.entrypoints.worker.app import configure
from tradewind.ports import Bot
from tradewind.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
REDIS_BROKER_URL = "redis://127.0.0.1:6379/0"
SETTLE = 2
MARKET_START = 1_704_067_200  # 2024-01-01 00:00 UTC
SEED = 7
DEADLINE_S = SAFETY_S  # a condition waited for: only a machine under load comes near it
FUTURES_USDT = {"USDT": Decimal(1_000)}
# Bots that trade often: entries, protective orders, closes.
BOT_MIX: list[dict[str, object]] = [
    {"symbol": "BTCUSDT", "custom_stop_loss": "0.3", "custom_take_profit": "0.4",
     "position_size_fixed": "100", "custom_ema_fast": 3, "custom_ema_slow": 7},
    {"symbol": "ETHUSDT", "custom_trailing_stop": "0.3", "position_size_fixed": "60",
     "custom_ema_fast": 3, "custom_ema_slow": 8},
    {"symbol": "BTCUSDT", "position_type": "futures", "leverage": 5,
     "custom_stop_loss": "0.5", "position_size_fixed": "40", "custom_ema_fast": 3,
     "custom_ema_slow": 7},
]  # fmt: skip


GROUPS = len(BOT_MIX)


def rabbitmq_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError:
        return False
    return True


BROKERS = [
    pytest.param(REDIS_BROKER_URL, id="redis"),
    pytest.param(
        RABBITMQ_URL,
        id="rabbitmq",
        marks=pytest.mark.skipif(not rabbitmq_up(), reason="RabbitMQ is not on 127.0.0.1:5672"),
    ),
]


class Cluster:
    """Worker and scheduler processes on one namespace, and the test's handles on them."""

    def __init__(
        self,
        database_url: str,
        broker_url: str,
        key: bytes,
        client: redis.Redis,
        names: Names,
        logs: Path,
        batch_size: int = 3,
        sender_broker_url: str | None = None,
    ) -> None:
        self.redis, self.names, self.logs = client, names, logs
        self.env = {
            **os.environ,
            "TRADEWIND_DATABASE_URL": database_url,
            "TRADEWIND_BROKER_URL": broker_url,
            "TRADEWIND_REDIS_URL": "redis://127.0.0.1:6379/0",
            "TRADEWIND_NAMESPACE": names.namespace,
            "TRADEWIND_SECRET_KEY": key.decode(),
            "TRADEWIND_TICK_BATCH_SIZE": str(batch_size),
            "TRADEWIND_DATA_DIR": str(logs),
            "PYTHONPATH": str(ROOT),
        }
        self.processes: list[subprocess.Popen[bytes]] = []
        settings = Settings(
            database_url=database_url,
            broker_url=sender_broker_url or broker_url,
            namespace=names.namespace,
        )
        self.sender = configure(settings, Celery("test-sender", set_as_current=False))
        spec = {"start": MARKET_START, "seed": SEED}
        client.set(names.key("paper", "market"), json.dumps(spec))
        self.market = paper_market(client, names, SEED, MARKET_START)

    # --- processes ------------------------------------------------------------------------

    def start(self, role: str, *flags: str, env: dict[str, str] | None = None) -> Process:
        """Start a worker or a scheduler; return once it is ready."""
        log = self.logs / f"{role}-{len(self.processes)}.log"
        command = [sys.executable, "-m", "tests.integration.celery_child", role, *flags]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, env={**self.env, **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
                cwd=ROOT, start_new_session=True,
            )  # fmt: skip
        self.processes.append(process)
        started = Process(process, log)
        ready = {"worker": "ready.", "scheduler": "beat: Starting", "feeder": "feeder follows"}
        started.wait_for_line(ready[role])
        return started

    def stop(self) -> None:
        """Stop every process started (warm, then killed), pool processes included."""
        for process in self.processes:
            if process.poll() is None:
                _signal_session(process, signal.SIGTERM)
        deadline = time.monotonic() + 60  # a loaded machine stops Celery slowly
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_session(process, signal.SIGKILL)
            process.wait(timeout=120)
        self.sender.close()

    # --- time and slots -------------------------------------------------------------------

    def set_time(self, now: int) -> None:
        self.redis.set(self.names.key("test", "now"), now)

    def plan(self, slot: int, times: int = 1) -> None:
        """Send the slot's plan as the scheduler would; `times` deliveries of one message."""
        task_id = str(uuid.uuid4())
        for _ in range(times):
            self.sender.send_task("tradewind.plan_slot", kwargs={"slot": slot}, task_id=task_id)

    def stats(self, slot: int) -> dict[str, int]:
        raw = self.redis.hgetall(self.names.key("slot", slot))
        return {k.decode(): int(v) for k, v in raw.items()}  # type: ignore[union-attr]

    def market_data_calls(self, slot: int) -> int:
        return int(self.redis.get(self.names.key("test", "md", slot)) or 0)  # type: ignore[arg-type]

    def first_slot_with(self, bot: Bot, signal_wanted: Signal, after: int) -> int:
        """Return the first slot after `after` where `bot`'s strategy gives the signal."""
        for slot in range(after + 60, after + 3 * 1440 * 60, 60):
            if signal_at(self.market, bot, slot) is signal_wanted:
                return slot
        raise AssertionError(f"the market never gives {signal_wanted}")

    def first_order_slot(self, bots: list[Bot], after: int) -> int:
        """Return the first slot after `after` at which some bot orders (a spot bot buys,
        a futures bot goes either way)."""
        return min(
            self.first_slot_with(bot, wanted, after)
            for bot in bots
            for wanted in (Signal.BUY, Signal.SELL)
            if wanted is Signal.BUY or bot.config.position_type is PositionType.FUTURES
        )


class Process:
    """A started process and its log."""

    def __init__(self, popen: subprocess.Popen[bytes], log: Path) -> None:
        self.popen, self.log = popen, log

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_line(self, needle: str, timeout: float = DEADLINE_S) -> None:
        wait_for(lambda: needle in self.text(), f"{needle!r} in {self.log.name}", timeout,
                 lambda: self.popen.poll() is None)  # fmt: skip

    def alive(self) -> bool:
        return self.popen.poll() is None


def wait_for(
    condition: Callable[[], bool],
    what: str,
    timeout: float = DEADLINE_S,
    still: Callable[[], bool] = lambda: True,
) -> None:
    """Poll `condition` until it holds; fail saying `what` after `timeout` or if not `still`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert still(), f"gave up waiting for {what}: the process ended"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _signal_session(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def first_ticked_slot() -> int:
    """Return the first slot with the market's history behind it."""
    return MARKET_START + HISTORY_MINUTES * 60


def add_bots(manage_uow: Callable[[], SqlManageUnitOfWork], copies: int, start: int) -> list[Bot]:
    """Add `copies` users, each with a paper account and one bot of each BOT_MIX entry."""
    bots: list[Bot] = []
    with manage_uow() as uow:
        for n in range(copies):
            user = uow.users.add(f"user{n}@example.com", None, start)
            account = paper_account(user.id)
            balances = {**account.paper_balances, PositionType.FUTURES: FUTURES_USDT}
            stored = uow.accounts.add(replace(account, paper_balances=balances))
            for i, fields in enumerate(BOT_MIX):
                bot = uow.bots.add(user.id, stored.id, spot_config(f"bot{i}", **fields), start)
                uow.bots.set_active(bot.id, True)
                bot.active = True
                bots.append(bot)
        uow.commit()
    return bots


def claims(engine: Engine, slot: int) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM tick_slots WHERE slot = :slot"), {"slot": slot}
            ).scalar_one()
        )


# --- Fixtures (imported by the test modules) ------------------------------------------------


ClusterOf = Callable[..., Cluster]


@pytest.fixture
def cluster_of(
    database_url: str,
    master_key: bytes,
    redis_client: redis.Redis,
    names: Names,
    tmp_path: Path,
) -> Iterator[ClusterOf]:
    """Return a maker of the test's cluster on a broker; every process is stopped after."""
    made: list[Cluster] = []

    def make(broker_url: str, sender_broker_url: str | None = None) -> Cluster:
        cluster = Cluster(
            database_url, broker_url, master_key, redis_client, names, tmp_path,
            sender_broker_url=sender_broker_url,
        )  # fmt: skip
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.stop()
        if cluster.env["TRADEWIND_BROKER_URL"].startswith("amqp"):
            delete_rabbitmq_queues(cluster)


def delete_rabbitmq_queues(cluster: Cluster) -> None:
    with cluster.sender.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in cluster.sender.conf.task_queues:
            queue.bind(channel).delete()
        # The task exchange, and the fanout exchange of the workers' remote control.
        for exchange in (cluster.names.namespace, f"{cluster.names.namespace}.control.pidbox"):
            channel.exchange_delete(exchange)


def orders_of(manage_uow: Callable[[], SqlManageUnitOfWork], bot: Bot) -> list[OrderRecord]:
    with manage_uow() as uow:
        return uow.orders.recent(bot_id=bot.id, limit=10_000)


def trades_of(manage_uow: Callable[[], SqlManageUnitOfWork], bot: Bot) -> list[TradeRecord]:
    with manage_uow() as uow:
        return uow.trades.recent(bot_id=bot.id, limit=10_000)


def run_slot(cluster: Cluster, engine: Engine, slot: int, bots: int, plans: int = 1) -> None:
    """Move the clock to the slot's start, send its plan, wait until every bot claimed it."""
    cluster.set_time(slot + SETTLE)
    cluster.plan(slot, times=plans)
    wait_for(lambda: claims(engine, slot) == bots, f"{bots} claims of slot {slot}")

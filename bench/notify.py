"""Benchmark the notification dispatcher on SQLite and PostgreSQL, to a loopback receiver.

For each database: a fresh one (as bench/ticks.py makes them), a user with one webhook to
an HTTP server on 127.0.0.1 that answers 204, then
- idle pass: `deliver_due` with nothing to do (what the embedded default's thread costs
  every `TRADEWIND_NOTIFY_POLL_SECONDS` when no event is waiting);
- outbox write: one event inserted as the tick does, in its own transaction;
- delivery: N events routed, signed, POSTed and settled by one dispatcher, then by two
  dispatchers (threads) at once; deliveries/s and how many events arrived twice.

    .venv/bin/python bench/notify.py
    .venv/bin/python bench/notify.py --databases sqlite --events 200
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from _ticks_world import BenchDatabase
from tradewind.adapters.clocks import SystemClock
from tradewind.adapters.db.engine import make_engine, session_factory
from tradewind.adapters.db.secrets import SecretBox, generate_key
from tradewind.adapters.db.unit_of_work import SqlUnitOfWork
from tradewind.adapters.notify.signing import generate_secret
from tradewind.bootstrap.runtime import notify_deps
from tradewind.domain.records import OutboxEvent
from tradewind.domain.webhook_targets import parse_networks
from tradewind.services.access import Actor
from tradewind.services.notify import NotifyDeps, deliver_due
from tradewind.services.notify.configure import add_webhook
from tradewind.settings import Settings


class Receiver:
    """Counts webhook ids; answers 204 at once."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.ids[self.headers.get("webhook-id", "")] += 1
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def _write(sessions_uow: Any, user_id: int, count: int) -> list[float]:
    took = []
    for n in range(count):
        started = time.perf_counter()
        with sessions_uow() as uow:
            payload = {"bot": "btc", "symbol": "BTCUSDT", "n": n, "price": "42000.5"}
            uow.outbox.add(OutboxEvent("order_filled", user_id, None, payload, int(time.time())))
            uow.commit()
        took.append((time.perf_counter() - started) * 1000)
    return took


def _drain(deps: NotifyDeps, dispatchers: int) -> float:
    barrier = threading.Barrier(dispatchers)

    def run() -> None:
        barrier.wait()
        while deliver_due(deps).sent:
            pass

    started = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(dispatchers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def bench_one(database: BenchDatabase, tmp: Path, events: int) -> dict[str, Any]:
    settings = Settings(data_dir=tmp, database_url=database.url, secret_key=generate_key().decode(),
                        webhook_allow_networks="127.0.0.0/8")  # fmt: skip
    engine = make_engine(settings.database_url)
    secrets = SecretBox.from_settings(settings)
    deps = notify_deps(settings, engine, secrets)
    receiver = Receiver()
    try:
        with deps.uow() as uow:
            user = uow.users.add("bench@example.com", None, int(time.time()))
            uow.commit()
        add_webhook(deps.uow, SystemClock(), Actor.user(user.id), owner_id=user.id, name="hook",
                    url=receiver.url, secret=SecretStr(generate_secret()),
                    allowed=parse_networks("127.0.0.0/8"))  # fmt: skip
        idle = []
        for _ in range(200):
            started = time.perf_counter()
            deliver_due(deps)
            idle.append((time.perf_counter() - started) * 1000)
        sessions = session_factory(engine)
        writes = _write(lambda: SqlUnitOfWork(sessions, secrets), user.id, events)
        one = _drain(deps, 1)
        _write(lambda: SqlUnitOfWork(sessions, secrets), user.id, events)
        two = _drain(deps, 2)
        twice = sum(1 for count in receiver.ids.values() if count > 1)
        return {
            "database": database.name,
            "idle p50 ms": statistics.median(idle),
            "idle p99 ms": statistics.quantiles(idle, n=100)[98],
            "write p50 ms": statistics.median(writes),
            "1 dispatcher /s": events / one,
            "2 dispatchers /s": events / two,
            "arrived": sum(receiver.ids.values()),
            "twice": twice,
        }
    finally:
        receiver.server.shutdown()
        for sender in deps.senders.values():
            close = getattr(sender, "close", None)
            if close is not None:
                close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    rows = []
    for kind in args.databases.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            database = BenchDatabase.create(kind.strip(), Path(tmp))
            if database is None:
                print(f"{kind}: not reachable, skipped")
                continue
            try:
                rows.append(bench_one(database, Path(tmp), args.events))
            finally:
                database.drop()
    columns = list(rows[0]) if rows else []
    print(f"\n{args.events} events per dispatcher run, one webhook on 127.0.0.1")
    print("  ".join(f"{c:>16}" for c in columns))
    for row in rows:
        cells = [f"{v:>16.2f}" if isinstance(v, float) else f"{v!s:>16}" for v in row.values()]
        print("  ".join(cells))
    print("idle: a pass with nothing due; write: one outbox row in its own transaction;")
    print("/s: events routed, signed, POSTed and settled per second; twice: ids seen twice")


if __name__ == "__main__":
    main()

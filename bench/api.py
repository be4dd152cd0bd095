"""Benchmark the API: concurrent users polling their overview and a bot's page, each with
a live-updates stream open, against `tradewind serve` on PostgreSQL.

The script creates a PostgreSQL database of its own on 127.0.0.1:5432 (dropped at the
end), adds USERS users with six started paper bots each (the tick benchmark's mix) and a
read token each, starts `tradewind serve` (WORKERS processes) on a loopback port, and
runs the users from one asyncio process: each opens GET /api/v1/events and, every POLL
seconds, reads GET /api/v1/bots then GET /api/v1/bots/{one of theirs}. No ticks run
meanwhile: the figures are the API's alone (the tick's own are bench/ticks.py's).

    .venv/bin/python bench/api.py                          # 200 users, 20 s
    .venv/bin/python bench/api.py --users 50 --seconds 10 --workers 2

Figures: requests/s, p50/p99/max latency of the reads (goal: p99 < 100 ms), errors, and
the streams that stayed open. Results go to bench/results/api-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from _ticks_world import MIX, BenchDatabase, populate
from tradewind.adapters.db.secrets import generate_key
from tradewind.bootstrap.store import Store
from tradewind.domain.identity import Login, TokenScope
from tradewind.services import identity, overview
from tradewind.services.access import Actor
from tradewind.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGET_P99_MS = 100.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between a user's looks")
    parser.add_argument("--workers", type=int, default=2, help="tradewind serve processes")
    parser.add_argument("--no-streams", action="store_true", help="poll only, no SSE streams")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tokens_for_everyone(settings: Settings) -> list[tuple[str, int]]:
    """Give every user a login and a read token; return (token, one of their bot ids)."""
    store = Store.open(settings)
    try:
        now = store.clock.now()
        with store.identity_uow() as uow:
            for user in uow.users.all():
                uow.logins.save(Login(user.id, None, "user", False), now)
            uow.commit()
        bots = overview.bot_views(store.manage_uow, store.clock, Actor.operator())
        first_bot = {}
        for view in bots:
            first_bot.setdefault(view.bot.user_id, view.bot.id)
        made = []
        for user_id, bot_id in sorted(first_bot.items()):
            created = identity.create_token(
                store.identity_uow, store.clock, Actor.user(user_id), owner_id=user_id,
                name="bench", scopes=frozenset({TokenScope.READ}), days=1, max_days=1,
            )  # fmt: skip
            made.append((created.secret, bot_id))
        return made
    finally:
        store.close()


async def user(
    client: httpx.AsyncClient, token: str, bot_id: int, args: argparse.Namespace, until: float,
    latencies: list[float], errors: list[str], streams: list[int],
) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    # One client (one pool) for every user: building one costs ~50 ms of TLS set-up.

    async def stream() -> None:
        try:
            async with client.stream("GET", "/api/v1/events", headers=headers) as answer:
                events = 0
                async for line in answer.aiter_lines():
                    events += line.startswith("event: bot")
                    if time.monotonic() >= until:
                        break
                streams.append(events)
        except httpx.HTTPError as e:
            errors.append(f"stream: {type(e).__name__}")

    watcher = asyncio.create_task(stream() if not args.no_streams else asyncio.sleep(0))
    await asyncio.sleep(random.uniform(0, args.poll))  # users do not arrive in step
    while time.monotonic() < until:
        for path in ("/api/v1/bots", f"/api/v1/bots/{bot_id}"):
            started = time.perf_counter()
            try:
                answer = await client.get(path, headers=headers)
                if answer.status_code != 200:
                    errors.append(f"{path}: {answer.status_code}")
            except httpx.HTTPError as e:
                errors.append(f"{path}: {type(e).__name__}")
            latencies.append(time.perf_counter() - started)
        await asyncio.sleep(args.poll)
    await watcher


async def load(
    base: str, tokens: list[tuple[str, int]], args: argparse.Namespace
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    streams: list[int] = []
    limits = httpx.Limits(
        max_connections=4 * len(tokens), max_keepalive_connections=4 * len(tokens)
    )
    async with httpx.AsyncClient(
        base_url=base, timeout=httpx.Timeout(60.0), limits=limits
    ) as client:
        started = time.monotonic()
        until = started + args.seconds
        await asyncio.gather(
            *(user(client, t, b, args, until, latencies, errors, streams) for t, b in tokens)
        )
        elapsed = time.monotonic() - started
    ordered = sorted(latencies) or [float("nan")]
    return {
        "requests": len(latencies),
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
        "max_ms": 1000 * ordered[-1],
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:10],
        "streams_completed": len(streams),
        "streams_with_a_bot_event": sum(1 for n in streams if n > 0),
    }


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = BenchDatabase.create("postgresql", Path(tmp))
        if database is None:
            print("PostgreSQL is not reachable on 127.0.0.1:5432: nothing measured")
            return 1
        try:
            key = generate_key().decode()
            settings = Settings(database_url=database.url, data_dir=Path(tmp), secret_key=key)
            populate(settings, args.users * len(MIX), int(time.time()))
            tokens = tokens_for_everyone(settings)
            port = free_port()
            env = {**os.environ, "TRADEWIND_DATABASE_URL": database.url,
                   "TRADEWIND_SECRET_KEY": key, "TRADEWIND_DATA_DIR": tmp}  # fmt: skip
            server = subprocess.Popen(
                [sys.executable, "-m", "tradewind.entrypoints.cli", "serve", "--port", str(port),
                 "--workers", str(args.workers)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            try:
                for _ in range(600):
                    try:
                        if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                row = asyncio.run(load(base, tokens, args))
            finally:
                server.terminate()
                server.wait(timeout=60)
        finally:
            database.drop()
    row |= {"users": len(tokens), "bots": args.users * len(MIX), "workers": args.workers,
            "poll_s": args.poll, "seconds": args.seconds,
            "streams": not args.no_streams}  # fmt: skip
    print(f"{'users':>6} {'bots':>6} {'workers':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'errors':>7} {'streams':>8}")  # fmt: skip
    print(f"{row['users']:>6} {row['bots']:>6} {row['workers']:>7} {row['requests_per_s']:>8.1f} "
          f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['max_ms']:>8.1f} {row['errors']:>7} "
          f"{row['streams_with_a_bot_event']:>4}/{row['users']:<3}")  # fmt: skip
    verdict = "meets" if row["p99_ms"] < TARGET_P99_MS else "misses"
    print(f"p99 {row['p99_ms']:.1f} ms {verdict} the goal of {TARGET_P99_MS:.0f} ms")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {"when": stamp, "machine": platform.platform(), "cpus": os.cpu_count(), **row}
    for name in (f"api-{stamp}.json", "api-latest.json"):
        (RESULTS / name).write_text(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

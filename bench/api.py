"""Benchmark the API: concurrent users polling their overview and a bot's page, each with
a live-updates stream open, against `tradewind serve` on PostgreSQL, while the bots tick.

The script creates a PostgreSQL database of its own on 127.0.0.1:5432 (dropped at the
end), adds USERS users sharing BOTS started paper bots (the tick benchmark's mix) and a
read token each, starts `tradewind serve` (WORKERS processes) on a loopback port, and a
ticker process that ticks every active bot once per market minute, a minute every
SLOT_SECONDS of wall time (a generated market on a replay clock). The ticker runs alone
for CALM seconds (its lag alone), then the users come, from one asyncio process: each
opens GET /api/v1/events and, every POLL seconds, reads GET /api/v1/bots then
GET /api/v1/bots/{one of theirs}.

    nice -n 5 .venv/bin/python bench/api.py                # 200 users, 1,000 bots, 60 s
    .venv/bin/python bench/api.py --users 50 --bots 250 --seconds 20 --no-ticks

Figures: requests/s, p50/p99/max latency of the reads (goal: p99 < 100 ms), errors, the
streams that saw a bot change, the slots' tick lag (the time to tick every bot of a slot)
alone and under the load, and the CPU seconds of the server and of the ticker. Results go
to bench/results/api-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
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

from _ticks_world import BenchDatabase, populate, replay_market
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.secrets import generate_key
from tradewind.bootstrap.runtime import paper_runtime
from tradewind.bootstrap.store import Store
from tradewind.domain.identity import Login, TokenScope
from tradewind.services import identity, overview
from tradewind.services.access import Actor
from tradewind.services.scheduler import active_bots
from tradewind.services.tick import run_ticks
from tradewind.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGET_P99_MS = 100.0
HISTORY_MINUTES = 2 * 1440  # candles before the first ticked slot, for the indicators


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--bots", type=int, default=1_000, help="shared evenly by the users")
    parser.add_argument("--seconds", type=float, default=60.0, help="of load")
    parser.add_argument("--slot-seconds", type=float, default=10.0,
                        help="wall seconds per ticked market minute")  # fmt: skip
    parser.add_argument("--calm", type=float, default=40.0,
                        help="seconds the ticker runs alone first")  # fmt: skip
    parser.add_argument("--no-ticks", action="store_true", help="no ticker: the API alone")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between a user's looks")
    parser.add_argument("--workers", type=int, default=2, help="tradewind serve processes")
    parser.add_argument("--no-streams", action="store_true", help="poll only, no SSE streams")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """Return the CPU seconds (user + system) of a process and its children so far."""
    tree, total = {pid}, 0.0
    stats = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats.append((int(entry.name), int(fields[1]), int(fields[11]) + int(fields[12])))
    for _ in range(3):  # serve -> uvicorn's supervisor -> workers
        tree |= {p for p, parent, _ in stats if parent in tree}
    total = sum(ticks for p, _, ticks in stats if p in tree)
    return total / os.sysconf("SC_CLK_TCK")


def ticker(
    settings: Settings, slot_seconds: float, loaded: Any, stop: Any, out: Any
) -> None:  # fmt: skip
    """Tick every active bot once per market minute, a minute every `slot_seconds`; put
    (slot, ticks, lag seconds, CPU seconds, under load?) on `out` for each slot."""
    market, start = replay_market(HISTORY_MINUTES + 24 * 60, seed=1)
    clock = ReplayClock(start)
    runtime = paper_runtime(settings, market, clock, seed=1)
    slot = start + HISTORY_MINUTES * 60
    due = time.monotonic()
    try:
        while not stop.is_set():
            slot += 60
            clock.set(slot)
            under_load = loaded.is_set()
            began, cpu = time.monotonic(), time.process_time()
            ticked = run_ticks(runtime.deps, active_bots(runtime.deps), slot)
            lag = time.monotonic() - began
            out.put((slot, len(ticked), lag, time.process_time() - cpu, under_load))
            due += slot_seconds
            stop.wait(max(0.0, due - time.monotonic()))
    finally:
        runtime.close()
        out.put(None)


def lag_figures(slots: list[tuple[int, int, float, float, bool]], loaded: bool) -> dict[str, Any]:
    chosen = sorted(lag for _, _, lag, _, under in slots if under is loaded)
    if not chosen:
        return {}
    label = "loaded" if loaded else "alone"
    return {
        f"tick_slots_{label}": len(chosen),
        f"tick_lag_p50_s_{label}": statistics.median(chosen),
        f"tick_lag_max_s_{label}": chosen[-1],
        f"ticks_per_slot_{label}": statistics.fmean(
            n for _, n, _, _, under in slots if under is loaded
        ),
        f"ticker_cpu_s_per_slot_{label}": statistics.fmean(
            c for _, _, _, c, under in slots if under is loaded
        ),
    }


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
    latencies: list[float], errors: list[str], streams: list[tuple[int, int]],
) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    # One client (one pool) for every user: building one costs ~50 ms of TLS set-up.

    async def stream() -> None:
        try:
            async with client.stream("GET", "/api/v1/events", headers=headers) as answer:
                events = looks = 0
                async for line in answer.aiter_lines():
                    events += line.startswith("event: bot")
                    looks += line.startswith(": looked")  # one per look at the database
                    if time.monotonic() >= until:
                        break
                streams.append((events, looks))
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
    streams: list[tuple[int, int]] = []
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
        "stream_looks": sum(looks for _, looks in streams),
        "streams_with_a_bot_event": sum(1 for events, _ in streams if events > 0),
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
            per_user = max(1, args.bots // args.users)
            populate(settings, args.bots, int(time.time()), per_user=per_user)
            tokens = tokens_for_everyone(settings)
            row = run(args, settings, tokens, tmp)
        finally:
            database.drop()
    row |= {"users": len(tokens), "bots": args.bots, "workers": args.workers,
            "poll_s": args.poll, "seconds": args.seconds, "slot_seconds": args.slot_seconds,
            "streams": not args.no_streams}  # fmt: skip
    report(row)
    return 0


def run(
    args: argparse.Namespace, settings: Settings, tokens: list[tuple[str, int]], tmp: str
) -> dict[str, Any]:
    """Start the ticker and the server, let the ticker run alone, then load the server."""
    spawn = multiprocessing.get_context("spawn")
    loaded, stop, out = spawn.Event(), spawn.Event(), spawn.Queue()
    ticking = None
    if not args.no_ticks:
        ticking = spawn.Process(
            target=ticker, args=(settings, args.slot_seconds, loaded, stop, out)
        )
        ticking.start()
    port = free_port()
    env = {**os.environ, "TRADEWIND_DATABASE_URL": settings.database_url,
           "TRADEWIND_SECRET_KEY": settings.secret_key.get_secret_value()
           if settings.secret_key else "", "TRADEWIND_DATA_DIR": tmp}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "tradewind.entrypoints.cli", "serve", "--port", str(port),
         "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    slots: list[tuple[int, int, float, float, bool]] = []
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        if ticking is not None:
            time.sleep(args.calm)  # the ticker alone: its lag without the API's load
        loaded.set()
        cpu_before = cpu_seconds(server.pid)
        row = asyncio.run(load(base, tokens, args))
        row["server_cpu_s"] = cpu_seconds(server.pid) - cpu_before
        # What the server did: the reads, and the streams' looks (each a GET /bots and more).
        served = row["requests"] + row["stream_looks"]
        row["server_cpu_ms_per_read_or_look"] = 1000 * row["server_cpu_s"] / max(1, served)
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=60)
        if ticking is not None:
            while (item := out.get(timeout=600)) is not None:
                slots.append(item)
            ticking.join(timeout=60)
    first_loaded = next((i for i, s in enumerate(slots) if s[4]), len(slots))
    # The slot begun just before the load came overlaps it: counted with the loaded ones.
    slots = [(*s[:4], s[4] or i == first_loaded - 1) for i, s in enumerate(slots)]
    return row | lag_figures(slots, loaded=False) | lag_figures(slots, loaded=True)


def report(row: dict[str, Any]) -> None:
    print(f"{'users':>6} {'bots':>6} {'workers':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'errors':>7} {'streams':>8} {'looks':>6} {'CPU ms/op':>9}")  # fmt: skip
    print(f"{row['users']:>6} {row['bots']:>6} {row['workers']:>7} {row['requests_per_s']:>8.1f} "
          f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['max_ms']:>8.1f} {row['errors']:>7} "
          f"{row['streams_with_a_bot_event']:>4}/{row['users']:<3} "
          f"{row['stream_looks']:>6} {row['server_cpu_ms_per_read_or_look']:>9.1f}")  # fmt: skip
    for label in ("alone", "loaded"):
        if f"tick_slots_{label}" in row:
            print(f"ticks {label:>6}: {row[f'tick_slots_{label}']} slots of "
                  f"{row[f'ticks_per_slot_{label}']:.0f} ticks, lag p50 "
                  f"{row[f'tick_lag_p50_s_{label}']:.2f} s, "
                  f"max {row[f'tick_lag_max_s_{label}']:.2f} s, "
                  f"ticker CPU {row[f'ticker_cpu_s_per_slot_{label}']:.2f} s/slot")  # fmt: skip
    verdict = "meets" if row["p99_ms"] < TARGET_P99_MS else "misses"
    print(f"p99 {row['p99_ms']:.1f} ms {verdict} the goal of {TARGET_P99_MS:.0f} ms")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {"when": stamp, "machine": platform.platform(), "cpus": os.cpu_count(), **row}
    for name in (f"api-{stamp}.json", "api-latest.json"):
        (RESULTS / name).write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    sys.exit(main())

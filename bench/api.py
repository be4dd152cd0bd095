"""Benchmark the API: concurrent users polling their overview and a bot's page, each with
a live-updates stream open, against `tradewind serve` on PostgreSQL, while the bots tick.

The script creates a PostgreSQL database of its own on 127.0.0.1:5432 (dropped at the
end), adds USERS users sharing BOTS started paper bots (the tick benchmark's mix) and a
read token each, starts `tradewind serve` (WORKERS processes) on a loopback port, and a
ticker process that ticks every active bot once per market minute, a minute every
SLOT_SECONDS of wall time (a generated market on a replay clock). The ticker runs alone
for CALM seconds (its lag alone), then the users come, from CLIENTS processes (asyncio,
a share of the users each): each opens GET /api/v1/events and, every POLL seconds, reads
GET /api/v1/bots then GET /api/v1/bots/{one of theirs}, with the ETag of its last answer
(`--no-etag`: without), as `_api_load` says.

    nice -n 5 .venv/bin/python bench/api.py                # 200 users, 1,000 bots, 60 s
    .venv/bin/python bench/api.py --users 50 --bots 250 --seconds 20 --no-ticks

Figures: requests/s, p50/p99/max latency of the reads once the users are in (goal: p99 <
100 ms; the first `--warmup` seconds, while 200 users open their streams and read their
pages in full at once, are timed apart as "arriving"), answers 304,
errors, the streams that saw a bot change, the slots' tick lag (the time to tick every bot
of a slot) alone and under the load, and the CPU seconds by part during the load (`_cpu`):
server, PostgreSQL for it, ticker, PostgreSQL for it, the bench's clients, and the rest of
the machine. Results go to bench/results/api-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
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

from _api_load import Load, Tally, client_process
from _cpu import CpuWatch, backends_by_application, tree
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
# Each part connects under a name of its own: its PostgreSQL backends are told apart.
SERVER_APP, TICKER_APP = "application_name=bench-api", "application_name=bench-ticker"


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
    parser.add_argument("--no-etag", action="store_true",
                        help="poll without If-None-Match: every read answered in full")  # fmt: skip
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument(
        "--warmup",
        type=float,
        default=10.0,
        help="seconds of the users' arrival, timed apart (p99 arriving)",
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
            "streams": not args.no_streams, "etag": not args.no_etag,
            "clients": args.clients}  # fmt: skip
    report(row)
    return 0


def run(
    args: argparse.Namespace, settings: Settings, tokens: list[tuple[str, int]], tmp: str
) -> dict[str, Any]:
    """Start the ticker and the server, let the ticker run alone, then load the server."""
    spawn = multiprocessing.get_context("spawn")
    loaded, stop, out = spawn.Event(), spawn.Event(), spawn.Queue()
    url, database = settings.database_url, settings.database_url.rsplit("/", 1)[1]
    ticking = None
    if not args.no_ticks:
        as_ticker = settings.model_copy(update={"database_url": f"{url}?{TICKER_APP}"})
        ticking = spawn.Process(
            target=ticker, args=(as_ticker, args.slot_seconds, loaded, stop, out)
        )
        ticking.start()
    port = free_port()
    env = {**os.environ, "TRADEWIND_DATABASE_URL": f"{url}?{SERVER_APP}",
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
        row = load_the_server(args, base, tokens, server.pid, ticking, loaded, database)
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


def load_the_server(
    args: argparse.Namespace, base: str, tokens: list[tuple[str, int]], server: int,
    ticking: Any, loaded: Any, database: str,
) -> dict[str, Any]:  # fmt: skip
    """Run the users from `args.clients` processes; return their figures and the CPU
    seconds of each part (server, PostgreSQL for each, ticker, clients, the rest)."""
    spawn = multiprocessing.get_context("spawn")
    go, until, out = spawn.Event(), spawn.Value("d", 0.0), spawn.Queue()
    load = Load(poll=args.poll, streams=not args.no_streams, etag=not args.no_etag,
                warmup=args.warmup)  # fmt: skip
    clients = [
        spawn.Process(target=client_process, args=(base, tokens[i :: args.clients], load, go,
                                                   until, out))
        for i in range(args.clients)
    ]  # fmt: skip
    for process in clients:
        process.start()
    backends = backends_by_application(database)
    mine = os.getpid()
    watch = CpuWatch({
        "server": lambda table: tree(server, table),
        "PostgreSQL for the server": lambda _: backends().get("bench-api", set()),
        "ticker": lambda _: [] if ticking is None else [ticking.pid],
        "PostgreSQL for the ticker": lambda _: backends().get("bench-ticker", set()),
        "bench clients": lambda _: [mine, *(p.pid for p in clients if p.pid is not None)],
    })  # fmt: skip
    for _ in clients:
        out.get(timeout=600)  # "ready": imports done, before the CPU is counted
    watch.start()
    started = time.monotonic()
    until.value = started + args.seconds
    loaded.set()
    go.set()
    tallies = [out.get(timeout=args.seconds + 600) for _ in clients]
    elapsed = time.monotonic() - started
    cpu = watch.stop()
    for process in clients:
        process.join(timeout=60)
    row = figures(tallies, elapsed)
    # What the server did: the reads, and the streams' looks (each a marker read, and
    # the overview when it moved).
    served = row["requests"] + row["stream_looks"]
    return row | {
        "cpu_s": cpu, "cpu_window_s": elapsed,
        "server_cpu_s": cpu["server"],
        "server_cpu_ms_per_read_or_look": 1000 * cpu["server"] / max(1, served),
        "load_average": os.getloadavg(),
    }  # fmt: skip


def figures(tallies: list[Tally], elapsed: float) -> dict[str, Any]:
    latencies = sorted(x for t in tallies for x in t.latencies) or [float("nan")]
    arriving = sorted(x for t in tallies for x in t.arrival_latencies) or [float("nan")]
    errors = [e for t in tallies for e in t.errors]
    streams = [s for t in tallies for s in t.streams]
    requests = sum(len(t.latencies) + len(t.arrival_latencies) for t in tallies)
    return {
        "requests": requests,
        "requests_per_s": requests / elapsed,
        "p99_arriving_ms": 1000 * arriving[int(0.99 * (len(arriving) - 1))],
        "not_modified": sum(t.not_modified for t in tallies),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "max_ms": 1000 * latencies[-1],
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:10],
        "streams_completed": len(streams),
        "stream_looks": sum(looks for _, looks in streams),
        "streams_with_a_bot_event": sum(1 for events, _ in streams if events > 0),
    }


def report(row: dict[str, Any]) -> None:
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in row['load_average'])}")
    print(f"{'users':>6} {'bots':>6} {'poll s':>6} {'req/s':>8} {'304s':>6} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8} {'errors':>7} {'streams':>8} {'looks':>6} "
          f"{'CPU ms/op':>9}")  # fmt: skip
    print(f"{row['users']:>6} {row['bots']:>6} {row['poll_s']:>6.1f} "
          f"{row['requests_per_s']:>8.1f} {row['not_modified']:>6} {row['p50_ms']:>8.1f} "
          f"{row['p99_ms']:>8.1f} {row['max_ms']:>8.1f} {row['errors']:>7} "
          f"{row['streams_with_a_bot_event']:>4}/{row['users']:<3} "
          f"{row['stream_looks']:>6} {row['server_cpu_ms_per_read_or_look']:>9.2f}")  # fmt: skip
    window = row["cpu_window_s"]
    print(
        f"CPU by process over the {window:.0f} s of load (user + system; 2 cores = "
        f"{2 * window:.0f} s):"
    )
    for part, seconds in row["cpu_s"].items():
        print(f"  {part:<27} {seconds:>7.1f} s  {100 * seconds / window:>5.0f} % of a core")
    for label in ("alone", "loaded"):
        if f"tick_slots_{label}" in row:
            print(f"ticks {label:>6}: {row[f'tick_slots_{label}']} slots of "
                  f"{row[f'ticks_per_slot_{label}']:.0f} ticks, lag p50 "
                  f"{row[f'tick_lag_p50_s_{label}']:.2f} s, "
                  f"max {row[f'tick_lag_max_s_{label}']:.2f} s, "
                  f"ticker CPU {row[f'ticker_cpu_s_per_slot_{label}']:.2f} s/slot")  # fmt: skip
    verdict = "meets" if row["p99_ms"] < TARGET_P99_MS else "misses"
    print(
        f"p99 {row['p99_ms']:.1f} ms once the users are in {verdict} the goal of "
        f"{TARGET_P99_MS:.0f} ms (p99 {row['p99_arriving_ms']:.1f} ms while they arrive)"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {"when": stamp, "machine": platform.platform(), "cpus": os.cpu_count(), **row}
    for name in (f"api-{stamp}.json", "api-latest.json"):
        (RESULTS / name).write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    sys.exit(main())

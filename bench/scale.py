"""Benchmark scale-out: 1,000 and 10,000 paper bots on Celery workers, on the wall clock.

For each size the script creates a PostgreSQL database of its own (dropped at the end)
and a Redis namespace of its own (emptied at the end), adds users with paper accounts
and started bots over five symbols, spot and futures (the mix of bench/ticks.py), then
starts the real thing: one `tradewind worker --concurrency 2` (two pool processes; its
market-data source wrapped to count calls, bench/_scale_node.py) and one
`tradewind scheduler`, on the local Redis broker. Slots come every real minute; after
one untimed slot it measures the next ones. Nothing is accelerated.

Figures per size, from what the workers record per slot in Redis (entrypoints/worker/
stats.py) and from the database:
- lag: seconds from the slot's time (the minute) to each bot's decision being final;
  the scheduler waits 2 s after the minute (the exchange closes the candle), so lags
  start at 2 s;
- ticks/s: the slot's ticks ÷ (its last decision − its first), over the measured slots;
- round trips per tick: SQL statements, BEGIN, COMMIT and bot-lock calls of the workers;
- market-data calls per slot: the calls that reached the source (Binance klines, live);
- paper calls per slot: calls to the paper exchange (orders, balances, order lookups);
- skipped: measured slots in which some bot has no claim;
- worker CPU s/slot: CPU seconds of the worker's processes (parent and pool) per slot;
  PG CPU s/slot: of the PostgreSQL server processes serving the workers' connections.

    .venv/bin/python bench/scale.py                  # 1,000 then 10,000 bots, 3 slots each
    .venv/bin/python bench/scale.py --bots 2000 --slots 2
    .venv/bin/python bench/scale.py --live --bots 1000   # Binance bots (bench/_scale_live.py)

Results go to bench/results/scale-<time>.json (and scale-latest.json).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import text

from _scale_live import bench_live, print_live
from _scale_market import pick_start
from _ticks_world import BenchDatabase, populate
from tradewind.adapters.db.engine import make_engine
from tradewind.adapters.db.secrets import generate_key
from tradewind.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REDIS_URL = "redis://127.0.0.1:6379/0"
TARGET_P99_S = 10.0
SLOT = 60
SETTLE_S = 2
STARTUP_S = 40  # picking the market (~10 s) and starting the worker and the scheduler
SEED = 7


def main() -> int:
    args = parse_args()
    rows = []
    for bots in (int(b) for b in args.bots.split(",")):
        with tempfile.TemporaryDirectory(prefix="tradewind-scale-") as tmp:
            database = BenchDatabase.create("postgresql", Path(tmp))
            if database is None:
                print("PostgreSQL is not reachable on 127.0.0.1:5432: nothing measured")
                return 1
            try:
                if args.live:
                    rows.append(bench_live(bots, database, Path(tmp), args, start, stop,
                                           wait_slot, quantile, cpu_seconds))  # fmt: skip
                else:
                    rows.append(bench_one(bots, database, Path(tmp), args))
            finally:
                database.drop()
    if args.live:
        print_live(rows, args)
    else:
        print_table(rows, args)
    write_results(rows, args)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", default="1000,10000", help="sizes, comma-separated")
    parser.add_argument("--slots", type=int, default=3, help="measured slots per size")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes")
    parser.add_argument("--batch", type=int, default=100, help="TRADEWIND_TICK_BATCH_SIZE")
    parser.add_argument("--broker", default=REDIS_URL, help="TRADEWIND_BROKER_URL")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="TRADEWIND_TICK_THREADS (default: 4 live, where ticks wait on REST; 1 paper)",
    )  # fmt: skip
    parser.add_argument(
        "--live", action="store_true",
        help="Binance bots against `tradewind exchange serve`, on the feeder (_scale_live.py)",
    )  # fmt: skip
    parser.add_argument(
        "--warmup-slots", type=int, default=1,
        help="live: unmeasured slots first (each process builds its accounts' clients)",
    )  # fmt: skip
    parser.add_argument(
        "--market",
        choices=["busiest", "median", "quietest"],
        default="busiest",
        help="of 40 market starts, the one with the most (median, fewest) entry signals",
    )
    return parser.parse_args()


def bench_one(bots: int, database: BenchDatabase, tmp: Path, args: argparse.Namespace) -> dict:
    namespace = f"bench-{uuid.uuid4().hex[:10]}"
    key = generate_key().decode()
    env = {
        **os.environ, "PYTHONPATH": str(ROOT / "bench"), "TRADEWIND_DATA_DIR": str(tmp),
        "TRADEWIND_DATABASE_URL": database.url, "TRADEWIND_SECRET_KEY": key,
        "TRADEWIND_NAMESPACE": namespace, "TRADEWIND_BROKER_URL": args.broker,
        "TRADEWIND_REDIS_URL": REDIS_URL, "TRADEWIND_TICK_BATCH_SIZE": str(args.batch),
        "TRADEWIND_TICK_THREADS": str(args.threads or 1),
    }  # fmt: skip
    started = time.perf_counter()
    settings = Settings(data_dir=tmp, database_url=database.url, secret_key=key)
    populate(settings, bots, int(time.time()))
    print(f"{bots:,} bots added in {time.perf_counter() - started:.0f} s", flush=True)
    # The warm-up slot leaves time to pick the market and start the processes.
    warmup = (int(time.time()) + STARTUP_S) // SLOT * SLOT + SLOT
    slots = [warmup + SLOT * (i + 1) for i in range(args.slots)]
    market_start, signals = pick_start(slots[0], len(slots), bots, SEED, args.market)
    client = redis.Redis.from_url(REDIS_URL)
    spec = json.dumps({"start": market_start, "seed": SEED})
    client.set(f"{namespace}:paper:market", spec)  # what the first worker would set
    processes: list[subprocess.Popen[bytes]] = []
    try:
        node = [sys.executable, str(ROOT / "bench" / "_scale_node.py")]
        worker = start(processes, env, tmp / "worker.log",
                       [*node, f"--concurrency={args.concurrency}"], " ready.")  # fmt: skip
        scheduler = [sys.executable, "-m", "tradewind.entrypoints.cli", "scheduler"]
        start(processes, env, tmp / "scheduler.log", scheduler, "leading")
        if time.time() > warmup + SETTLE_S:
            raise SystemExit("the processes started too late for the warm-up slot")
        print(f"warm-up slot {stamp(warmup)}, measuring {len(slots)} slots with "
              f"{signals:,} entry signals ({args.market} market)", flush=True)  # fmt: skip
        finished = wait_slot(client, namespace, warmup, bots)
        print(f"  {stamp(warmup)} (warm-up): {'done' if finished else 'NOT DONE'}", flush=True)
        backends = postgres_backends(database.url)  # the workers' connections, open by now
        before = cpu_seconds(group=worker.pid), cpu_seconds(backends)
        for slot in slots:
            finished = wait_slot(client, namespace, slot, bots)
            print(f"  {stamp(slot)}: {'done' if finished else 'NOT DONE'}", flush=True)
        cpu = {
            "worker_cpu_s_per_slot": (cpu_seconds(group=worker.pid) - before[0]) / len(slots),
            "postgres_cpu_s_per_slot": (cpu_seconds(backends) - before[1]) / len(slots),
        }
        assert worker.poll() is None, "the worker died: see its log"
        row = figures(client, namespace, database, bots, slots, cpu, args)
        return row | {"entry_signals": signals}
    finally:
        for process in processes:
            stop(process)
        keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
        for i in range(0, len(keys), 1000):
            client.delete(*keys[i : i + 1000])


def start(
    processes: list[subprocess.Popen[bytes]], env: dict[str, str], log: Path,
    command: list[str], ready: str,
) -> subprocess.Popen[bytes]:  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
    processes.append(process)
    deadline = time.monotonic() + 60
    while ready not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{command[-1]} did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=wait)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the pool processes too


def wait_slot(client: redis.Redis, namespace: str, slot: int, bots: int) -> bool:
    """Wait until every bot ticked at `slot`, or the next slot is well under way."""
    while time.time() < slot + SLOT + 20:
        if int(client.hget(f"{namespace}:slot:{slot}", "ticks") or 0) >= bots:
            return True
        time.sleep(0.2)
    return False


def cpu_seconds(pids: set[int] | None = None, group: int | None = None) -> float:
    """Return the CPU seconds (user + system) of the processes `pids`, or of a group."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        pid = int(stat.parent.name)
        if (pids is not None and pid in pids) or (group is not None and int(fields[2]) == group):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def postgres_backends(url: str) -> set[int]:
    """Return the server processes of the connections to the database of `url`."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            ).scalars()
            return set(rows)
    finally:
        engine.dispose()


def figures(
    client: redis.Redis, namespace: str, database: BenchDatabase, bots: int,
    slots: list[int], cpu: dict[str, float], args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    lags: list[float] = []
    rates, md_calls, paper_calls, outcomes = [], [], [], {}
    ticks = round_trips = 0
    for slot in slots:
        stats = {k.decode(): int(v) for k, v in client.hgetall(f"{namespace}:slot:{slot}").items()}
        slot_lags = sorted(float(v) for v in client.lrange(f"{namespace}:slot:{slot}:lags", 0, -1))
        lags.extend(slot_lags)
        if len(slot_lags) > 1:
            rates.append(stats.get("ticks", 0) / max(1e-3, slot_lags[-1] - slot_lags[0]))
        ticks += stats.get("ticks", 0)
        round_trips += stats.get("round_trips", 0)
        md_calls.append(int(client.get(f"{namespace}:bench:md:{slot}") or 0))
        paper_calls.append(stats.get("exchange_calls", 0))
        for name, value in stats.items():
            if name.startswith("outcome:"):
                outcomes[name[8:]] = outcomes.get(name[8:], 0) + value
    engine = make_engine(database.url)
    with engine.connect() as connection:
        claimed = dict(connection.execute(
            text("SELECT slot, count(*) FROM tick_slots WHERE slot = ANY(:s) GROUP BY slot"),
            {"s": slots},
        ).all())  # fmt: skip
        orders = connection.execute(text("SELECT count(*) FROM orders")).scalar_one()
        trades = connection.execute(text("SELECT count(*) FROM trades")).scalar_one()
    engine.dispose()
    lags.sort()
    return {
        "bots": bots,
        "slots": len(slots),
        "ticks": ticks,
        "ticks_per_s": statistics.fmean(rates) if rates else 0.0,
        "p50_lag_s": quantile(lags, 0.50),
        "p99_lag_s": quantile(lags, 0.99),
        "max_lag_s": lags[-1] if lags else float("nan"),
        "round_trips_per_tick": round_trips / max(1, ticks),
        "market_data_calls_per_slot": md_calls,
        "paper_calls_per_slot": paper_calls,
        "skipped_slots": sum(1 for slot in slots if claimed.get(slot, 0) < bots),
        "outcomes": outcomes,
        "orders": int(orders),
        "trades": int(trades),
        **cpu,
        "concurrency": args.concurrency,
        "batch": args.batch,
    }


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


def stamp(slot: int) -> str:
    return datetime.fromtimestamp(slot, tz=UTC).strftime("%H:%M")


COLUMNS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("bots", "bots", "{:,}".format),
    ("slots", "slots", str),
    ("ticks/s", "ticks_per_s", "{:,.0f}".format),
    ("p50 lag s", "p50_lag_s", "{:.2f}".format),
    ("p99 lag s", "p99_lag_s", "{:.2f}".format),
    ("max lag s", "max_lag_s", "{:.2f}".format),
    ("round trips/tick", "round_trips_per_tick", "{:.3f}".format),
    ("md calls/slot", "market_data_calls_per_slot", lambda v: "/".join(map(str, v))),
    ("paper calls/slot", "paper_calls_per_slot", lambda v: "/".join(map(str, v))),
    ("entry signals", "entry_signals", "{:,}".format),
    ("skipped", "skipped_slots", str),
    ("worker CPU s/slot", "worker_cpu_s_per_slot", "{:.1f}".format),
    ("PG CPU s/slot", "postgres_cpu_s_per_slot", "{:.1f}".format),
]


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nPostgreSQL + Redis + 1 worker x {args.concurrency} processes, batches of "
          f"{args.batch}, on {os.cpu_count()} cores; 1-minute slots on the wall clock; "
          f"{args.market} market")  # fmt: skip
    cells = [[title for title, _, _ in COLUMNS]]
    cells += [[fmt(row[key]) for _, key, fmt in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    for number, line in enumerate(cells):
        print("  ".join(cell.rjust(widths[i]) for i, cell in enumerate(line)))
        if number == 0:
            print("  ".join("-" * w for w in widths))
    for row in rows:
        done = ", ".join(f"{k} {v:,}" for k, v in sorted(row["outcomes"].items()))
        met = row["p99_lag_s"] < TARGET_P99_S and row["skipped_slots"] == 0
        print(f"{row['bots']:,} bots: {done}; {row['orders']:,} orders, {row['trades']:,} "
              f"trades; p99 < {TARGET_P99_S:.0f} s and no slot skipped: "
              f"{'met' if met else 'MISSED'}")  # fmt: skip
    print("lag = slot time (the minute) to the decision; ticks start 2 s after the minute")


def write_results(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    when = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {
        "benchmark": "scale", "when": when, "python": sys.version.split()[0],
        "machine": platform.platform(), "cores": os.cpu_count(),
        "load_before": os.getloadavg(), "arguments": vars(args), "rows": rows,
    }  # fmt: skip
    body = json.dumps(document, indent=2)
    (RESULTS / f"scale-{when}.json").write_text(body)
    (RESULTS / "scale-latest.json").write_text(body)
    print(f"results: {(RESULTS / f'scale-{when}.json').relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())

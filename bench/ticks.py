"""Benchmark the tick: 1,000 paper bots ticked slot after slot on SQLite and PostgreSQL.

For each database the script creates a fresh one (a SQLite file in a temporary directory;
a PostgreSQL database of its own on 127.0.0.1:5432, dropped at the end), migrates it,
adds users with paper accounts and 1,000 started bots over five symbols, spot and
futures, then wires the real paper runtime (`bootstrap.paper_runtime`, as `tradewind run`
does) and ticks every bot at every replayed minute.

Figures per database, on one process (one thread):
- ticks/s: ticks ÷ wall time of the slot loop, everything included (the exchange too);
- p50/p99/max tick latency with the exchange EXCLUDED: every Exchange method (and the
  provider's `for_account`) runs inside a timing wrapper, and that time is subtracted
  from the tick it belongs to;
- SQL statements, transactions and pool checkouts per tick, counted by engine events.

    .venv/bin/python bench/ticks.py                    # both databases, 1,000 bots
    .venv/bin/python bench/ticks.py --databases sqlite --bots 200 --slots 10

Results go to bench/results/ticks-<time>.json (and ticks-latest.json).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _ticks_world import (
    BenchDatabase,
    Meter,
    TimedExchanges,
    count_rows,
    count_sql,
    populate,
    replay_market,
)
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.secrets import generate_key
from tradewind.bootstrap.runtime import paper_runtime
from tradewind.services.scheduler import active_bots, slots_between
from tradewind.services.tick import run_tick, run_ticks
from tradewind.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGET_TICKS_PER_S = 500.0
TARGET_P99_MS = 10.0
HISTORY_MINUTES = 2 * 1440  # candles before the first ticked slot, for the indicators


def main() -> int:
    args = parse_args()
    rows: list[dict[str, Any]] = []
    for name in args.databases.split(","):
        with tempfile.TemporaryDirectory(prefix="tradewind-bench-") as tmp:
            database = BenchDatabase.create(name.strip(), Path(tmp))
            if database is None:
                rows.append({"database": name, "skipped": "PostgreSQL is not reachable"})
                continue
            try:
                rows.append(bench_one(database, Path(tmp), args))
            finally:
                database.drop()
    print_table(rows, args)
    write_results(rows, args)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--bots", type=int, default=1_000)
    parser.add_argument("--slots", type=int, default=20, help="measured minute slots")
    parser.add_argument("--warmup", type=int, default=2, help="untimed slots first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the slot loop here")
    parser.add_argument(
        "--batch", type=int, default=0, help="tick bots in batches of this size (run_ticks)"
    )
    return parser.parse_args()


def bench_one(database: BenchDatabase, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Populate, tick every bot at every slot, and return the figures."""
    market, start = replay_market(HISTORY_MINUTES + args.warmup + args.slots + 5, args.seed)
    key = generate_key().decode()
    settings = Settings(data_dir=tmp, database_url=database.url, secret_key=key)
    started = time.perf_counter()
    populate(settings, args.bots, start)
    setup_s = time.perf_counter() - started
    clock = ReplayClock(start)
    runtime = paper_runtime(settings, market, clock, seed=args.seed)
    meter = Meter()
    deps = replace(runtime.deps, exchanges=TimedExchanges(runtime.deps.exchanges, meter))
    sql = count_sql(runtime.engine)
    first = start + HISTORY_MINUTES * 60
    slots = list(slots_between(first, first + (args.warmup + args.slots) * 60))
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    exchange_s = loop_s = cpu_s = 0.0
    ticks = 0
    profiler = None
    try:
        for index, slot in enumerate(slots):
            measured = index >= args.warmup
            if measured and profiler is None and args.profile is not None:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            if measured and index == args.warmup:
                sql.reset()
            clock.set(slot)
            gc.collect()
            slot_started, cpu_started = time.perf_counter(), time.process_time()
            bot_ids = active_bots(deps)  # one query per slot, as the scheduler does
            size = args.batch or 1
            for first_index in range(0, len(bot_ids), size):
                batch = bot_ids[first_index : first_index + size]
                meter.seconds = 0.0
                tick_started = time.perf_counter()
                if args.batch:
                    done = [r.outcome for r in run_ticks(deps, batch, slot).values()]
                else:
                    done = [run_tick(deps, batch[0], slot)]
                took = (time.perf_counter() - tick_started) / len(batch)
                if measured:
                    latencies.extend([took - meter.seconds / len(batch)] * len(batch))
                    exchange_s += meter.seconds
                    outcomes.update(outcome.value for outcome in done)
                    ticks += len(batch)
            if measured:
                loop_s += time.perf_counter() - slot_started
                cpu_s += time.process_time() - cpu_started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(args.profile.with_suffix(f".{database.name}.prof")))
        orders, trades = count_rows(runtime.engine)
    finally:
        runtime.close()
    latencies.sort()
    return {
        "database": database.name,
        "bots": args.bots,
        "slots": args.slots,
        "ticks": ticks,
        "ticks_per_s": ticks / loop_s,
        "cpu_share": cpu_s / loop_s,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "max_ms": 1000 * latencies[-1],
        "mean_ms": 1000 * statistics.fmean(latencies),
        "exchange_share": exchange_s / loop_s,
        "statements_per_tick": sql.statements / ticks,
        "transactions_per_tick": sql.transactions / ticks,
        "checkouts_per_tick": sql.checkouts / ticks,
        "outcomes": dict(outcomes),
        "orders": orders,
        "trades": trades,
        "setup_s": setup_s,
    }


COLUMNS = [
    ("database", "database", "{}"),
    ("ticks", "ticks", "{:,}"),
    ("ticks/s", "ticks_per_s", "{:,.0f}"),
    ("p50 ms", "p50_ms", "{:.2f}"),
    ("p99 ms", "p99_ms", "{:.2f}"),
    ("max ms", "max_ms", "{:.1f}"),
    ("exchange %", "exchange_share", "{:.1%}"),
    ("SQL/tick", "statements_per_tick", "{:.2f}"),
    ("tx/tick", "transactions_per_tick", "{:.2f}"),
    ("conn/tick", "checkouts_per_tick", "{:.2f}"),
    ("orders", "orders", "{:,}"),
    ("trades", "trades", "{:,}"),
]


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """Print the figures as a table, the outcomes, and whether PostgreSQL met the targets."""
    print(f"\n{args.bots:,} bots, {args.slots} measured slots after {args.warmup} untimed")
    cells = [[title for title, _, _ in COLUMNS]]
    for row in rows:
        if "skipped" in row:
            cells.append([row["database"], f"skipped: {row['skipped']}"])
            continue
        cells.append([fmt.format(row[key]) for _, key, fmt in COLUMNS])
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(len(COLUMNS))]
    for line_number, line in enumerate(cells):
        print("  ".join(cell.rjust(widths[i]) for i, cell in enumerate(line)))
        if line_number == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for row in rows:
        if "outcomes" in row:
            done = ", ".join(f"{k} {v:,}" for k, v in sorted(row["outcomes"].items()))
            print(f"{row['database']}: {done}; CPU/wall {row['cpu_share']:.0%} (one thread)")
        if row["database"] == "postgresql" and "ticks_per_s" in row:
            fast = row["ticks_per_s"] >= TARGET_TICKS_PER_S
            tail = row["p99_ms"] < TARGET_P99_MS
            print(
                f"target on PostgreSQL: >= {TARGET_TICKS_PER_S:.0f} ticks/s "
                f"{'met' if fast else 'MISSED'}, p99 < {TARGET_P99_MS:.0f} ms "
                f"{'met' if tail else 'MISSED'}"
            )
    print("latency = the tick's wall time minus the time spent inside Exchange calls")


def write_results(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {
        "benchmark": "ticks",
        "when": stamp,
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "targets": {"postgresql_ticks_per_s": TARGET_TICKS_PER_S, "p99_ms": TARGET_P99_MS},
        "rows": rows,
    }
    text = json.dumps(document, indent=2)
    (RESULTS / f"ticks-{stamp}.json").write_text(text)
    (RESULTS / "ticks-latest.json").write_text(text)
    print(f"results: {(RESULTS / f'ticks-{stamp}.json').relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())

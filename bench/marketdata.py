"""Benchmark the market data adapters: read a 1M-row candle CSV, generate 1M candles.

Each measurement runs in its own Python process, so one phase's memory does not hide
another's: the child reports its RSS after imports, its peak RSS (ru_maxrss) after the
first run, and the times of that first (cold) run and the best and median of the
following runs (the machine is shared: compare medians, and expect noise). The CSV is
written once by `write_candles_csv` from the synthetic market. Run with
`.venv/bin/python bench/marketdata.py` (or `.venv-bench/bin/python`, where pandas is
installed: reading must stay fast there too, because it never imports pandas).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROWS = 1_000_000
REPEATS = 7
REAL_FILE = (
    Path(__file__).parents[1] / ".." / "shared" / "data" / "BTCUSDT-1m-binanceus-2023-03.csv"
)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _time(work: Callable[[], object]) -> tuple[list[float], float]:
    """Milliseconds of each run, and the peak RSS (MB) after the first, cold run."""
    times = []
    first_peak = float("nan")
    for run in range(REPEATS + 1):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
        if run == 0:
            first_peak = _peak_mb()
    return times, first_peak


def child(phase: str, file: str) -> dict[str, Any]:
    """Run one phase in this process and return its figures."""
    from tradewind.adapters.marketdata.csv_candles import read_candles_csv, write_candles_csv
    from tradewind.adapters.marketdata.synthetic import generate_market

    base = _rss_mb()
    path = Path(file)
    jobs: dict[str, Callable[[], object]] = {
        "read": lambda: read_candles_csv(path),
        "generate": lambda: generate_market(ROWS),
        "write": lambda: write_candles_csv(generate_market(ROWS), path),
        "read-real": lambda: read_candles_csv(path),
    }
    times, first_peak = _time(jobs[phase])
    return {
        "first_ms": times[0],
        "best_ms": min(times[1:]),
        "median_ms": statistics.median(times[1:]),
        "base_mb": base,
        "peak_mb": first_peak,
        "pandas": "pandas" in sys.modules,
    }


def run_child(phase: str, file: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", phase, "--file", str(file)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return dict(json.loads(output))


def main() -> None:
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {ROWS:,} rows, best/median of {REPEATS}"
    )
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "market-1m.csv"
        rows = [("write 1M rows (incl. generate)", run_child("write", big))]
        size = big.stat().st_size / 2**20
        rows.append((f"read+validate 1M rows ({size:.0f} MB)", run_child("read", big)))
        rows.append(("generate 1M candles", run_child("generate", big)))
        if REAL_FILE.exists():
            rows.append(
                ("read+validate BTCUSDT 1m (30,240 rows)", run_child("read-real", REAL_FILE))
            )
    header = (
        f"{'phase':42} {'first ms':>9} {'best ms':>8} {'median ms':>9} {'RSS base MB':>11} "
        f"{'peak RSS MB':>11} {'pandas':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, r in rows:
        print(
            f"{name:42} {r['first_ms']:9.1f} {r['best_ms']:8.1f} {r['median_ms']:9.1f} "
            f"{r['base_mb']:11.0f} {r['peak_mb']:11.0f} {'yes' if r['pandas'] else 'no':>6}"
        )
    print(
        "targets: read+validate 1M < 250 ms, generate 1M < 300 ms; 1M candles are 48 MB of arrays"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", choices=["read", "generate", "write", "read-real"])
    parser.add_argument("--file", default="")
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(child(arguments.child, arguments.file)))
    else:
        main()

"""Benchmark `tradewind backtest` against backtesting.py and vectorbt on the same strategy.

Each tool runs as its own process, the way a user runs it, so the figures include the
interpreter start, imports and the CSV read. The parent times the whole process and reads
that one child's peak RSS from `os.wait4` (per child, unlike RUSAGE_CHILDREN, which only
ever grows). Anchors also print their own phase timings, so the backtest call alone can be
compared too. Run with `make bench-backtest` (the `.venv-bench` environment).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from _report import BASELINE, print_report, targets_for

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
ANCHORS = BENCH / "anchors"
REAL_CSV = ROOT.parent / "shared" / "data" / "BTCUSDT-1m-binanceus-2023-03.csv"

TRADEWIND_FLAGS = [
    "--symbol", "BTCUSDT", "--timeframe", "1m", "--position-type", "spot",
    "--custom-stop-loss", "2", "--custom-take-profit", "4", "--position-size-fixed", "25",
    "--fee-rate", "0.001", "--initial-balance", "10000", "--quiet",
]  # fmt: skip


STORE_TOOL = "tradewind (store)"


@dataclass(frozen=True)
class Tool:
    """One contender: how to start it on a CSV, and the extra environment it needs."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def command(self, csv: Path) -> list[str]:
        if self.name == "tradewind":
            return [*self.argv, "--csv", str(csv), *TRADEWIND_FLAGS]
        if self.name == STORE_TOOL:
            return [*self.argv, *TRADEWIND_FLAGS]  # the store's BTCUSDT spot 1m series
        return [*self.argv, "--csv", str(csv)]

    def environment(self, csv: Path) -> dict[str, str]:
        if self.name == STORE_TOOL:
            return {**self.env, "TRADEWIND_CANDLE_DIR": str(candle_store_for(csv))}
        return self.env


@dataclass
class Run:
    """One measured process."""

    wall_s: float
    peak_rss_mb: float
    cpu_s: float  # user + system CPU time of the process
    exit_code: int
    report: dict[str, Any] | None
    error: str = ""


@dataclass
class Dataset:
    """A CSV to benchmark on, or the note saying why it was skipped."""

    name: str
    path: Path | None
    repeats: int
    note: str = ""
    results: dict[str, list[Run]] = field(default_factory=dict)


def main() -> int:
    args = parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    tools, tool_notes = available_tools(args)
    datasets = prepare_datasets(args)
    if args.warmup and tools:
        warm_up(tools, datasets, args.timeout)
    for dataset in datasets:
        if dataset.path is None:
            continue
        for repeat in range(dataset.repeats):
            # Round-robin so slow drift on a shared machine hits every tool alike.
            for tool in tools:
                run = measure(
                    tool.command(dataset.path), tool.environment(dataset.path), args.timeout
                )
                dataset.results.setdefault(tool.name, []).append(run)
                log(f"{dataset.name} #{repeat + 1} {tool.name}: {describe(run)}")
    load = os.getloadavg()
    summaries = [summarize(dataset) for dataset in datasets]
    targets = targets_for(summaries)
    print_report(summaries, targets, notes=tool_notes)
    written = write_json(args, datasets, summaries, targets, tool_notes)
    print(f"\nload average at the end (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"results: {written.relative_to(ROOT)}")
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candles", type=int, default=1_000_000, help="generated series size")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated series")
    parser.add_argument("--repeats-small", type=int, default=3, help="runs per tool, real file")
    parser.add_argument("--repeats-large", type=int, default=2, help="runs per tool, generated")
    parser.add_argument("--skip-large", action="store_true", help="only the real file")
    parser.add_argument("--no-numba", action="store_true", help="skip vectorbt's Numba row")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false")
    parser.add_argument("--only", default="", help="comma-separated tool names to run")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per process")
    return parser.parse_args()


def available_tools(args: argparse.Namespace) -> tuple[list[Tool], list[str]]:
    """Return the tools to run and notes on any that cannot be."""
    bin_dir = Path(sys.executable).parent
    notes: list[str] = []
    tools: list[Tool] = []
    tradewind = bin_dir / "tradewind"
    if tradewind.exists():
        tools.append(Tool("tradewind", [str(tradewind), "backtest"]))
        # The same candles from the candle store (Parquet), as `tradewind data download` keeps them.
        tools.append(Tool(STORE_TOOL, [str(tradewind), "backtest"]))
    else:
        notes.append(f"tradewind skipped: no console script at {tradewind}")
    python = sys.executable
    if importlib.util.find_spec("backtesting") is not None:
        # TQDM_DISABLE: the progress bar is for people watching, not part of the backtest.
        tools.append(
            Tool(
                "backtesting.py",
                [python, str(ANCHORS / "backtesting_anchor.py")],
                {"TQDM_DISABLE": "1"},
            )
        )
    else:
        notes.append("backtesting.py skipped: not installed in this environment")
    if importlib.util.find_spec("vectorbt") is not None:
        vectorbt = [python, str(ANCHORS / "vectorbt_anchor.py")]
        if importlib.util.find_spec("vectorbt_rust") is not None:
            tools.append(Tool("vectorbt (rust)", [*vectorbt, "--engine", "rust"]))
        else:
            notes.append("vectorbt-rust is not installed: vectorbt runs on Numba only")
        if not args.no_numba:
            tools.append(Tool("vectorbt (numba)", [*vectorbt, "--engine", "numba"]))
    else:
        notes.append("vectorbt skipped: not installed in this environment")
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        tools = [tool for tool in tools if tool.name in wanted or tool.name.split()[0] in wanted]
    return tools, notes


def prepare_datasets(args: argparse.Namespace) -> list[Dataset]:
    """Find the real file and build (or reuse) the generated series."""
    real = Dataset("BTCUSDT 1m 2023-03 (real)", None, args.repeats_small)
    if REAL_CSV.exists():
        real.path = REAL_CSV
    else:
        real.note = f"skipped: {REAL_CSV} is absent"
    datasets = [real]
    if not args.skip_large:
        label = f"generated 1m, {args.candles:,} candles, seed {args.seed}"
        large = Dataset(label, None, args.repeats_large)
        large.path = generated_csv(args.candles, args.seed)
        datasets.append(large)
    return datasets


def generated_csv(candles: int, seed: int) -> Path:
    """Return the cached generated CSV, writing it first if this seed has none yet.

    It is written by a child process: a parent that held a million candles would hand
    its peak RSS on to every tool it starts (Linux keeps ru_maxrss across fork + exec).
    """
    path = RESULTS / f"synthetic-1m-{candles}-seed{seed}.csv"
    if path.exists():
        return path
    log(f"generating {candles:,} candles (seed {seed}) into {path.relative_to(ROOT)}")
    partial = path.with_name(path.stem + ".partial.csv")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tradewind.adapters.marketdata.csv_candles import write_candles_csv\n"
        "from tradewind.adapters.marketdata.synthetic import generate_market\n"
        "write_candles_csv(generate_market(int(sys.argv[1]), 60, seed=int(sys.argv[2])),"
        " Path(sys.argv[3]))\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(candles), str(seed), str(partial)], check=True
    )
    partial.replace(path)  # only a complete file ever carries the cache name
    return path


def candle_store_for(csv: Path) -> Path:
    """Return a candle store holding the CSV's candles as BTCUSDT spot 1m, written once by a
    child process (as the generated CSV is, so no parent holds the candles)."""
    root = RESULTS / f"store-{csv.stem}"
    series = root / "spot" / "BTCUSDT" / "1m.parquet"
    if series.exists():
        return root
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tradewind.adapters.marketdata.candle_store import ParquetCandleStore\n"
        "from tradewind.adapters.marketdata.csv_candles import read_candles_csv\n"
        "from tradewind.domain.types import PositionType, Symbol\n"
        "from tradewind.ports.research import SeriesKey\n"
        "key = SeriesKey(PositionType.SPOT, Symbol('BTCUSDT'), '1m')\n"
        "ParquetCandleStore(Path(sys.argv[2])).write(key, read_candles_csv(Path(sys.argv[1])))\n"
    )
    subprocess.run([sys.executable, "-c", script, str(csv), str(root)], check=True)
    return root


def warm_up(tools: list[Tool], datasets: list[Dataset], timeout: float) -> None:
    """Run each tool once untimed, so disk caches (pages, .pyc, Numba's) are hot for all."""
    small = next((d.path for d in datasets if d.path is not None), None)
    if small is None:
        return
    for tool in tools:
        run = measure(tool.command(small), tool.environment(small), timeout)
        log(f"warm-up {tool.name}: {describe(run)}")


def measure(argv: list[str], extra_env: dict[str, str], timeout: float) -> Run:
    """Run one process; return its wall time, its own peak RSS and its JSON line."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **extra_env}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=ROOT)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
        exit_code = os.waitstatus_to_exitcode(status)
        process.returncode = exit_code  # reaped by wait4; stop Popen from waiting again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    # Linux reports ru_maxrss in KiB.
    rss_mb = usage.ru_maxrss * 1024 / 1e6
    report = last_json_line(stdout)
    error = ""
    if exit_code != 0 or report is None:
        error = f"exit {exit_code}: {last_words(stderr) or last_words(stdout) or 'no output'}"
    cpu = usage.ru_utime + usage.ru_stime
    return Run(round(wall, 4), round(rss_mb, 1), round(cpu, 4), exit_code, report, error)


def last_words(text: str) -> str:
    """Return the last line that says something, without rich's box-drawing frame."""
    for line in reversed(text.splitlines()):
        words = line.strip(" \t│╭╮╰╯─┃━")
        if any(char.isalnum() for char in words):
            return words[:300]
    return ""


def last_json_line(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                parsed = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(parsed, dict):
                return parsed
    return None


def describe(run: Run) -> str:
    if run.error:
        return run.error
    trades = (run.report or {}).get("trades")
    return f"{run.wall_s:.3f} s, CPU {run.cpu_s:.3f} s, {run.peak_rss_mb:.0f} MB, {trades} trades"


def paired_ratios(runs: list[Run], base: list[Run], key: str) -> list[float]:
    """Return run-by-run ratios anchor ÷ tradewind of `key` (CPU or wall seconds): the
    runs of one round of the round-robin ran back to back, under the same load."""
    return [
        getattr(mine, key) / getattr(theirs, key)
        for mine, theirs in zip(runs, base, strict=False)
        if not mine.error and not theirs.error and getattr(theirs, key) > 0
    ]


def summarize(dataset: Dataset) -> dict[str, Any]:
    """Reduce each tool's runs to its best: fastest wall time, highest peak RSS seen; and
    each anchor's ratios to tradewind's run of the same round (best and median)."""
    rows: list[dict[str, Any]] = []
    base_runs = dataset.results.get(BASELINE, [])
    for tool, runs in dataset.results.items():
        good = [run for run in runs if not run.error]
        if not good:
            rows.append({"tool": tool, "error": runs[-1].error if runs else "no run"})
            continue
        fastest = min(good, key=lambda run: run.wall_s)
        report = fastest.report or {}
        rows.append(
            {
                "tool": tool,
                "runs": len(good),
                "wall_s": fastest.wall_s,
                "cpu_s": min(run.cpu_s for run in good),
                "peak_rss_mb": max(run.peak_rss_mb for run in good),
                "in_process_s": min_of(good, in_process_seconds),
                "backtest_s": min_of(good, lambda r: r.get("backtest_s")),
                "trades": report.get("trades"),
                "open_at_end": open_at_end(report),
                "return_pct": report.get("return_pct"),
                "engine": report.get("engine"),
                **{
                    f"paired_{key}": paired_ratios(runs, base_runs, key)
                    for key in ("cpu_s", "wall_s")
                    if tool != BASELINE
                },
            }
        )
    return {
        "dataset": dataset.name,
        "path": str(dataset.path) if dataset.path else None,
        "repeats": dataset.repeats,
        "note": dataset.note,
        "rows": rows,
    }


def in_process_seconds(report: dict[str, Any]) -> float | None:
    """From the CSV read to the result, imports and interpreter start excluded."""
    if "elapsed_s" in report:  # tradewind's own timer
        return float(report["elapsed_s"])
    phases = [report.get(key) for key in ("read_s", "signals_s", "backtest_s", "report_s")]
    known = [float(value) for value in phases if value is not None]
    return sum(known) if known else None


def open_at_end(report: dict[str, Any]) -> bool | None:
    if "open_position" in report:
        return bool(report["open_position"])
    if "open_at_end" in report:
        return bool(report["open_at_end"])
    return None


def min_of(runs: list[Run], pick: Any) -> float | None:
    values = [pick(run.report or {}) for run in runs]
    known = [float(value) for value in values if value is not None]
    return min(known) if known else None


def write_json(
    args: argparse.Namespace,
    datasets: list[Dataset],
    summaries: list[dict[str, Any]],
    targets: list[dict[str, Any]],
    notes: list[str],
) -> Path:
    """Write everything measured, raw runs included, to bench/results/."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {
        "benchmark": "backtest",
        "when": stamp,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_end": os.getloadavg(),
        },
        "versions": versions(),
        "settings": vars(args),
        "notes": notes,
        "summary": summaries,
        "targets": targets,
        "runs": {
            dataset.name: {
                tool: [asdict(run) for run in runs] for tool, runs in dataset.results.items()
            }
            for dataset in datasets
        },
    }
    path = RESULTS / f"backtest-{stamp}.json"
    text = json.dumps(payload, indent=2, default=str)
    path.write_text(text)
    (RESULTS / "backtest-latest.json").write_text(text)
    return path


def versions() -> dict[str, str | None]:
    names = ["tradewind", "numpy", "pandas", "pyarrow", "TA-Lib", "backtesting", "vectorbt"]
    found: dict[str, str | None] = {}
    for name in [*names, "vectorbt-rust", "numba"]:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

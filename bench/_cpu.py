"""Who used the CPU while a benchmark ran: CPU seconds (user + system) per part, from /proc.

A part is a set of processes: a process tree (the server: uvicorn's supervisor and its
workers), given pids (the bench's own client processes, the ticker), or the PostgreSQL
backends serving a connection's `application_name` (each part connects with its own, so
the database's work is told apart by who asked for it). A thread samples every second, so
a process or backend that ends before the window does is counted up to its last sample.
The machine's total (every process, from /proc/stat) tells how much the others used: on
a shared machine, the part of the cores the benchmark did not get.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 1.0


def process_table() -> dict[int, tuple[int, int]]:
    """Return {pid: (parent pid, CPU ticks so far, user + system)} of every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def tree(root: int, table: dict[int, tuple[int, int]]) -> set[int]:
    """Return `root` and all its descendants in `table`."""
    found, grew = {root}, True
    while grew:
        more = {pid for pid, (parent, _) in table.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found


def machine_busy_seconds() -> float:
    """Return the CPU seconds every core spent busy since boot (all processes)."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


def backends_by_application(database: str) -> Callable[[], dict[str, set[int]]]:
    """Return a function giving the pids of `database`'s backends per application_name."""
    import psycopg

    watch = psycopg.connect(
        f"host=127.0.0.1 port=5432 user=postgres dbname={database} application_name=bench-cpu",
        autocommit=True,
    )
    query = (
        "SELECT application_name, pid FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()"
    )

    def backends() -> dict[str, set[int]]:
        found: dict[str, set[int]] = {}
        for name, pid in watch.execute(query, (database,)).fetchall():
            found.setdefault(name, set()).add(int(pid))
        return found

    return backends


@dataclass
class CpuWatch:
    """Sample the parts' processes every second between `start` and `stop`.

    `parts` maps a part's name to a function of the process table giving its pids now.
    """

    parts: dict[str, Callable[[dict[int, tuple[int, int]]], Iterable[int]]]
    _base: dict[int, int] = field(default_factory=dict)
    _last: dict[str, dict[int, int]] = field(default_factory=dict)
    _machine: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        table = process_table()
        self._base = {pid: ticks for pid, (_, ticks) in table.items()}
        self._machine = machine_busy_seconds()
        self._sample(table)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self._sample(process_table())

    def _sample(self, table: dict[int, tuple[int, int]]) -> None:
        for name, pids_of in self.parts.items():
            seen = self._last.setdefault(name, {})
            for pid in pids_of(table):
                if pid in table:
                    seen[pid] = table[pid][1]

    def stop(self) -> dict[str, float]:
        """Return the CPU seconds of each part since `start`, then the machine's and the
        rest's (every other process on the machine)."""
        self._sample(process_table())
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        used = {
            name: sum(ticks - self._base.get(pid, 0) for pid, ticks in seen.items()) / TICK
            for name, seen in self._last.items()
        }
        machine = machine_busy_seconds() - self._machine
        return used | {"machine": machine, "others": max(0.0, machine - sum(used.values()))}

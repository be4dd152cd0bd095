"""`.ci/run` stops red, in one line naming it, on a service it cannot start.

PostgreSQL is made to look stopped and unstartable with two stand-ins first on the PATH
(`pg_isready` says no server answers; `pg_ctlcluster` fails as a real failed start does, or
`ls` finds no cluster folder), so the shared server the other tests use is never touched.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def stand_in(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(0o755)


def test_a_postgresql_that_cannot_start_stops_ci_red_in_one_line_naming_it(
    tmp_path: Path,
) -> None:
    stand_in(tmp_path, "pg_isready", "exit 2  # no response")
    stand_in(
        tmp_path,
        "pg_ctlcluster",
        'echo "Error: pg_ctl start failed" >&2\n'
        'echo "could not bind IPv4 address: Address already in use" >&2\n'
        "exit 1",
    )
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [str(REPO / ".ci" / "run"), "services"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(".ci/run: PostgreSQL ")
    assert "127.0.0.1:5432" in line
    if Path("/etc/postgresql").is_dir():  # a cluster to start: the failure says why
        assert line.endswith("could not bind IPv4 address: Address already in use")


def test_a_machine_without_a_postgresql_cluster_stops_ci_red_in_one_line_naming_it(
    tmp_path: Path,
) -> None:
    # pg_ctlcluster is installed but /etc/postgresql holds no cluster (here: `ls` says so).
    stand_in(tmp_path, "pg_isready", "exit 2  # no response")
    stand_in(tmp_path, "pg_ctlcluster", "exit 0")
    stand_in(
        tmp_path, "ls", "echo \"ls: cannot access '$1': No such file or directory\" >&2\nexit 2"
    )
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [str(REPO / ".ci" / "run"), "services"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        ".ci/run: PostgreSQL is not running on 127.0.0.1:5432 and /etc/postgresql has no cluster"
    ]

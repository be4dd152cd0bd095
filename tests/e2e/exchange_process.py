"""`tradewind exchange serve` as a separate process, its market clock moved by the test.

    with served_exchange(csv_lines, tmp_path) as exchange:
        exchange.set_time(t)   # POST /_tradewind/clock: the market stands at `t`
        ... the Binance adapter at exchange.base_url, key exchange.api_key ...

The server replays the given 1-minute candles (the lines of a CSV file, so the prices are
the file's own text), ends where they end (no order fills after the last minute, as in a
replay), and stands still until told to move: every minute a replay decides is the
minute the server's market is at, whatever the machine's load.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO

import httpx

from tests.waiting import SAFETY_S

SERVE = [sys.executable, "-m", "tradewind.entrypoints.cli", "exchange", "serve"]
API_KEY = "parity-key"
API_SECRET = "parity-secret"
# A replay runs days of market in seconds: Binance's per-minute limits, as many times over.
LIMIT_FACTOR = 10_000


@dataclass
class ServedExchange:
    """A running `tradewind exchange serve`, with one funded account."""

    base_url: str
    api_key: str
    api_secret: str
    http: httpx.Client

    def set_time(self, when: int) -> None:
        """Move the server's market to `when` (unix seconds); it never goes back."""
        answer = self.http.post("/_tradewind/clock", json={"time": when})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"time": when}


@contextmanager
def served_exchange(
    csv_lines: Sequence[str], where: Path, balance: Decimal, seed: int = 3
) -> Iterator[ServedExchange]:
    """Serve BTCUSDT's candles `csv_lines` (header first) on a free loopback port."""
    candles = where / "BTCUSDT-1m.csv"
    candles.write_text("".join(csv_lines))
    said = where / "serve.stderr"  # a file: a pipe nobody reads while serving could fill up
    with said.open("w") as stderr:
        yield from _serving(candles, stderr, balance, seed)
    err = said.read_text()
    assert "Traceback" not in err, err


def _serving(
    candles: Path, stderr: IO[str], balance: Decimal, seed: int
) -> Iterator[ServedExchange]:
    process = subprocess.Popen(
        [*SERVE, "--csv", f"BTCUSDT={candles}", "--manual-clock", "--seed", str(seed),
         "--limit-factor", str(LIMIT_FACTOR), "--account", f"{API_KEY}:{API_SECRET}",
         "--balance", f"USDT={balance}", "--futures-balance", f"USDT={balance}"],
        stdout=subprocess.PIPE, stderr=stderr, text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1"},
    )  # fmt: skip
    http: httpx.Client | None = None
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # printed once the account is in
        assert first.startswith("listening on http://127.0.0.1:"), first + _rest(process)
        url = first.split()[-1]
        http = httpx.Client(base_url=url, timeout=SAFETY_S)
        yield ServedExchange(url, API_KEY, API_SECRET, http)
    finally:
        if http is not None:
            http.close()
        if process.poll() is None:
            # SIGTERM, which the server handles itself: a shell starting the tests in the
            # background leaves SIGINT ignored, and the server with it.
            process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=SAFETY_S)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(SAFETY_S)
    assert process.returncode == 0, out


def _rest(process: subprocess.Popen[str]) -> str:
    """What a server that did not start said on stdout (it has exited, or is killed here)."""
    if process.poll() is None:
        process.kill()
    out, _ = process.communicate(timeout=SAFETY_S)
    return out

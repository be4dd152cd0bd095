"""`tradewind feeder` as an operator runs it: real processes, PostgreSQL, Redis and
`tradewind exchange serve` on loopback.

The feeder follows the kline streams of the series the running Binance bots trade and
fills the Redis book from REST at once; a second feeder stands by and takes over when the
first is killed.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from tests.e2e.test_cli_scale import CLI, database, env, run  # noqa: F401 - fixtures
from tests.waiting import SAFETY_S, wait_until


class Process:
    """A CLI process whose output lines are read as they come."""

    def __init__(self, args: list[str], environment: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=environment, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line)

    def wait_for(self, text: str) -> str:
        """The first line (from now on or seen before) that holds `text`."""
        for line in self.seen:
            if text in line:
                return line
        while True:
            line = self.lines.get(timeout=SAFETY_S)
            self.seen.append(line)
            if text in line:
                return line

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        return self.popen.wait(SAFETY_S)


@contextmanager
def started(args: list[str], environment: dict[str, str]) -> Iterator[Process]:
    process = Process(args, environment)
    try:
        yield process
    finally:
        if process.popen.poll() is None:
            process.popen.kill()
            process.popen.wait(SAFETY_S)


def test_one_feeder_fills_the_book_and_a_second_takes_over_when_it_dies(
    env: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    serve = ["exchange", "serve", "--account", "feed-key:feed-secret", "--seed", "3"]
    with started(serve, env) as server:
        url = server.wait_for("listening on").split()[-1]
        streams = server.wait_for("streams:").split()
        spot_ws, futures_ws = streams[2], streams[5]
        live = env | {
            "TRADEWIND_BINANCE_URL": url,
            "TRADEWIND_BINANCE_STREAM_URL": spot_ws,
            "TRADEWIND_BINANCE_FUTURES_STREAM_URL": futures_ws,
            "TRADEWIND_API_KEY": "feed-key",
            "TRADEWIND_API_SECRET": "feed-secret",
        }
        for args in (
            ["init"],
            ["user", "add", "ann@example.com"],
            ["account", "add", "--user", "ann@example.com", "--name", "live", "--kind", "binance"],
            ["bot", "create", "--user", "ann@example.com", "--account", "live", "--name", "btc",
             "--symbol", "BTCUSDT", "--timeframe", "5m", "--position-type", "spot"],
            ["bot", "start", "btc"],
        ):  # fmt: skip
            done = run(live, *args)
            assert done.returncode == 0, done.stderr

        client = redis.Redis(socket_timeout=5)
        key = f"{env['TRADEWIND_NAMESPACE']}:stream:spot:BTCUSDT:5m"
        try:
            with started(["feeder", "--refresh", "1"], live) as first:
                first.wait_for("feeder leading")
                wait_until(lambda: client.zcard(key) > 0, "the book's fill from REST")
                with started(["feeder", "--refresh", "1"], live) as second:
                    second.wait_for("standing by")
                    filled = client.zcard(key)
                    client.delete(key)  # what the next leader fills is its own doing
                    first.stop(signal.SIGKILL)
                    second.wait_for("feeder leading")
                    wait_until(lambda: client.zcard(key) >= filled, "the new leader's fill")
                    assert second.stop() == 0
                    assert "feeder stopped" in second.wait_for("feeder stopped")
                    assert not any("Traceback" in line for line in second.seen)
        finally:
            for found in client.scan_iter(match=f"{env['TRADEWIND_NAMESPACE']}*"):
                client.delete(found)
            client.close()
        assert server.stop() == 0

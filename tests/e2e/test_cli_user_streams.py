"""`tradewind user-streams` as an operator runs it: real processes, PostgreSQL, Redis and
`tradewind exchange serve` on loopback.

The first process owns the account's user data stream (its session lives in Redis); a
second stands by and, when the first is killed, takes the stream with a session of its own.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

from tests.e2e.test_cli_feeder import started
from tests.e2e.test_cli_scale import CLI, database, env, run  # noqa: F401 - fixtures
from tests.waiting import wait_until


@contextmanager
def spot_bot_on_the_server(
    env: dict[str, str],  # noqa: F811 - the fixture's value, passed on
) -> Iterator[tuple[dict[str, str], Callable[[], bytes | None]]]:
    """`exchange serve` running, a spot bot started on an account there; the environment to
    reach it, and a look at the account's live stream session in Redis."""
    serve = ["exchange", "serve", "--account", "own-key:own-secret", "--seed", "3"]
    with started(serve, env) as server:
        url = server.wait_for("listening on").split()[-1]
        streams = server.wait_for("streams:").split()
        live = env | {
            "TRADEWIND_BINANCE_URL": url,
            "TRADEWIND_BINANCE_STREAM_URL": streams[2],
            "TRADEWIND_BINANCE_FUTURES_STREAM_URL": streams[5],
            "TRADEWIND_API_KEY": "own-key",
            "TRADEWIND_API_SECRET": "own-secret",
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
        namespace = env["TRADEWIND_NAMESPACE"]

        def session() -> bytes | None:
            keys = list(client.scan_iter(match=f"{namespace}:userstream:*:spot:session"))
            value = client.get(keys[0]) if keys else None
            return value if isinstance(value, bytes) else None

        try:
            yield live, session
        finally:
            for found in client.scan_iter(match=f"{namespace}*"):
                client.delete(found)
            client.close()
        assert server.stop() == 0


def test_one_process_owns_an_accounts_stream_and_a_second_takes_over_when_it_dies(
    env: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    owner = ["user-streams", "--refresh", "1"]
    with spot_bot_on_the_server(env) as (live, session), started(owner, live) as first:
        first.wait_for("owned here")
        wait_until(lambda: session() is not None, "the first owner's session")
        with started(owner, live) as second:
            second.wait_for("standing by")
            owned_first = session()
            assert owned_first is not None
            first.stop(signal.SIGKILL)
            second.wait_for("owned here")
            wait_until(lambda: session() not in (None, owned_first), "the new owner's session")
            assert second.stop() == 0
            assert "user streams stopped" in second.wait_for("user streams stopped")
            assert not any("Traceback" in line for line in second.seen)


def test_the_one_process_run_follows_the_streams_itself(
    env: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    with spot_bot_on_the_server(env) as (live, session):
        runner = ["run", "--exchange", "binance", "--user-streams", "--quiet"]
        with started(runner, live) as running:
            running.wait_for("following the accounts' user data streams")
            wait_until(lambda: session() is not None, "the run's stream session")
            assert running.stop() in (0, 130)  # Ctrl-C's status
        wait_until(lambda: session() is None, "the session's end with the run")

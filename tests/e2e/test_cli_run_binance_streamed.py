"""`tradewind run --exchange binance` on streamed candles, as an operator runs it: the
one-process path with no setup (SQLite, no Redis) against `tradewind exchange serve` in a
process of its own, on the wall clock.

The run follows the bots' kline streams in a thread (its book in memory): each slot is
decided as its candle lands, not 2 s after the minute, and once the book is filled the
ticks read no klines by REST at all (the server counts requests per endpoint).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from tests.e2e.test_cli_feeder import started
from tests.e2e.test_cli_scale import run
from tests.waiting import wait_until
from tradewind.adapters.db.engine import make_engine
from tradewind.adapters.db.tables import BotStateRow, TickSlotRow

KLINES = "GET /api/v3/klines"
STEADY_SLOTS = 3  # slots decided on the streams after the first one, to count REST klines


def klines_calls(url: str) -> int:
    stats = httpx.get(f"{url}/_tradewind/stats", timeout=10).json()
    return int(stats["requests"].get(KLINES, 0))


@pytest.mark.slow
def test_the_one_process_run_decides_as_candles_land_with_no_rest_klines(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "COLUMNS": "200", "NO_COLOR": "1", "TRADEWIND_DATA_DIR": str(tmp_path / "data"),
        "TRADEWIND_REDIS_URL": "",  # no Redis: weight counted in the process, book in memory
    }  # fmt: skip
    serve = ["exchange", "serve", "--account", "run-key:run-secret", "--seed", "5"]
    with started(serve, env) as server:
        url = server.wait_for("listening on").split()[-1]
        streams = server.wait_for("streams:").split()
        live = env | {
            "TRADEWIND_BINANCE_URL": url,
            "TRADEWIND_BINANCE_STREAM_URL": streams[2],
            "TRADEWIND_BINANCE_FUTURES_STREAM_URL": streams[5],
            "TRADEWIND_API_KEY": "run-key",
            "TRADEWIND_API_SECRET": "run-secret",
        }
        for args in (
            ["init"],
            ["user", "add", "ann@example.com"],
            ["account", "add", "--user", "ann@example.com", "--name", "live", "--kind", "binance"],
            ["bot", "create", "--user", "ann@example.com", "--account", "live", "--name", "btc",
             "--symbol", "BTCUSDT", "--timeframe", "1m", "--position-type", "spot"],
            ["bot", "start", "btc"],
        ):  # fmt: skip
            done = run(live, *args)
            assert done.returncode == 0, done.stderr

        engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'tradewind.db'}")

        def claims() -> dict[int, int]:
            with engine.connect() as connection:
                rows = connection.execute(select(TickSlotRow.slot, TickSlotRow.claimed_at))
                return {int(slot): int(at) for slot, at in rows}

        with started(["run", "--exchange", "binance", "--quiet"], live) as running:
            running.wait_for("candles from its kline streams")
            wait_until(lambda: len(claims()) >= 1, "the first slot's tick")
            first = max(claims())
            # Counted once that tick is over (it may have read REST before the book filled).
            wait_until(lambda: decided_up_to(engine) >= first, "the first slot's tick to end")
            before = klines_calls(url)
            for n in range(1, STEADY_SLOTS + 1):  # a minute each
                wait_until(lambda n=n: len(claims()) >= 1 + n, f"steady slot {n}'s tick")
            after = klines_calls(url)
            assert running.stop() in (0, 130)  # Ctrl-C's status
        engine.dispose()
        seen = "".join(running.seen)
        assert "Traceback" not in seen, seen
        assert server.stop() == 0

    decided = claims_after(first, tmp_path)
    # Each slot decided within the minute it is for, its candle read from the book.
    delays = [at - slot for slot, at in decided.items()]
    print(f"claimed this long after the minute (s): {delays}", file=sys.stderr)
    assert len(decided) >= STEADY_SLOTS
    assert all(0 <= d < 60 for d in delays), delays
    assert after == before, f"{after - before} klines calls by REST in steady state"
    assert "no closed candle on the streams" not in seen  # none waited TRADEWIND_STREAM_WAIT_S


def decided_up_to(engine: Engine) -> int:
    """The last slot the bot decided (its state names it), 0 before the first."""
    with engine.connect() as connection:
        last = connection.execute(select(BotStateRow.last_slot)).scalar_one_or_none()
    return int(last or 0)


def claims_after(first: int, tmp_path: Path) -> dict[int, int]:
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'tradewind.db'}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(TickSlotRow.slot, TickSlotRow.claimed_at).where(TickSlotRow.slot > first)
            )
            return {int(slot): int(at) for slot, at in rows}
    finally:
        engine.dispose()

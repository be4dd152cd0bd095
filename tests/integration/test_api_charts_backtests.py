"""A bot's chart and backtests as jobs through the API, over real HTTP.

The chart carries the candles the bot decides on (here a generated market), its
strategy's indicators computed on them, and its fills marked by reason. A backtest job is
polled to done and equals the CLI's backtest of the same config; the limits are named when
hit; another user's chart or job is 404.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.integration.api_harness import API, TRADES_AT, ApiWorld, api_world, chart_market
from tradewind.adapters.db.unit_of_work import SqlUnitOfWork
from tradewind.bootstrap.backtest import backtest_sources
from tradewind.domain.indicators import ema, rsi
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.records import TradeRecord
from tradewind.domain.types import PositionType, Side, Symbol
from tradewind.services.backtest.request import BacktestRequest, run_request

CONFIG_SPOT = PositionType.SPOT
CONFIG = {"name": "bt", "symbol": "ETHUSDT", "timeframe": "15m", "position_type": "spot",
          "custom_stop_loss": "0.02", "custom_take_profit": "0.03"}  # fmt: skip
DEADLINE_S = 240  # a loaded machine spawns the pool's process slowly


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[ApiWorld]:
    # The server's own process pool runs the jobs, as `tradewind serve` does.
    with api_world(database_url, tmp_path, job_processes=True, backtest_max_candles=5_000) as built:
        yield built


def _fill(world: ApiWorld, bot_id: int, user_id: int, at: int, purpose: OrderPurpose) -> None:
    side = Side.BUY if purpose is OrderPurpose.ENTRY else Side.SELL
    trade = TradeRecord(
        bot_id=bot_id, user_id=user_id, exchange_order_id=f"x{at}", client_order_id=f"c{at}",
        symbol=Symbol("BTCUSDT"), side=side, order_type="MARKET", purpose=purpose,
        price=Decimal(42_000), quantity=Decimal("0.001"), quote_quantity=Decimal(42),
        fee=Decimal(0), fee_asset="USDT",
        realized_pnl=None if purpose is OrderPurpose.ENTRY else Decimal("-0.5"), timestamp=at,
    )  # fmt: skip
    with SqlUnitOfWork(world.store.sessions, world.store.secrets) as uow:
        uow.trades.add(trade)
        uow.commit()


def test_the_chart_has_the_bots_candles_indicators_and_fills_by_reason(world: ApiWorld) -> None:
    ann = world.ann
    _fill(world, ann.bot_id, ann.user_id, TRADES_AT + 600, OrderPurpose.ENTRY)
    _fill(world, ann.bot_id, ann.user_id, TRADES_AT + 1_200, OrderPurpose.STOP_LOSS)
    answer = ann.read.get(f"{API}/bots/{ann.bot_id}/chart", params={"limit": 300})
    assert answer.status_code == 200, answer.text
    chart = answer.json()
    assert (chart["symbol"], chart["timeframe"], chart["note"]) == ("BTCUSDT", "1m", "")
    market = chart_market().closed_candles(Symbol("BTCUSDT"), "1m", CONFIG_SPOT, 2**31, 400)
    closes = [c["close"] for c in chart["candles"]]
    assert len(closes) == 300
    assert closes == [float(v) for v in market.close[-300:]]
    # The indicators are the strategy's over the whole history served, cut to the window.
    expected = {"ema 8": ema(market.close, 8), "ema 21": ema(market.close, 21),
                "rsi 7": rsi(market.close, 7)}  # fmt: skip
    assert set(chart["indicators"]) == set(expected)
    for name, values in expected.items():
        shown = chart["indicators"][name]
        assert len(shown) == 300
        assert np.allclose([math.nan if v is None else v for v in shown], values[-300:],
                           equal_nan=True)  # fmt: skip
    reasons = [(m["time"], m["kind"], m["reason"]) for m in chart["markers"]]
    assert reasons == [
        (TRADES_AT, "exit", "signal"),  # the harness' closing trade
        (TRADES_AT + 600, "entry", "entry"),
        (TRADES_AT + 1_200, "exit", "stop_loss"),
    ]
    # A page from a time on: `limit` candles starting there, with the fills among them.
    start = next(c["time"] for c in chart["candles"] if c["time"] >= TRADES_AT + 300)
    page = {"from": start, "limit": 10}
    paged = ann.read.get(f"{API}/bots/{ann.bot_id}/chart", params=page).json()
    assert [c["time"] for c in paged["candles"]] == [start + 60 * i for i in range(10)]
    assert [m["reason"] for m in paged["markers"]] == ["entry"]


def test_another_users_chart_is_404_as_a_missing_one(world: ApiWorld) -> None:
    bob = world.bob
    theirs = bob.session.get(f"{API}/bots/{world.ann.bot_id}/chart")
    missing = bob.session.get(f"{API}/bots/999999/chart")
    assert theirs.status_code == missing.status_code == 404
    assert "there is no bot" in theirs.json()["detail"]


def _done(client: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"{API}/backtests/{job_id}").json()
        if job["status"] in {"done", "failed"}:
            return job
        time.sleep(0.2)  # polling a condition, not timing a result
    raise AssertionError(f"backtest {job_id} not done after {DEADLINE_S} s")


def test_a_backtest_job_equals_the_cli_backtest_of_the_same_config(world: ApiWorld) -> None:
    ann = world.ann
    body = {"config": CONFIG, "source": "generated", "candles": 3_000, "seed": 11,
            "initial_balance": "5000"}  # fmt: skip
    submitted = ann.trade.post(f"{API}/backtests", json=body)
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["status"] in {"queued", "running", "done"}
    job = _done(ann.read, submitted.json()["id"])
    assert job["status"] == "done", job
    cli = run_request(
        BacktestRequest(
            csv=None, config_file=None, exchange_info=None, generated_candles=3_000, seed=11,
            initial_balance=Decimal(5_000), fee_rate=None, config_fields=dict(CONFIG),
            read_store=False,
        ),
        backtest_sources(),
    )  # fmt: skip
    summary = job["result"]["summary"]
    assert Decimal(summary["final_balance"]) == cli.summary.final_balance
    assert (summary["trades"], summary["wins"], summary["candles"]) == (
        cli.summary.trades, cli.summary.wins, 3_000,
    )  # fmt: skip
    assert cli.summary.trades > 0
    trades = [(t["entry_time"], Decimal(t["entry_price"]), t["exit_reason"],
               None if t["pnl"] is None else Decimal(t["pnl"]))
              for t in job["result"]["trades"]]  # fmt: skip
    assert trades == [
        (t.entry_time, t.entry_price, None if t.exit_reason is None else t.exit_reason.value,
         t.pnl)
        for t in cli.result.trades
    ]  # fmt: skip
    equity = job["result"]["equity"]
    assert equity[-1] == {"time": int(cli.candles.open_time[-1]),
                          "equity": float(cli.result.equity[-1])}  # fmt: skip
    assert len(equity) <= 501
    assert [j["id"] for j in ann.read.get(f"{API}/backtests").json()] == [job["id"]]


def test_backtest_limits_are_named_and_another_users_job_is_404(world: ApiWorld) -> None:
    ann, bob = world.ann, world.bob
    too_big = ann.trade.post(f"{API}/backtests", json={"config": CONFIG, "candles": 5_001})
    assert too_big.status_code == 422
    assert too_big.json()["detail"][0]["loc"][-1] == "candles"
    assert "backtest_max_candles" in too_big.json()["detail"][0]["msg"]
    body = {"config": CONFIG, "source": "generated", "candles": 5_000}
    first, second, third = (ann.trade.post(f"{API}/backtests", json=body) for _ in range(3))
    assert (first.status_code, second.status_code) == (202, 202)
    # Two unfinished jobs per user (the default): the third waits, unless one already ended.
    if third.status_code == 429:
        assert "backtest_jobs_per_user" in third.json()["detail"]
        assert third.headers["retry-after"] == "5"
    else:
        assert third.status_code == 202
    job_id = first.json()["id"]
    for client in (bob.session, bob.trade):
        theirs = client.get(f"{API}/backtests/{job_id}")
        missing = client.get(f"{API}/backtests/nosuchjob")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json()["detail"].replace(job_id, "N") == missing.json()["detail"].replace(
            "nosuchjob", "N"
        )
    assert bob.read.get(f"{API}/backtests").json() == []
    assert _done(ann.read, job_id)["status"] == "done"

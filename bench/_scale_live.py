"""The live mode of bench/scale.py: Binance bots on the workers, against the local server.

    .venv/bin/python bench/scale.py --live --bots 1000 --slots 3

Everything runs as an operator would run it, on the wall clock: `tradewind exchange serve`
(the generated market of the mix's five symbols, on loopback), `tradewind feeder`,
`tradewind user-streams` (the accounts' order events into Redis, so no resting exit is
looked up by REST), one `tradewind worker` (TRADEWIND_WORKERS_TRADE_BINANCE=1) and
`tradewind scheduler`. Users
get one Binance account each (a key on the server, 10,000 USDT spot and 1,000 futures)
with the mix's eight bots (bench/_ticks_world.py). The server's limits are Binance's
(6,000 weight a minute per IP on spot, 2,400 on futures): the workers' shared governor
keeps to them.

Per measured slot:
- lag: seconds from the minute to each bot's decision (p50, p99);
- weight: the REST weight the server counted for this machine's IP in the slot's minute
  (`X-MBX-USED-WEIGHT-1M`, read just before the minute ends), spot and futures; and the
  same weight by what it paid for, from the server's request counts and route weights:
  trading (orders placed and cancelled, the balance an entry is sized on, futures
  settings, fills), order look-ups (what the user streams spare: it should not grow with
  the bots in position) and the rest (listen keys, exchangeInfo, klines, the clock);
- in position: bots holding a position when the slot's minute ends;
- worker CPU: CPU seconds (user + system) of the worker's processes in the slot's minute;
- klines: REST klines requests in the slot (the book should answer every slot);
- stream messages: kline events the feeder received in the slot;
- orders: orders the bots recorded at the slot; late groups: groups whose candles were
  not on the streams in time (decided from REST).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import redis
from pydantic import SecretStr
from sqlalchemy import text

from _ticks_world import SYMBOLS, BenchDatabase, populate
from tradewind.adapters.db.engine import make_engine
from tradewind.adapters.db.secrets import generate_key
from tradewind.domain.accounts import ExchangeKind
from tradewind.ports import NewAccount
from tradewind.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "tradewind.entrypoints.cli"]
SLOT = 60
STARTUP_S = 45  # the feeder's fill and the user streams' listen keys
PER_USER = 8
LIVE_THREADS = 4  # a tick that trades waits on REST round trips: four overlap per process
# What a slot's REST weight paid for, by the path's last part: look-ups of orders (what
# the user streams replace), bookkeeping that follows neither orders nor positions (listen
# keys, rules, candles, the clock), and the rest: trading (placing and cancelling orders,
# the balance an entry is sized on, futures settings, an order's fills).
LOOKUPS = ("order", "algoOrder", "openOrders", "openAlgoOrders", "allOrders", "myTrades")
BOOKKEEPING = ("userDataStream", "listenKey", "exchangeInfo", "klines", "time")


def bench_live(
    bots: int, database: BenchDatabase, tmp: Path, args: argparse.Namespace,
    start: Any, stop: Any, wait_slot: Any, quantile: Any, cpu_seconds: Any,
) -> dict[str, Any]:  # fmt: skip
    """Run `bots` Binance bots for the warm-up slot and `args.slots` measured ones."""
    namespace = f"bench-{uuid.uuid4().hex[:10]}"
    key = generate_key().decode()
    env = {
        **os.environ, "PYTHONPATH": str(ROOT / "bench"), "TRADEWIND_DATA_DIR": str(tmp),
        "TRADEWIND_DATABASE_URL": database.url, "TRADEWIND_SECRET_KEY": key,
        "TRADEWIND_NAMESPACE": namespace, "TRADEWIND_BROKER_URL": args.broker,
        "TRADEWIND_REDIS_URL": "redis://127.0.0.1:6379/0",
        "TRADEWIND_TICK_BATCH_SIZE": str(args.batch), "TRADEWIND_WORKERS_TRADE_BINANCE": "1",
        "TRADEWIND_TICK_THREADS": str(args.threads or LIVE_THREADS),
    }  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        symbols = [arg for s in SYMBOLS for arg in ("--symbol", s)]
        server = start(processes, env, tmp / "server.log",
                       [*CLI, "exchange", "serve", "--seed", "7", *symbols], "Ctrl-C")  # fmt: skip
        del server
        log = (tmp / "server.log").read_text()
        url = re.search(r"listening on (\S+)", log).group(1)  # type: ignore[union-attr]
        streams = re.search(r"streams: spot (\S+) · USDⓈ-M (\S+)", log)
        assert streams is not None, log
        env |= {"TRADEWIND_BINANCE_URL": url, "TRADEWIND_BINANCE_STREAM_URL": streams.group(1),
                "TRADEWIND_BINANCE_FUTURES_STREAM_URL": streams.group(2)}  # fmt: skip

        # The worker and the scheduler start before the bots exist: a scheduler that starts
        # to lead reconciles every active bot with its venue (open orders, futures position:
        # ~7 weight each, 10,000 bots ~70,000 weight, a quarter of an hour of the futures
        # budget), a start-up cost, not a slot's. Bots added later are not reconciled.
        node = [sys.executable, str(ROOT / "bench" / "_scale_node.py")]
        worker = start(processes, env, tmp / "worker.log",
                       [*node, f"--concurrency={args.concurrency}"], " ready.")  # fmt: skip
        start(processes, env, tmp / "scheduler.log", [*CLI, "scheduler"], "leading")
        started = time.perf_counter()
        users = -(-bots // PER_USER)
        with httpx.Client(base_url=url, timeout=30) as http:
            for n in range(users):
                http.post("/_tradewind/accounts", json={
                    "api_key": f"bench-{n}", "api_secret": f"secret-{n}",
                    "spot": {"USDT": "10000"}, "futures": {"USDT": "1000"},
                }).raise_for_status()  # fmt: skip
        settings = Settings(data_dir=tmp, database_url=database.url, secret_key=key)
        populate(settings, bots, int(time.time()), PER_USER, binance_account)
        print(f"{bots:,} Binance bots ({users:,} accounts) added in "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip

        first = (int(time.time()) + STARTUP_S) // SLOT * SLOT + SLOT
        warmups = [first + SLOT * i for i in range(args.warmup_slots)]
        slots = [warmups[-1] + SLOT * (i + 1) for i in range(args.slots)]
        start(processes, env, tmp / "feeder.log", [*CLI, "feeder", "--refresh", "5"],
              "feeder follows")  # fmt: skip
        start(processes, env, tmp / "user-streams.log",
              [*CLI, "user-streams", "--refresh", "5"], "owned here")  # fmt: skip
        if time.time() > first:
            raise SystemExit("the processes started too late for the warm-up slot")
        print(f"warm-up slots {warmups}, measuring {len(slots)} slots", flush=True)
        rows = []
        requests = request_counts(url)
        feeder = feeder_messages(client, namespace)
        cpu = cpu_seconds(group=worker.pid)
        for slot in [*warmups, *slots]:
            finished = wait_slot(client, namespace, slot, bots)
            time.sleep(max(0.0, slot + SLOT - 2 - time.time()))  # the minute's weight, whole
            weight = used_weight(url)
            now_requests, now_feeder = request_counts(url), feeder_messages(client, namespace)
            now_cpu = cpu_seconds(group=worker.pid)
            made = {k: v - requests.get(k, 0) for k, v in now_requests.items()}
            row = slot_figures(client, namespace, database, slot, quantile) | {
                "done": finished, "weight_spot": weight[0], "weight_futures": weight[1],
                **weight_split(made), "klines": sum(v for k, v in made.items() if "klines" in k),
                "stream_messages": now_feeder - feeder, "worker_cpu_s": round(now_cpu - cpu, 1),
                "load": round(os.getloadavg()[0], 1),
            }  # fmt: skip
            requests, feeder, cpu = now_requests, now_feeder, now_cpu
            print(f"  {'warm-up' if slot in warmups else slot}: {row}", flush=True)
            if slot not in warmups:
                rows.append(row)
        return summary(bots, rows, args)
    finally:
        for process in reversed(processes):
            stop(process)
        keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
        for i in range(0, len(keys), 1000):
            client.delete(*keys[i : i + 1000])


def binance_account(number: int, user_id: int, now: int) -> NewAccount:
    return NewAccount(
        user_id=user_id, name="binance", kind=ExchangeKind.BINANCE,
        api_key=SecretStr(f"bench-{number}"), api_secret=SecretStr(f"secret-{number}"),
        created_at=now,
    )  # fmt: skip


def used_weight(url: str) -> tuple[int, int]:
    """The weight the server counted this minute for this IP, spot and futures (the two
    look-ups cost one each)."""
    spot = httpx.get(f"{url}/api/v3/time", timeout=10)
    futures = httpx.get(f"{url}/fapi/v1/time", timeout=10)
    header = "X-MBX-USED-WEIGHT-1M"
    return int(spot.headers.get(header, 0)) - 1, int(futures.headers.get(header, 0)) - 1


def request_counts(url: str) -> dict[str, int]:
    """The server's requests so far, by "METHOD /path"."""
    requests = httpx.get(f"{url}/_tradewind/stats", timeout=10).json()["requests"]
    return {k: int(v) for k, v in requests.items()}


def weight_split(made: dict[str, int]) -> dict[str, Any]:
    """Split the weight of the requests `made` ("METHOD /path": count) by what it paid for,
    with the server's own route weights (klines weigh by their limit: counted at 2)."""
    from tradewind.testkit.binance_server import pipeline  # the routes register on import

    split = dict.fromkeys(("weight_trading", "weight_lookups", "weight_other"), 0)
    for call, count in made.items():
        method, path = call.split(" ", 1)
        route = pipeline.ROUTES.find(method, path)
        each = route.weight_of({"symbol": "BTCUSDT"}) if route else 0
        name = path.rsplit("/", 1)[-1]
        if method == "GET" and name in LOOKUPS:
            split["weight_lookups"] += each * count
        elif name in BOOKKEEPING:
            split["weight_other"] += (2 if name == "klines" else each) * count
        else:
            split["weight_trading"] += each * count
    return split | {"requests": {k: v for k, v in made.items() if v}}


def feeder_messages(client: redis.Redis, namespace: str) -> int:
    return int(client.hget(f"{namespace}:feeder:stats", "messages") or 0)


def slot_figures(
    client: redis.Redis, namespace: str, database: BenchDatabase, slot: int, quantile: Any
) -> dict[str, Any]:
    stats = {k.decode(): int(v) for k, v in client.hgetall(f"{namespace}:slot:{slot}").items()}  # type: ignore[union-attr]
    lags = sorted(float(v) for v in client.lrange(f"{namespace}:slot:{slot}:lags", 0, -1))
    engine = make_engine(database.url)
    with engine.connect() as connection:
        orders = connection.execute(
            text("SELECT count(*) FROM orders WHERE slot = :s"), {"s": slot}
        ).scalar_one()
        claimed = connection.execute(
            text("SELECT count(*) FROM tick_slots WHERE slot = :s"), {"s": slot}
        ).scalar_one()
        in_position = connection.execute(
            text("SELECT count(*) FROM bot_states WHERE position_side IS NOT NULL")
        ).scalar_one()
    engine.dispose()
    return {
        "ticks": stats.get("ticks", 0), "claimed": int(claimed),
        "p50_lag_s": round(quantile(lags, 0.5), 2), "p99_lag_s": round(quantile(lags, 0.99), 2),
        "orders": int(orders), "in_position": int(in_position),
        "streamed_groups": stats.get("streamed_groups", 0),
        "late_groups": stats.get("late_groups", 0),
        "decided": stats.get("outcome:decided", 0),
    }  # fmt: skip


def summary(bots: int, rows: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    def each(name: str) -> list[Any]:
        return [row[name] for row in rows]

    return {
        "bots": bots, "slots": len(rows), "live": True,
        "p99_lag_s_per_slot": each("p99_lag_s"), "p50_lag_s_per_slot": each("p50_lag_s"),
        "weight_spot_per_slot": each("weight_spot"),
        "weight_futures_per_slot": each("weight_futures"),
        "weight_trading_per_slot": each("weight_trading"),
        "weight_lookups_per_slot": each("weight_lookups"),
        "weight_other_per_slot": each("weight_other"),
        "requests_per_slot": each("requests"),
        "in_position_per_slot": each("in_position"), "worker_cpu_s_per_slot": each("worker_cpu_s"),
        "ticks_per_slot": each("ticks"), "load_per_slot": each("load"),
        "klines_per_slot": each("klines"), "stream_messages_per_slot": each("stream_messages"),
        "orders_per_slot": each("orders"), "late_groups_per_slot": each("late_groups"),
        "skipped_slots": sum(1 for row in rows if row["claimed"] < bots),
        "median_p99_lag_s": statistics.median(each("p99_lag_s")) if rows else float("nan"),
        "concurrency": args.concurrency, "batch": args.batch,
        "threads": args.threads or LIVE_THREADS, "load_after": os.getloadavg(),
        "spot_usdt": str(Decimal(10_000)),
    }  # fmt: skip


def print_live(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nLive: tradewind exchange serve + feeder + user-streams + 1 worker x "
          f"{args.concurrency} + "
          f"scheduler, batches of {args.batch}, {args.threads or LIVE_THREADS} tick threads, "
          f"{os.cpu_count()} cores, wall clock")  # fmt: skip
    for row in rows:
        print(f"{row['bots']:,} Binance bots, {row['slots']} slots (per slot):")
        for name in ("p50_lag_s", "p99_lag_s", "weight_spot", "weight_futures",
                     "weight_trading", "weight_lookups", "weight_other", "klines",
                     "stream_messages", "orders", "in_position", "late_groups",
                     "worker_cpu_s", "load"):  # fmt: skip
            print(f"  {name:>16}: {' / '.join(map(str, row[f'{name}_per_slot']))}")
        print(f"  skipped slots: {row['skipped_slots']}; load after: {row['load_after']}")

"""Benchmark the Binance-compatible server: requests per second and latency over loopback.

The server runs in this process (as in the demo and the adapter's tests), over a venue on
a generated 1m market; httpx clients with keep-alive connections send signed and public
requests, from one thread and from four. Figures per request kind: requests/s over the
whole run, p50/p99 latency of one request, client and server both included, and the
process's CPU time per request (what a loaded machine does not blur).

    .venv/bin/python bench/binance_server.py
    .venv/bin/python bench/binance_server.py --requests 500 --threads 8
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlencode

import httpx

from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.bootstrap.markets import generated_markets
from tradewind.testkit.binance_server import BinanceServer, Limits, sign

START = 1_709_539_200  # 2024-03-04 08:00 UTC
NO_LIMITS = Limits(
    spot_weight_per_minute=10**9,
    futures_weight_per_minute=10**9,
    sapi_uid_weight_per_minute=10**9,
    spot_orders_per_10s=10**9,
    spot_orders_per_day=10**9,
    futures_orders_per_10s=10**9,
    futures_orders_per_minute=10**9,
)
TLS = ssl.create_default_context()  # unused (plain HTTP); built once, as it is slow to build


def signed(client: httpx.Client, key: str, method: str, path: str, **params: str) -> int:
    fields = {**params, "timestamp": str(time.time_ns() // 1_000_000)}
    payload = urlencode(fields)
    payload += f"&signature={sign('bench-secret', payload)}"
    headers = {"X-MBX-APIKEY": key}
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return client.post(path, content=payload, headers=headers).status_code
    return client.request(method, f"{path}?{payload}", headers=headers).status_code


Kind = Callable[[httpx.Client, str, int], int]
KINDS: dict[str, Kind] = {
    "GET /api/v3/time": lambda c, _k, _i: c.get("/api/v3/time").status_code,
    "GET /api/v3/klines (500 x 1m)": lambda c, _k, _i: (
        c.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m"}).status_code
    ),
    "GET /api/v3/account": lambda c, k, _i: signed(c, k, "GET", "/api/v3/account"),
    "POST /api/v3/order MARKET": lambda c, k, i: signed(
        c,
        k,
        "POST",
        "/api/v3/order",
        symbol="BTCUSDT",
        side="BUY" if i % 2 == 0 else "SELL",
        type="MARKET",
        quantity="0.001",
    ),
    "POST /api/v3/order LIMIT (rests)": lambda c, k, i: signed(
        c,
        k,
        "POST",
        "/api/v3/order",
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price=f"{1000 + i % 100}",  # far below the market: it rests on the book
    ),
    "GET /api/v3/order": lambda c, k, _i: signed(
        c, k, "GET", "/api/v3/order", symbol="BTCUSDT", origClientOrderId="seen"
    ),
    "POST /fapi/v1/order MARKET": lambda c, k, i: signed(
        c,
        k,
        "POST",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY" if i % 2 == 0 else "SELL",
        type="MARKET",
        quantity="0.003",
        newOrderRespType="RESULT",
    ),
    "POST /fapi/v1/order LIMIT (rests)": lambda c, k, i: signed(
        c,
        k,
        "POST",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.003",
        price=f"{_futures_bid(c)}",  # 4 % below the market (PERCENT_PRICE allows 5 %)
    ),
    "GET /fapi/v3/account": lambda c, k, _i: signed(c, k, "GET", "/fapi/v3/account"),
}
_BIDS: dict[str, Decimal] = {}


def _futures_bid(client: httpx.Client) -> Decimal:
    """A futures bid that rests: 4 % under the price when first asked (the clock stands)."""
    if "bid" not in _BIDS:
        price = Decimal(
            client.get("/fapi/v1/ticker/price", params={"symbol": "BTCUSDT"}).json()["price"]
        )
        _BIDS["bid"] = (price * Decimal("0.96")).quantize(Decimal("0.1"))
    return _BIDS["bid"]


def run(
    server: BinanceServer, kind: Kind, requests: int, threads: int
) -> tuple[float, float, list[float]]:
    """Send the requests; return wall seconds, CPU seconds (all threads) and latencies."""
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        key = f"bench-{index}"
        with httpx.Client(base_url=server.base_url, verify=TLS) as client:
            mine = []
            for i in range(requests // threads):
                began = time.perf_counter()
                status = kind(client, key, i)
                mine.append(time.perf_counter() - began)
                assert status == 200, status
            with lock:
                latencies.extend(mine)

    began, cpu = time.perf_counter(), time.process_time()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - began, time.process_time() - cpu, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    clock = ReplayClock(START)
    market = generated_markets(["BTCUSDT"], START - 86_400, 2 * 1440, seed=7)
    venue = SimulatedVenue(market, clock, seed=7)
    rows = []
    with BinanceServer(venue, limits=NO_LIMITS, seed=7) as server:
        for n in range(max(args.threads, 1)):
            server.add_account(
                f"bench-{n}",
                "bench-secret",
                spot={"USDT": Decimal(10**9)},
                futures={"USDT": Decimal(10**9)},
            )
        with httpx.Client(base_url=server.base_url, verify=TLS) as client:
            for n in range(max(args.threads, 1)):
                signed(
                    client,
                    f"bench-{n}",
                    "POST",
                    "/api/v3/order",
                    symbol="BTCUSDT",
                    side="BUY",
                    type="MARKET",
                    quantity="0.001",
                    newClientOrderId="seen",
                )
        for name, kind in KINDS.items():
            for threads in (1, args.threads):
                seconds, cpu, latencies = run(server, kind, args.requests, threads)
                cuts = statistics.quantiles(latencies, n=100)
                rows.append(
                    (
                        name,
                        threads,
                        len(latencies),
                        len(latencies) / seconds,
                        cuts[49] * 1000,
                        cuts[98] * 1000,
                        cpu / len(latencies) * 1e6,
                    )
                )
    print(
        f"{'request':34} {'threads':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'CPU us':>7}"
    )
    for name, threads, count, rate, p50, p99, cpu_us in rows:
        print(f"{name:34} {threads:7d} {count:8d} {rate:8.0f} {p50:7.2f} {p99:7.2f} {cpu_us:7.0f}")
    print("One process: server threads and clients share the GIL (as in the demo); loopback.")
    print("CPU us: the process's CPU time per request, clients included (steady under load).")


if __name__ == "__main__":
    main()

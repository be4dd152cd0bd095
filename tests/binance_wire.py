"""Talk to the Binance-compatible server over real HTTP, as a client would (httpx, signed).

    with running_server(market) as env:
        response = env.client.signed("POST", "/api/v3/order", symbol="BTCUSDT", ...)

`running_server` starts a `BinanceServer` on a free loopback port over a simulated venue on
a manual clock, with one account (10,000 USDT in spot and in futures), and stops it after.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

import httpx

from tests.market_script import MINUTE, T0, ManualClock, minute_candles
from tradewind.adapters.exchange.simulated import CandlesPriceFeed, SimulatedVenue
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server import BinanceServer, Limits, sign

API_KEY = "tw-test-key"
API_SECRET = "tw-test-secret-4f1d9c8e2b7a"
# Minute 1 opens at 40,000; minute 2 falls to 38,000; minute 3 recovers a little.
MARKET = minute_candles(
    [
        ("39990", "40010", "39980", "40000"),
        ("40000", "40100", "39900", "40050"),
        ("40050", "40060", "38000", "38500"),
        ("38500", "38600", "38400", "38550"),
        ("38550", "42000", "38500", "41900"),
        ("41900", "42000", "41800", "41950"),
    ]
)


# Building an SSL context costs ~40 ms per client; the server is plain HTTP, so share one.
_UNUSED_TLS = ssl.create_default_context()


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class SignedClient:
    """Signs requests like Binance's docs: HMAC-SHA256 of the query string, then the body."""

    def __init__(
        self,
        base_url: str,
        api_key: str = API_KEY,
        api_secret: str = API_SECRET,
        *,
        timeout: float = 30.0,  # bounds a loaded machine; a test of timeouts sets its own
        clock_ms: Callable[[], int] = wall_ms,
    ) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout, verify=_UNUSED_TLS)
        self.api_key = api_key
        self.api_secret = api_secret
        self.clock_ms = clock_ms

    def public(self, path: str, **params: object) -> httpx.Response:
        """GET a public path."""
        return self.http.get(path, params={k: str(v) for k, v in params.items()})

    def signed(
        self, method: str, path: str, *, timestamp: int | None = None, **params: object
    ) -> httpx.Response:
        """Send a signed request: GET/DELETE in the query string, POST in a form body."""
        fields = {k: str(v) for k, v in params.items()}
        fields["timestamp"] = str(self.clock_ms() if timestamp is None else timestamp)
        payload = urlencode(fields)
        payload += f"&signature={sign(self.api_secret, payload)}"
        headers = {"X-MBX-APIKEY": self.api_key}
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return self.http.post(path, content=payload, headers=headers)
        return self.http.request(method, f"{path}?{payload}", headers=headers)

    def ok(self, method: str, path: str, **params: object) -> object:
        """Send a signed request that must succeed; return its JSON."""
        response = self.signed(method, path, **params)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    def close(self) -> None:
        self.http.close()


@dataclass
class ServerEnv:
    """A running server, its venue's clock and a client signed for its one account."""

    server: BinanceServer
    clock: ManualClock
    client: SignedClient

    def control(self, method: str, path: str, json: object = None) -> httpx.Response:
        """Call a /_tradewind control."""
        return self.client.http.request(method, f"/_tradewind/{path}", json=json)


@contextmanager
def running_server(
    candles: Candles = MARKET,
    *,
    limits: Limits | None = None,
    wall: Callable[[], int] = wall_ms,
    seed: int = 1,
    timeout: float = 30.0,
    stream_max_age_seconds: float = 86_400.0,
    set_time: Callable[[int], None] | None = None,
) -> Iterator[ServerEnv]:
    """Start a server over `candles` (BTCUSDT on both markets) with one funded account;
    with `set_time`, POST /_tradewind/clock calls it."""
    clock = ManualClock(T0 + MINUTE)  # minute 1 has opened: orders fill at 40,000
    feed = CandlesPriceFeed(
        {("BTCUSDT", PositionType.SPOT): candles, ("BTCUSDT", PositionType.FUTURES): candles}
    )
    venue = SimulatedVenue(feed, clock, seed=seed)
    server = BinanceServer(
        venue,
        limits=limits,
        seed=seed,
        wall_ms=wall,
        stream_max_age_seconds=stream_max_age_seconds,
        set_time=set_time,
    ).start()
    server.add_account(
        API_KEY, API_SECRET, spot={"USDT": Decimal(10_000)}, futures={"USDT": Decimal(10_000)}
    )
    client = SignedClient(server.base_url, timeout=timeout, clock_ms=wall)
    try:
        yield ServerEnv(server, clock, client)
    finally:
        client.close()
        server.stop()

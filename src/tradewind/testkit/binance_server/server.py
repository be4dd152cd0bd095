"""`BinanceServer`: Binance's REST paths over a simulated venue, on a loopback port, in a thread.

    venue = SimulatedVenue(feed, clock, seed=1)
    with BinanceServer(venue, seed=1) as server:          # binds 127.0.0.1, a free port
        server.add_account("key", "secret", spot={"USDT": Decimal(10_000)})
        client = httpx.Client(base_url=server.base_url)    # /api/v3, /fapi, /sapi
        server.add_fault(Fault(FaultMode.HTTP_503, rate=0.2, after=True))
        ...
        server.stats()

The venue runs on the clock it was given (a test's manual clock, the demo's replay
clock); the server's own wall clock (`wall_ms`) only checks signed timestamps and counts
rate-limit windows. Same seed and same requests in the same order, same ids, same faults.
The venue's own fault plan (`venue.faults`) does not touch the server's requests: faults
here are the server's (`add_fault`), on the wire.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Self

from tradewind.adapters.exchange.builtin_rules import known_symbols
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server import controls
from tradewind.testkit.binance_server.context import ApiAccount, ServerState
from tradewind.testkit.binance_server.faults import Fault, FaultMode, FaultPlan
from tradewind.testkit.binance_server.handler import HttpServer
from tradewind.testkit.binance_server.limits import Limits
from tradewind.testkit.binance_server.stats import Stats
from tradewind.testkit.binance_server.stream_server import DAY_SECONDS, StreamServer


def wall_clock_ms() -> int:
    """Return the real time in milliseconds."""
    return time.time_ns() // 1_000_000


def default_symbols() -> list[str]:
    """Return the symbols of the built-in rules, on either market."""
    return sorted(set(known_symbols(PositionType.SPOT)) | set(known_symbols(PositionType.FUTURES)))


class BinanceServer:
    """A Binance-compatible HTTP server over `venue`; see the module docstring."""

    def __init__(
        self,
        venue: SimulatedVenue,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        seed: int = 0,
        symbols: Sequence[str] | None = None,
        wall_ms: Callable[[], int] = wall_clock_ms,
        allow_remote: bool = False,
        stream_max_age_seconds: float = DAY_SECONDS,
        set_time: Callable[[int], None] | None = None,
    ) -> None:
        if not allow_remote and host != "localhost" and not controls.is_loopback(host):
            raise ConfigurationError(
                f"host: {host!r} is not a loopback address; this is a test server "
                "(allow_remote=True to listen there anyway)"
            )
        self.state = ServerState(
            venue,
            limits or Limits(),
            FaultPlan(seed),
            symbols if symbols is not None else default_symbols(),
            wall_ms,
            seed,
        )
        self.statistics = Stats()
        self.stopping = threading.Event()
        self._address = (host, port)
        self._http: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._adding = threading.Lock()
        self._stream_max_age = stream_max_age_seconds
        self._streams: dict[PositionType, StreamServer] = {}
        self._set_time = set_time

    # --- Life ------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind the port and serve in a background thread; return the server."""
        if self._http is not None:
            raise RuntimeError("the server is already started")
        try:
            self._http = HttpServer(self._address, self)
        except OSError as e:
            host, port = self._address
            raise ConfigurationError(f"cannot listen on {host}:{port}: {e.strerror}") from e
        self.stopping.clear()
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.02},  # how long `stop` may wait for the loop
            name=f"binance-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: close every connection (held ones too) and the port."""
        http = self._http
        if http is None:
            return
        self.stopping.set()
        with self._lock:
            started, self._streams = list(self._streams.values()), {}
        for streams in started:
            streams.stop()
        http.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._http = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (known once started)."""
        if self._http is None:
            raise RuntimeError("the server is not started")
        return int(self._http.server_address[1])

    @property
    def base_url(self) -> str:
        """The server's URL, e.g. http://127.0.0.1:54321 (spot at /api/v3, futures at /fapi)."""
        host = self._address[0]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    @property
    def stream_url(self) -> str:
        """The spot streams' URL (stream.binance.com's place): /ws/<stream>, /stream?streams=.

        The stream endpoints listen on ports of their own, opened on first use.
        """
        return self._stream(PositionType.SPOT).url

    @property
    def futures_stream_url(self) -> str:
        """The USDⓈ-M streams' URL (fstream.binance.com's place)."""
        return self._stream(PositionType.FUTURES).url

    def _stream(self, market: PositionType) -> StreamServer:
        """The market's stream endpoint, started on first use (REST-only runs need none)."""
        if self._http is None:
            raise RuntimeError("the server is not started")
        with self._lock:
            streams = self._streams.get(market)
            if streams is None:
                host = self._address[0]
                streams = StreamServer(self.state, market, host, self._stream_max_age)
                streams.start()
                self._streams[market] = streams
            return streams

    def drop_stream_connections(self) -> None:
        """Close every WebSocket connection at once, as a network fault would."""
        with self._lock:
            started = list(self._streams.values())
        for streams in started:
            streams.drop_all()

    def expire_listen_keys(self) -> None:
        """Let every listen key expire now (their streams get listenKeyExpired)."""
        self.state.listen_keys.expire_all()

    @property
    def venue(self) -> SimulatedVenue:
        """The simulated venue behind the server (its accounts, market and clock)."""
        return self.state.venue

    # --- Accounts --------------------------------------------------------------------------

    def add_account(
        self,
        api_key: str,
        api_secret: str,
        *,
        spot: Mapping[str, Decimal] | None = None,
        futures: Mapping[str, Decimal] | None = None,
        futures_enabled: bool = True,
        transfer_enabled: bool = True,
        account_id: int | None = None,
    ) -> int:
        """Give an API key a venue account; return the venue account id.

        By default a new account (an id no key and no venue account has) with `spot`
        (default: the venue's 10,000 USDT) and `futures` (default: nothing). With
        `account_id`, that venue account: made with these balances if new, as it stands if
        the venue already holds it (one key per account). The key's permissions: USDⓈ-M
        futures, and universal transfer (/sapi/v1/asset/transfer).
        """
        if not api_key or not api_secret:
            raise ValueError("api_key and api_secret must not be empty")
        with self._adding:  # choosing a free id and taking it is one step
            return self._add_account(
                api_key, api_secret, spot, futures, futures_enabled, transfer_enabled, account_id
            )

    def _add_account(
        self,
        api_key: str,
        api_secret: str,
        spot: Mapping[str, Decimal] | None,
        futures: Mapping[str, Decimal] | None,
        futures_enabled: bool,
        transfer_enabled: bool,
        account_id: int | None,
    ) -> int:
        if self.state.account(api_key) is not None:
            raise ValueError(f"api_key: {api_key[:4]}… is already registered")
        if account_id is None:
            account_id = self.state.next_account_id()
        elif self.state.key_of_account(account_id) is not None:
            raise ValueError(f"account_id: {account_id} already has an API key")
        self.venue.account(account_id, spot_balances=spot, futures_balances=futures)
        self.state.add_account(
            ApiAccount(api_key, api_secret, account_id, futures_enabled, transfer_enabled)
        )
        return account_id

    def account_id(self, api_key: str) -> int | None:
        """Return the venue account id of an API key (for `venue.account(id)`), if any."""
        account = self.state.account(api_key)
        return None if account is None else account.account_id

    def account_state(self, api_key: str) -> dict[str, object] | None:
        """Return balances, positions, orders and algo orders of an API key's account."""
        api = self.state.account(api_key)
        if api is None:
            return None
        return self.state.act(api, lambda b, a, _n, e: controls.account_document(api, b, a, e))

    # --- The market's clock -----------------------------------------------------------------

    def market_time(self) -> int:
        """Return the venue's clock (unix seconds): where the market stands."""
        return self.venue.clock.now()

    def set_market_time(self, when: int) -> None:
        """Move the venue's clock to `when` (unix seconds), if the server was given a way to
        (`exchange serve --manual-clock`): a test replaying the market steps it itself."""
        if self._set_time is None:
            raise ValueError(
                "time: this market runs on its own clock (serve it with --manual-clock)"
            )
        try:
            self._set_time(when)
        except ValueError as e:  # a replay's clock never goes back
            raise ValueError(f"time: {e}") from None

    # --- Faults and figures ----------------------------------------------------------------

    def add_fault(self, fault: Fault | Mapping[str, object]) -> None:
        """Switch a fault on (a `Fault`, or its JSON as POST /_tradewind/faults takes it)."""
        self.state.faults.add(fault if isinstance(fault, Fault) else Fault.from_json(fault))

    def clear_faults(self) -> None:
        """Switch every fault off (the clock skew too)."""
        self.state.faults.clear()

    def faults(self) -> list[dict[str, object]]:
        """Return the active fault rules."""
        return self.state.faults.rules()

    def set_skew_ms(self, ms: int) -> None:
        """Run the server's clock `ms` ahead of the wall clock (negative: behind)."""
        self.state.faults.add(Fault(FaultMode.SKEW_MS, ms=ms))

    @property
    def skew_ms(self) -> int:
        """How far the server's clock runs ahead of the wall clock."""
        return self.state.faults.skew_ms

    def server_time_ms(self) -> int:
        """Return the server's clock, as GET /api/v3/time answers it."""
        return self.state.server_ms()

    def stats(self) -> dict[str, object]:
        """Return the figures: requests by path, answers by status, orders, faults injected."""
        return self.statistics.snapshot(self.state.faults.injected())

    # --- For the HTTP handler ----------------------------------------------------------------

    def pause(self, seconds: float) -> None:
        """Wait (an injected latency), cut short when the server stops."""
        self.stopping.wait(seconds)

    def track(self, connection: socket.socket) -> None:
        """Remember an open connection, so `stop` can close it."""
        with self._lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        """Forget a closed connection."""
        with self._lock:
            self._connections.discard(connection)

"""The WebSocket side: Binance's stream endpoints on a loopback port of their own, per market.

Paths as on stream.binance.com / fstream.binance.com: `/ws/<stream>` (raw events),
`/stream?streams=<a>/<b>` (each event wrapped as `{"stream": …, "data": …}`), `/ws/<listenKey>`
(the user data stream), and `/ws` alone, to SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS by
message. The websockets library answers pings and pings idle clients (every 20 s, as
Binance). Each connection is polled every `POLL_SECONDS` of wall time for news; it is
closed after `max_age_seconds` (Binance: 24 hours) and by `drop_all` (a fault a test
switches on). A user data stream whose key expired gets `listenKeyExpired` and is closed.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server.context import ServerState
from tradewind.testkit.binance_server.errors import BinanceError
from tradewind.testkit.binance_server.market_streams import MarketFeed
from tradewind.testkit.binance_server.render import ms
from tradewind.testkit.binance_server.user_streams import AccountWatch

POLL_SECONDS = 0.1
DAY_SECONDS = 86_400.0


class StreamServer:
    """One market's stream endpoint (spot or USDⓈ-M) on `host`, a free port; in a thread."""

    def __init__(
        self,
        state: ServerState,
        market: PositionType,
        host: str,
        max_age_seconds: float = DAY_SECONDS,
    ) -> None:
        self.state = state
        self.market = market
        self.max_age_seconds = max_age_seconds
        self._stopping = threading.Event()
        self._drops = 0
        self._server: Server = serve(self._serve, host, 0, compression=None)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"binance-streams-{market.value}", daemon=True
        )

    @property
    def url(self) -> str:
        """The endpoint's URL, e.g. ws://127.0.0.1:54321 (streams at /ws/… and /stream)."""
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._thread.join(timeout=5)

    def drop_all(self) -> None:
        """Close every connection now, as a network fault would (clients must reconnect)."""
        self._drops += 1
        for connection in list(self._server.connections):
            with contextlib.suppress(Exception):
                connection.close_socket()

    # --- One connection ---------------------------------------------------------------

    def _serve(self, connection: ServerConnection) -> None:
        request = connection.request
        parts = urlsplit(request.path if request is not None else "/ws")
        feed = MarketFeed(self.state, self.market)
        watches: dict[str, AccountWatch] = {}
        combined = parts.path == "/stream"
        try:
            if combined:
                names = parse_qs(parts.query).get("streams", [""])[0]
                self._subscribe(feed, watches, [n for n in names.split("/") if n])
            elif parts.path.startswith("/ws/"):
                name = parts.path[len("/ws/") :]
                self._subscribe(feed, watches, [n for n in name.split("/") if n])
            elif parts.path != "/ws":
                raise BinanceError(404, 2, "Invalid request: unknown path")
        except BinanceError as e:
            connection.close(1008, e.msg[:120])
            return
        self._loop(connection, feed, watches, combined)

    def _subscribe(
        self, feed: MarketFeed, watches: dict[str, AccountWatch], names: list[str]
    ) -> None:
        """Follow streams and listen keys (a live key's name subscribes to its user data)."""
        keys = {n: w for n in names if (w := self._watch(n)) is not None}
        feed.subscribe([n for n in names if n not in keys])
        watches.update(keys)

    def _watch(self, name: str) -> AccountWatch | None:
        held = self.state.listen_keys.find(name)
        if held is None or held.market != self.market.value:
            return None
        account = self.state.account(held.api_key)
        if account is None:
            return None
        watch = AccountWatch(self.state, account, self.market)
        watch.poll()  # what is there now is known; only changes are news
        return watch

    def _loop(
        self,
        connection: ServerConnection,
        feed: MarketFeed,
        watches: dict[str, AccountWatch],
        combined: bool,
    ) -> None:
        drops = self._drops
        opened = time.monotonic()

        def send(name: str, data: dict[str, object]) -> None:
            body = {"stream": name, "data": data} if combined else data
            connection.send(json.dumps(body, separators=(",", ":")))

        try:
            while not self._stopping.is_set() and drops == self._drops:
                if time.monotonic() - opened >= self.max_age_seconds:
                    connection.close(1000, "24 hours passed")  # Binance's daily disconnect
                    return
                with contextlib.suppress(TimeoutError):
                    message = connection.recv(timeout=POLL_SECONDS)
                    self._answer(connection, feed, watches, message)
                for key, watch in list(watches.items()):
                    if self._expired(key):
                        now = ms(self.state.venue.clock.now())
                        send(key, {"e": "listenKeyExpired", "E": now, "listenKey": key})
                        connection.close(1000, "listenKey expired")
                        return
                    for event in watch.poll():
                        send(key, event)
                for name, data in feed.poll():
                    send(name, data)
        except ConnectionClosed:
            return

    def _expired(self, key: str) -> bool:
        held = self.state.listen_keys.find(key)
        return held is None or held.expires_ms <= self.state.wall_ms()

    def _answer(
        self,
        connection: ServerConnection,
        feed: MarketFeed,
        watches: dict[str, AccountWatch],
        message: str | bytes,
    ) -> None:
        """Answer a SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS message."""
        try:
            request = json.loads(message)
            method, ident = request["method"], request.get("id")
            params = request.get("params", [])
            if method == "SUBSCRIBE":
                self._subscribe(feed, watches, [str(n) for n in params])
                result: object = None
            elif method == "UNSUBSCRIBE":
                feed.unsubscribe([str(n) for n in params])
                for name in params:
                    watches.pop(str(name), None)
                result = None
            elif method == "LIST_SUBSCRIPTIONS":
                result = sorted([*feed.streams, *watches])
            else:
                raise BinanceError(400, 1, "Unknown method")
        except BinanceError as e:
            connection.send(json.dumps({"error": {"code": e.code, "msg": e.msg}, "id": None}))
            return
        except (ValueError, KeyError, TypeError):
            error = {"code": 3, "msg": "Invalid JSON: expected a request with method and id"}
            connection.send(json.dumps({"error": error, "id": None}))
            return
        connection.send(json.dumps({"result": result, "id": ident}))

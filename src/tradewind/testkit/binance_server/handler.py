"""The HTTP side: read a request off the socket, let the pipeline decide, then act on the socket.

Why the standard library's `ThreadingHTTPServer` rather than a web framework: the faults
act on the socket of one request. A reset sets SO_LINGER to 0 and closes, so the client
gets a TCP RST (ECONNRESET) and not a clean close; a timeout after accepting does the work
and then holds the connection without a byte until the client gives up. Here the handler
owns `self.connection` outright; ASGI/WSGI servers (uvicorn, gunicorn, aiohttp) hide it
behind their own protocol handling, and none of them is a dependency of the project. A
thread per connection is plenty for a test server (about 1,000 requests/s on loopback,
`bench/binance_server.py`). Connections are HTTP/1.1 keep-alive, as real clients use them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tradewind.testkit.binance_server import controls, errors, pipeline
from tradewind.testkit.binance_server.pipeline import Incoming, Outcome, SocketAction

if TYPE_CHECKING:
    from tradewind.testkit.binance_server.server import BinanceServer

log = logging.getLogger("tradewind.binance_server")
MAX_HOLD_SECONDS = 300.0  # a held answer is dropped after this even if the client waits on
_POLL_SECONDS = 0.05


class HttpServer(ThreadingHTTPServer):
    """A thread per connection; stopping never waits for a held or idle connection."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], binance: BinanceServer) -> None:
        self.binance = binance
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    """Serves Binance paths through the pipeline and /_tradewind paths through the controls."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the second waits for the
    # client's delayed ACK (about 40 ms a request).
    disable_nagle_algorithm = True
    server: HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.binance.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass  # the connection was reset or the client left
        finally:
            self.server.binance.untrack(self.connection)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    def _handle(self, method: str) -> None:
        binance = self.server.binance
        parts = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(400, {"code": -1000, "msg": "Bad Content-Length."}, {})
            return
        # Latin-1 keeps every byte as one character, so the signature check sees them as sent.
        body = self.rfile.read(length).decode("latin-1") if length > 0 else ""
        client_ip = self.client_address[0]
        if parts.path == controls.PREFIX or parts.path.startswith(controls.PREFIX + "/"):
            status, doc = controls.handle(binance, method, parts.path, body, client_ip)
            self._send(status, doc, {})
            return
        request = Incoming(
            method=method,
            path=parts.path,
            query=parts.query,
            body=body,
            headers={k.upper(): v for k, v in self.headers.items()},
            client_ip=client_ip,
        )
        try:
            outcome = pipeline.serve(binance.state, binance.statistics, binance.pause, request)
        except Exception:
            log.exception("request %s %s failed inside the server", method, parts.path)
            failure = errors.internal()
            outcome = Outcome(failure.status, failure.body())
        self._act(outcome)

    def _act(self, outcome: Outcome) -> None:
        stats = self.server.binance.statistics
        if outcome.action is SocketAction.RESET:
            stats.withheld("reset")
            self._reset()
        elif outcome.action is SocketAction.HOLD:
            stats.withheld("held")
            self._hold(outcome.hold_ms)
        else:
            stats.answered(outcome.status)
            self._send(outcome.status, outcome.body, outcome.headers)

    def _send(self, status: int, body: object, headers: dict[str, str]) -> None:
        page = isinstance(body, str)  # an HTML page (a path not served), else JSON
        data = (
            body.encode()
            if isinstance(body, str)
            else json.dumps(body, separators=(",", ":")).encode()
        )
        try:
            self.send_response(status)
            self.send_header(
                "Content-Type", "text/html" if page else "application/json;charset=UTF-8"
            )
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client went away; nothing to tell it

    def _reset(self) -> None:
        """Abort the connection: with a zero linger time, closing sends RST, not FIN."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _hold(self, hold_ms: int | None) -> None:
        """Answer nothing: wait until the client closes, `hold_ms` passes or the server stops."""
        self.close_connection = True
        seconds = MAX_HOLD_SECONDS if hold_ms is None else hold_ms / 1000
        deadline = time.monotonic() + seconds
        stopping = self.server.binance.stopping
        while not stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                readable, _, _ = select.select([self.connection], [], [], min(left, _POLL_SECONDS))
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    break  # the client gave up and closed its end
            except OSError:
                break

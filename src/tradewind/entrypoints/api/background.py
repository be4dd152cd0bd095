"""The API served from a thread beside other work: `tradewind run --web` on the embedded
default, so the ticks and the dashboard share one process and one SQLite file."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from tradewind.bootstrap.store import Store
from tradewind.entrypoints.api.app import create_app
from tradewind.ports import MarketData
from tradewind.settings import Settings


@dataclass
class BackgroundApi:
    """A running API server; `stop` ends it and closes its store."""

    url: str
    store: Store  # the API's own: for setting a password before anyone signs in
    _app: FastAPI
    _server: uvicorn.Server
    _thread: threading.Thread

    def show_market(self, market: MarketData) -> None:
        """Draw bot charts from `market`: the candles the ticks beside it decide on."""
        self._app.state.market = market

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._app.state.backtests.close()
        self.store.close()


def serve_in_background(settings: Settings, host: str, port: int) -> BackgroundApi:
    """Start serving the API on (host, port) in a daemon thread; return once it listens."""
    store = Store.open(settings)
    app = create_app(store)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="tradewind-api", daemon=True)
    thread.start()
    listening = threading.Event()
    while not server.started:
        if not thread.is_alive():
            store.close()
            raise OSError(f"the API could not listen on {host}:{port}")
        listening.wait(0.02)
    (sock, *_) = [s for srv in server.servers for s in srv.sockets]
    bound = sock.getsockname()[1]
    return BackgroundApi(f"http://{host}:{bound}", store, app, server, thread)

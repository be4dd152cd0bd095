"""One Binance websocket kept open: connect, run a session on it, reconnect with a backoff.

Shared by the kline feeder (market streams) and the user data streams (an account's orders),
so both log a dropped connection once per cause and retry on the same capped backoff.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from tradewind.domain.errors import ExchangeError

log = logging.getLogger(__name__)

RECEIVE_TIMEOUT_S = 1.0  # how often a quiet connection looks at `stop`
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)
# What ends one connection but not the loop: the network, the socket, a REST call made
# to open the stream (a listen key), Binance answering badly.
DROPPED = (OSError, WebSocketException, TimeoutError, ExchangeError)


def keep_connected(
    url: Callable[[], str],
    session: Callable[[ClientConnection, Callable[[], None]], None],
    stop: threading.Event,
    what: str,
    also: tuple[type[Exception], ...] = (),
) -> None:
    """Open `url()` and run `session` on the connection, again after every drop, until `stop`.

    `url` is asked anew for every connection (a user stream's listen key may change);
    `session(ws, up)` calls `up()` once its set-up (a gap fill, a session record) is done,
    returns when the connection should be reopened (or `stop` is set) and raises one of
    `DROPPED` (or `also`) when it went away. Only `up()` ends a run of failures: an outage
    met during set-up on every fresh connection keeps backing off and is logged once.
    """
    dropped = DROPPED + also
    failures = 0
    last_error = ""

    def up() -> None:
        nonlocal failures, last_error
        failures, last_error = 0, ""

    while not stop.is_set():
        try:
            with connect(url(), open_timeout=10, close_timeout=2) as ws:
                session(ws, up)
        except dropped as e:
            error = f"{type(e).__name__}: {e}"
            if error != last_error:  # one line per cause, not one per retry
                log.warning("%s: %s; reconnecting", what, error)
            last_error = error
            stop.wait(BACKOFF_S[min(failures, len(BACKOFF_S) - 1)])
            failures += 1

"""One Binance account's user data stream on one market, followed into `OrderUpdates`.

A listen key is created (spot `POST /api/v3/userDataStream`, USDⓈ-M `POST
/fapi/v1/listenKey`: an API key, no signature), kept alive every `keepalive_s` (`PUT`,
Binance drops a key not kept alive for 60 minutes) and followed at `<stream>/ws/<key>`.
Every connection is a session of its own in `OrderUpdates`, kept alive by a heartbeat
while the connection lives: each order event is recorded there, and the ticks read an
order there instead of asking REST while the session lives. A dropped connection or an
expired key (`listenKeyExpired`) ends the session (the ticks look the orders up by REST
once) and the stream reconnects, with the kline feeder's backoff (`websocket_loop`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from websockets.sync.client import ClientConnection

from tradewind.adapters.exchange.binance.order_updates import HEARTBEAT_TTL_S, OrderUpdates
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport
from tradewind.adapters.exchange.binance.websocket_loop import RECEIVE_TIMEOUT_S, keep_connected
from tradewind.domain.types import PositionType

log = logging.getLogger(__name__)

KEEPALIVE_S = 30 * 60.0  # Binance: a key lives 60 minutes, keep it alive every 30
HEARTBEAT_EVERY_S = HEARTBEAT_TTL_S / 5
PRUNE_EVERY_S = 600.0  # how often the record drops orders long over


@dataclass
class UserStreamStats:
    """What a stream did, for logs and tests."""

    connects: int = 0
    events: int = 0  # messages received
    orders: int = 0  # order events recorded
    keepalives: int = 0


# Where each market's listen key is made and kept alive, and its REST weight.
LISTEN_KEY = {
    PositionType.SPOT: (Api.SPOT_PRIVATE, "userDataStream", 2),
    PositionType.FUTURES: (Api.FUTURES_PRIVATE, "listenKey", 1),
}


class UserStream:
    """Follows one account's user data stream on the market of `updates` (see the module)."""

    def __init__(
        self,
        transport: BinanceTransport,
        account_id: int,
        stream_base: str,
        updates: OrderUpdates,
        keepalive_s: float = KEEPALIVE_S,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self._transport = transport
        self.account_id = account_id
        self._base = stream_base.rstrip("/")
        self._updates = updates
        self._keepalive_s = keepalive_s
        self._now_ms = now_ms  # the venue's clock, which orders' times are on
        self._key = ""
        self.stats = UserStreamStats()
        self.session: str | None = None  # the live session, while connected

    def run(self, stop: threading.Event) -> None:
        """Follow the stream until `stop` is set, reconnecting after every drop."""
        keep_connected(
            self._listen_url,
            lambda ws, up: self._follow(ws, up, stop),
            stop,
            f"{self._updates.market.value} user stream of account {self.account_id}",
            also=(redis.RedisError,),
        )

    def _listen_url(self) -> str:
        api, path, weight = LISTEN_KEY[self._updates.market]
        answer = self._transport.call(api, "POST", path, weight=weight)
        self._key = str(answer["listenKey"])
        return f"{self._base}/ws/{self._key}"

    def _follow(self, ws: ClientConnection, up: Callable[[], None], stop: threading.Event) -> None:
        session = self._updates.open_session(self.account_id)
        up()
        self.session = session
        self.stats.connects += 1
        beat = kept = time.monotonic()
        pruned = kept - PRUNE_EVERY_S  # at once, then every PRUNE_EVERY_S
        try:
            while not stop.is_set():
                now = time.monotonic()
                if now - beat >= HEARTBEAT_EVERY_S:
                    if not self._updates.heartbeat(self.account_id, session):
                        log.warning("user stream of account %d: session lapsed", self.account_id)
                        return  # reconnect: a new session, the ticks ask REST once
                    beat = now
                if now - kept >= self._keepalive_s:
                    self._keepalive()
                    kept = now
                if now - pruned >= PRUNE_EVERY_S:
                    self._updates.prune(self.account_id, self._now_ms())
                    pruned = now
                try:
                    raw = ws.recv(timeout=RECEIVE_TIMEOUT_S)
                except TimeoutError:
                    continue
                event = json.loads(raw)
                self.stats.events += 1
                if isinstance(event, dict) and event.get("e") == "listenKeyExpired":
                    log.warning("user stream of account %d: listen key expired", self.account_id)
                    return
                if isinstance(event, dict) and self._updates.record(
                    self.account_id, session, event
                ):
                    self.stats.orders += 1
        finally:
            self.session = None
            with contextlib.suppress(redis.RedisError):  # else it lapses with its heartbeat
                self._updates.close_session(self.account_id, session)

    def _keepalive(self) -> None:
        api, path, weight = LISTEN_KEY[self._updates.market]
        spot = self._updates.market is PositionType.SPOT
        # USD-M keeps one key per account: its keepalive names none (and takes no parameter).
        params = {"listenKey": self._key} if spot else {}
        self._transport.call(api, "PUT", path, params, weight=weight)
        self.stats.keepalives += 1

"""Many accounts' user data streams of one market on one websocket connection.

Binance serves a listen key as a stream name like any other: one combined-stream connection
(`<stream>/stream?streams=<key1>/<key2>…`, each event wrapped as `{"stream": key, "data":
…}`) carries the order events of many accounts, and a connection takes more keys, or lets
one go, by a `SUBSCRIBE` / `UNSUBSCRIBE` message. So `tradewind user-streams` holds one
connection per market for up to `ACCOUNTS_PER_CONNECTION` accounts instead of one per
account. Ownership stays per (account, market): the process adds an account it owns
(`add`) and removes one it lets go (`remove`); the connection's own thread makes each
change (a listen key made by REST with the account's API key, subscribed; its session
opened in `OrderUpdates`), so the websocket is only ever used by one thread.

Each account keeps its own session, heartbeat and key (kept alive every `keepalive_s`):
the ticks read an account's orders from the stream only while its session lives, exactly
as with `UserStream`. An account whose key expires (`listenKeyExpired`) or whose session
lapsed gets a new key and a new session (its exits are looked up by REST once); a dropped
connection ends every session on it, and the reconnect (the shared backoff of
`websocket_loop`) makes a key and a session anew for each account.
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

from tradewind.adapters.exchange.binance.order_updates import OrderUpdates
from tradewind.adapters.exchange.binance.transport import BinanceTransport
from tradewind.adapters.exchange.binance.user_stream import (
    HEARTBEAT_EVERY_S,
    KEEPALIVE_S,
    LISTEN_KEY,
    PRUNE_EVERY_S,
    UserStreamStats,
)
from tradewind.adapters.exchange.binance.websocket_loop import RECEIVE_TIMEOUT_S, keep_connected
from tradewind.domain.errors import ExchangeError
from tradewind.domain.types import PositionType

log = logging.getLogger(__name__)

# Binance allows 1,024 streams per connection (USDⓈ-M: 200); well under both.
ACCOUNTS_PER_CONNECTION = 150
RETRY_KEY_S = 60.0  # an account whose listen key call failed is tried again this much later


@dataclass
class _Member:
    """One account on the connection: how to reach its key, its key and its session."""

    transport: BinanceTransport
    key: str = ""
    session: str | None = None
    kept: float = 0.0  # when its key was last made or kept alive (monotonic)


class CombinedUserStreams:
    """Follows the user data streams of many accounts of one market on one connection."""

    def __init__(
        self,
        stream_base: str,
        updates: OrderUpdates,
        keepalive_s: float = KEEPALIVE_S,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self._base = stream_base.rstrip("/")
        self._updates = updates
        self._keepalive_s = keepalive_s
        self._now_ms = now_ms
        self._guard = threading.Lock()
        self._wanted: dict[int, BinanceTransport] = {}  # what the owner asked, any thread
        self._members: dict[int, _Member] = {}  # on the live connection: its thread only
        self._sent = 0  # messages sent on the connections, their ids
        self._retry_at: dict[int, float] = {}  # accounts whose key Binance refused: when next
        self.stats = UserStreamStats()

    @property
    def market(self) -> PositionType:
        return self._updates.market

    def add(self, account_id: int, transport: BinanceTransport) -> None:
        """Follow this account's stream too (from the next turn of the connection's loop)."""
        with self._guard:
            self._wanted[account_id] = transport

    def remove(self, account_id: int) -> None:
        """Stop following this account's stream (its session ends)."""
        with self._guard:
            self._wanted.pop(account_id, None)

    def accounts(self) -> set[int]:
        """The accounts asked for."""
        with self._guard:
            return set(self._wanted)

    def sessions(self) -> dict[int, str | None]:
        """Each member's live session (None while it has none), for tests and logs."""
        return {account_id: m.session for account_id, m in list(self._members.items())}

    def run(self, stop: threading.Event) -> None:
        """Follow the accounts until `stop` is set, reconnecting after every drop."""
        try:
            keep_connected(
                self._connect_url,
                lambda ws, up: self._follow(ws, up, stop),
                stop,
                f"{self.market.value} user streams",
                also=(redis.RedisError,),
            )
        finally:
            for account_id in list(self._members):
                self._end_session(account_id)

    def _connect_url(self) -> str:
        """Make every wanted account's key now; the URL names them all."""
        self._members.clear()
        for account_id, transport in sorted(self._wanted_now().items()):
            self._make_member(account_id, transport)
        if not self._members:  # none wanted (its owner closes it) or no key could be made
            raise ConnectionAbortedError("no account's listen key to follow")
        keys = "/".join(m.key for m in self._members.values())
        return f"{self._base}/stream?streams={keys}"

    def _make_member(self, account_id: int, transport: BinanceTransport) -> _Member | None:
        """Make the account's listen key; None (tried again later) when Binance refuses it:
        one account's trouble (a key revoked, say) never holds the others' streams."""
        if time.monotonic() < self._retry_at.get(account_id, 0.0):
            return None
        member = _Member(transport)
        try:
            member.key = self._make_key(member)
        except ExchangeError as e:
            log.warning("user stream of account %d: no listen key (%s); trying again in %gs",
                        account_id, e, RETRY_KEY_S)  # fmt: skip
            self._retry_at[account_id] = time.monotonic() + RETRY_KEY_S
            return None
        self._retry_at.pop(account_id, None)
        self._members[account_id] = member
        return member

    def _wanted_now(self) -> dict[int, BinanceTransport]:
        with self._guard:
            return dict(self._wanted)

    def _follow(self, ws: ClientConnection, up: Callable[[], None], stop: threading.Event) -> None:
        for account_id in self._members:
            self._open_session(account_id)
        up()
        self.stats.connects += 1
        beat = time.monotonic()
        pruned = beat - PRUNE_EVERY_S  # at once, then every PRUNE_EVERY_S
        while not stop.is_set():
            self._apply_changes(ws)
            now = time.monotonic()
            if now - beat >= HEARTBEAT_EVERY_S:
                self._heartbeats()
                beat = now
            self._keep_keys_alive(now)
            if now - pruned >= PRUNE_EVERY_S:
                for account_id in self._members:
                    self._updates.prune(account_id, self._now_ms())
                pruned = now
            try:
                raw = ws.recv(timeout=RECEIVE_TIMEOUT_S)
            except TimeoutError:
                continue
            self._take(ws, json.loads(raw))

    def _take(self, ws: ClientConnection, message: object) -> None:
        if not isinstance(message, dict) or "data" not in message:
            return  # a SUBSCRIBE's answer
        event, key = message["data"], str(message.get("stream", ""))
        self.stats.events += 1
        account_id = next((a for a, m in self._members.items() if m.key == key), None)  # ≤ 150
        if account_id is None or not isinstance(event, dict):
            return
        member = self._members[account_id]
        if event.get("e") == "listenKeyExpired":
            log.warning("user stream of account %d: listen key expired", account_id)
            self._end_session(account_id)
            del self._members[account_id]
            self._join(ws, account_id, member.transport)  # or later, from `_apply_changes`
            return
        if member.session is not None and self._updates.record(account_id, member.session, event):
            self.stats.orders += 1

    def _apply_changes(self, ws: ClientConnection) -> None:
        wanted = self._wanted_now()
        for account_id in [a for a in self._members if a not in wanted]:
            member = self._members.pop(account_id)
            self._send(ws, "UNSUBSCRIBE", [member.key])
            self._end_session(account_id, member)
        for account_id in [a for a in wanted if a not in self._members]:
            self._join(ws, account_id, wanted[account_id])

    def _join(self, ws: ClientConnection, account_id: int, transport: BinanceTransport) -> None:
        if self._make_member(account_id, transport) is None:
            return
        self._send(ws, "SUBSCRIBE", [self._members[account_id].key])
        self._open_session(account_id)

    def _heartbeats(self) -> None:
        for account_id, member in self._members.items():
            if member.session is None:
                continue
            if not self._updates.heartbeat(account_id, member.session):
                log.warning("user stream of account %d: session lapsed", account_id)
                self._open_session(account_id)  # a new one: the ticks ask REST once

    def _keep_keys_alive(self, now: float) -> None:
        for account_id, member in self._members.items():
            if now - member.kept >= self._keepalive_s:
                api, path, weight = LISTEN_KEY[self.market]
                spot = self.market is PositionType.SPOT
                # USD-M keeps one key per account: its keepalive names none.
                params = {"listenKey": member.key} if spot else {}
                try:
                    member.transport.call(api, "PUT", path, params, weight=weight)
                except ExchangeError as e:  # this account's alone: the others go on
                    log.warning("user stream key of account %d not kept alive: %s", account_id, e)
                    member.kept = now - self._keepalive_s + RETRY_KEY_S
                    continue
                member.kept = now
                self.stats.keepalives += 1

    def _make_key(self, member: _Member) -> str:
        api, path, weight = LISTEN_KEY[self.market]
        answer = member.transport.call(api, "POST", path, weight=weight)
        member.kept = time.monotonic()
        return str(answer["listenKey"])

    def _open_session(self, account_id: int) -> None:
        self._members[account_id].session = self._updates.open_session(account_id)

    def _end_session(self, account_id: int, member: _Member | None = None) -> None:
        member = member or self._members.get(account_id)
        if member is None or member.session is None:
            return
        with contextlib.suppress(redis.RedisError):  # else it lapses with its heartbeat
            self._updates.close_session(account_id, member.session)
        member.session = None

    def _send(self, ws: ClientConnection, method: str, keys: list[str]) -> None:
        self._sent += 1
        ws.send(json.dumps({"method": method, "params": keys, "id": self._sent}))

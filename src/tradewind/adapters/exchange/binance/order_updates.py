"""What an account's user data stream said of our spot orders, kept in Redis for every tick.

The stream's owner (`user_stream.py`, one process per account) writes each
`executionReport` here, shaped as the REST order (`GET /api/v3/order`) with its trades;
a tick asking for an order (`BinanceExchange.find_order`) reads it here instead of asking
Binance, when the stream has kept it current. Nothing is booked here: the tick books the
report it gets, whichever way it came, by the one recording path (trades are keyed by
client order id, so a fill reported twice books once).

"Current" is proved by sessions. Each connection of the stream is a session with an id,
alive in Redis while the owner's heartbeat refreshes it (`HEARTBEAT_TTL_S`). An order's
entry belongs to the session that saw it whole: the one in which it was placed (its `NEW`
event came) or in which the tick last read it from REST (`rebase`). Events that come to an
entry of an older session are merged but do not make it current: what happened in the gap
is unknown. So the tick trusts an entry only when its session is the live one, and its
trades add up to its executed quantity (no fill, hence no fee, is missing); anything else
is one REST look-up, which rebases the entry into the session that was live before it
(not after: what happened in between would be missing). A stream that dies takes its
session with it (within the heartbeat's TTL): the ticks go back to REST.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import redis

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.orders import OrderReport

log = logging.getLogger(__name__)

HEARTBEAT_TTL_S = 10  # a session not refreshed for this long is over
ENTRY_TTL_S = 7 * 86_400  # an account's orders fall out a week after its last event
_FINAL = frozenset({"FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH", "REJECTED"})


def _rank(order: Mapping[str, Any]) -> tuple[int, Decimal, int]:
    """Order a REST-shaped order's states: later status, more filled, later update wins."""
    status = str(order.get("status", ""))
    step = 2 if status in _FINAL else 1 if status == "PARTIALLY_FILLED" else 0
    executed = Decimal(str(order.get("executedQty", "0")))
    return step, executed, int(order.get("updateTime", 0))


@dataclass(slots=True)
class Entry:
    """One order as the stream (or REST) last described it, and the session that saw it whole."""

    order: dict[str, Any]  # shaped as GET /api/v3/order answers
    fills: dict[str, dict[str, str]] = field(default_factory=dict)  # by trade id
    session: str | None = None

    def complete(self) -> bool:
        """Tell whether every trade of the order is here (so its fee is whole)."""
        executed = Decimal(str(self.order.get("executedQty", "0")))
        return sum((Decimal(f["qty"]) for f in self.fills.values()), Decimal(0)) == executed

    def merged(self, newer: Entry) -> Entry:
        """This entry with what `newer` says: the later state, every trade, `newer`'s session
        when it has one."""
        order = newer.order if _rank(newer.order) >= _rank(self.order) else self.order
        return Entry(order, self.fills | newer.fills, newer.session or self.session)

    def dump(self) -> str:
        return json.dumps({"order": self.order, "fills": self.fills, "session": self.session})

    @classmethod
    def load(cls, raw: str | bytes) -> Entry:
        data = json.loads(raw)
        return cls(dict(data["order"]), dict(data["fills"]), data.get("session"))


def execution_report(event: Mapping[str, Any]) -> tuple[str, Entry, bool] | None:
    """The client id, entry and placement flag of a spot `executionReport`; None otherwise.

    A cancel's event names the cancel request in `c` and the order in `C`.
    """
    if event.get("e") != "executionReport":
        return None
    client_id = str(event.get("C") or event.get("c") or "")
    if not client_id:
        return None
    order: dict[str, Any] = {
        "symbol": event["s"], "clientOrderId": client_id, "orderId": event["i"],
        "side": event["S"], "type": event["o"], "status": event["X"],
        "origQty": event["q"], "executedQty": event["z"], "cummulativeQuoteQty": event["Z"],
        "updateTime": int(event.get("T") or event.get("E") or 0),
    }  # fmt: skip
    if event.get("d") not in (None, "", 0, "0"):
        order["trailingDelta"] = event["d"]
    fills: dict[str, dict[str, str]] = {}
    if event.get("x") == "TRADE":
        fills[str(event["t"])] = {
            "price": str(event["L"]), "qty": str(event["l"]),
            "commission": str(event["n"]), "commissionAsset": str(event.get("N") or ""),
        }  # fmt: skip
    return client_id, Entry(order, fills), event.get("x") == "NEW"


class OrderUpdates:
    """The stream's view of each account's spot orders, in Redis (see the module)."""

    def __init__(self, client: redis.Redis, names: Names) -> None:
        self._redis = client
        self._names = names
        self.served = 0  # look-ups answered from the stream, for tests and benchmarks
        self.missed = 0  # look-ups left to REST

    def _session_key(self, account_id: int) -> str:
        return self._names.key("userstream", account_id, "spot", "session")

    def _orders_key(self, account_id: int) -> str:
        return self._names.key("userstream", account_id, "spot", "orders")

    # --- The stream's owner ----------------------------------------------------------

    def open_session(self, account_id: int) -> str:
        """Start a session (a new connection): entries of earlier ones are no longer current."""
        session = uuid.uuid4().hex
        self._redis.set(self._session_key(account_id), session, ex=HEARTBEAT_TTL_S)
        return session

    def heartbeat(self, account_id: int, session: str) -> bool:
        """Keep the session alive; False when it is not the live one any more."""
        key = self._session_key(account_id)
        if self._redis.get(key) not in (session, session.encode()):
            return False
        self._redis.expire(key, HEARTBEAT_TTL_S)
        return True

    def close_session(self, account_id: int, session: str) -> None:
        """End the session now (its connection is gone): the ticks go back to REST."""
        key = self._session_key(account_id)
        if self._redis.get(key) in (session, session.encode()):
            self._redis.delete(key)

    def record(self, account_id: int, session: str, event: Mapping[str, Any]) -> str | None:
        """Merge one `executionReport` into its order's entry; the client id, if one was."""
        parsed = execution_report(event)
        if parsed is None:
            return None
        client_id, entry, placed = parsed
        self._merge(account_id, client_id, entry, session if placed else None)
        return client_id

    # --- The ticks -------------------------------------------------------------------

    def current(
        self, account_id: int, client_id: str, quote_asset: str
    ) -> tuple[OrderReport | None, str | None]:
        """The order's report when the live session has kept it current (else None), and
        the live session (to `rebase` with after asking REST)."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.get(self._session_key(account_id))
        pipe.hget(self._orders_key(account_id), client_id)
        live, raw = pipe.execute()
        live = live.decode() if isinstance(live, bytes) else live
        entry = Entry.load(raw) if raw is not None else None
        if live is None or entry is None or entry.session != live or not entry.complete():
            self.missed += 1
            return None, live
        self.served += 1
        return parsing.spot_report(entry.order, list(entry.fills.values()), quote_asset), live

    def rebase(self, account_id: int, report: OrderReport, session: str | None) -> None:
        """After a REST look-up: the entry is current in `session`, the one live before the
        look-up (not after it: what happened between would be missing)."""
        if session is None or not report.raw:
            return
        order = dict(report.raw)
        order.setdefault("updateTime", report.time * 1000)
        self._merge(account_id, report.client_order_id.value, Entry(order, {}), session)

    # --- Both --------------------------------------------------------------------------

    def _merge(
        self,
        account_id: int,
        client_id: str,
        entry: Entry,
        session: str | None,
    ) -> None:
        """Merge `entry` into the stored one, atomically (optimistic, retried on a race).

        The result belongs to `session` when given, else to the stored entry's session.
        """
        key = self._orders_key(account_id)

        def merge(pipe: Any) -> None:
            stored = pipe.hget(key, client_id)
            old = Entry.load(stored) if stored is not None else None
            mine = Entry(entry.order, entry.fills, session)
            # An event to an entry of an older session keeps that session (so stays stale):
            # what the gap held is unknown.
            new = mine if old is None else old.merged(mine)
            pipe.multi()
            pipe.hset(key, client_id, new.dump())
            pipe.expire(key, ENTRY_TTL_S)

        self._redis.transaction(merge, key)

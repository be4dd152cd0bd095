"""What an account's user data stream said of our orders, kept in Redis for every tick.

The stream's owner (`user_stream.py`, one process per account and market) writes each
order event here, shaped as the REST order with its trades (`user_events`): spot
`executionReport`; USDⓈ-M `ALGO_UPDATE` for the exits (algo orders) and
`ORDER_TRADE_UPDATE` for the MARKET order a fired one places. A tick asking for an order
(`BinanceExchange.find_order`) reads it here instead of asking Binance, when the stream has
kept it current. Nothing is booked here: the tick books the report it gets, whichever way
it came, by the one recording path (trades are keyed by client order id, so a fill
reported twice books once).

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

import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

import redis

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.user_events import (
    Entry,
    execution_report,
    futures_event,
    is_over,
    order_key,
)
from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.orders import ClientOrderId, OrderReport
from tradewind.domain.types import PositionType

log = logging.getLogger(__name__)

HEARTBEAT_TTL_S = 10  # a session not refreshed for this long is over
ENTRY_TTL_S = 7 * 86_400  # an account's orders fall out a week after its last event
KEEP_FINAL_MS = 86_400_000  # an order over for a day is dropped (REST tells, if ever asked)
_RESTING_ALGO = frozenset({"NEW", "TRIGGERING", "TRIGGERED"})


class OrderUpdates:
    """The stream's view of each account's orders on one market, in Redis (see the module)."""

    def __init__(
        self, client: redis.Redis, names: Names, market: PositionType = PositionType.SPOT
    ) -> None:
        self._redis = client
        self._names = names
        self.market = market
        self._read = execution_report if market is PositionType.SPOT else futures_event
        self.served = 0  # look-ups answered from the stream, for tests and benchmarks
        self.missed = 0  # look-ups left to REST

    def _session_key(self, account_id: int) -> str:
        return self._names.key("userstream", account_id, self.market.value, "session")

    def _orders_key(self, account_id: int) -> str:
        return self._names.key("userstream", account_id, self.market.value, "orders")

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
        """Merge one order event into its order's entry; where it is kept, if it was one."""
        parsed = self._read(event)
        if parsed is None:
            return None
        client_id, entry, placed = parsed
        self._merge(account_id, client_id, entry, session if placed else None)
        return client_id

    def prune(self, account_id: int, now_ms: int, keep_ms: int = KEEP_FINAL_MS) -> int:
        """Drop the entries of orders over (filled, cancelled…) for `keep_ms`; how many.

        The account's record would otherwise grow with every order it ever placed. A tick
        that asks for a dropped order later asks REST, as for any order not in the record.
        """
        key = self._orders_key(account_id)
        over = [
            field
            for field, raw in self._redis.hscan_iter(key, count=500)
            if is_over(Entry.load(raw).order, now_ms - keep_ms)
        ]
        for start in range(0, len(over), 500):
            self._redis.hdel(key, *over[start : start + 500])
        return len(over)

    # --- The ticks -------------------------------------------------------------------

    def current(
        self, account_id: int, client_id: str, quote_asset: str
    ) -> tuple[OrderReport | None, str | None]:
        """The order's report when the live session has kept it current (else None), and
        the live session (to `rebase` with after asking REST).

        On USDⓈ-M, `client_id` names an algo order; once fired, its MARKET order's entry
        (kept by Binance's id) must be current and whole too.
        """
        pipe = self._redis.pipeline(transaction=True)
        pipe.get(self._session_key(account_id))
        pipe.hget(self._orders_key(account_id), client_id)
        live, raw = pipe.execute()
        live = live.decode() if isinstance(live, bytes) else live
        entry = Entry.load(raw) if raw is not None else None
        report = None
        if live is not None and entry is not None and entry.session == live:
            if self.market is PositionType.SPOT:
                report = self._spot(entry, quote_asset)
            else:
                report = self._algo(account_id, live, entry, quote_asset)
        if report is None:
            self.missed += 1
        else:
            self.served += 1
        return report, live

    def _spot(self, entry: Entry, quote_asset: str) -> OrderReport | None:
        if not entry.complete():
            return None
        return parsing.spot_report(entry.order, list(entry.fills.values()), quote_asset)

    def _algo(
        self, account_id: int, live: str, algo: Entry, quote_asset: str
    ) -> OrderReport | None:
        status = str(algo.order.get("algoStatus"))
        actual = str(algo.order.get("actualOrderId") or "")
        if not actual:
            return parsing.resting_algo_report(algo.order, quote_asset)
        raw = self._redis.hget(self._orders_key(account_id), order_key(actual))
        fired = Entry.load(raw) if raw is not None else None
        if fired is None or fired.session != live or not fired.complete():
            # Fired, its MARKET order not told whole (yet): as REST would say while it works.
            return (
                parsing.resting_algo_report(algo.order, quote_asset)
                if (status in _RESTING_ALGO)
                else None
            )
        quote = sum(
            (Decimal(f["price"]) * Decimal(f["qty"]) for f in fired.fills.values()), Decimal(0)
        )
        order = fired.order | {"cumQuote": str(quote)}
        report = parsing.futures_report(
            order, list(fired.fills.values()), quote_asset,
            client_order_id=ClientOrderId(str(algo.order["clientAlgoId"])),
        )  # fmt: skip
        return replace(report, purpose=parsing.algo_purpose(algo.order))

    def rebase(self, account_id: int, report: OrderReport, session: str | None) -> None:
        """After a REST look-up: the entry is current in `session`, the one live before the
        look-up (not after it: what happened between would be missing)."""
        if session is None or not report.raw:
            return
        if self.market is PositionType.FUTURES and "algoStatus" not in report.raw:
            return  # a fired algo order's MARKET order: final, booked, never asked again
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

"""The user data streams' order events, shaped as the REST answers the adapter reads.

Each event becomes an `Entry`: the order as `GET /api/v3/order` (spot), `GET /fapi/v1/order`
(a USDⓈ-M order) or `GET /fapi/v1/algoOrder` (a USDⓈ-M algo order) would show it, with the
trades that carry its fees, so `parsing` reads it exactly as it reads REST. Entries merge:
the later state wins (a final status over a resting one, more filled over less), trades
are kept by trade id (one told twice counts once).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

_FINAL = frozenset({"FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH", "REJECTED", "FINISHED"})
_UNDERWAY = frozenset({"PARTIALLY_FILLED", "TRIGGERED"})


def order_key(order_id: object) -> str:
    """Where a USDⓈ-M order is kept by Binance's id (a fired algo order's MARKET order)."""
    return f"#{order_id}"


def _rank(order: Mapping[str, Any]) -> tuple[int, Decimal, int]:
    """Order a REST-shaped order's states: later status, more filled, later update wins."""
    status = str(order.get("status") or order.get("algoStatus") or "")
    step = 2 if status in _FINAL else 1 if status in _UNDERWAY else 0
    executed = Decimal(str(order.get("executedQty") or "0"))
    return step, executed, int(order.get("updateTime") or 0)


def is_over(order: Mapping[str, Any], before_ms: int) -> bool:
    """Tell whether an order ended (a final status) before `before_ms`."""
    return _rank(order)[0] == 2 and int(order.get("updateTime") or 0) < before_ms


@dataclass(slots=True)
class Entry:
    """One order as the stream (or REST) last described it, and the session that saw it whole."""

    order: dict[str, Any]  # shaped as the REST answer
    fills: dict[str, dict[str, str]] = field(default_factory=dict)  # by trade id
    session: str | None = None

    def complete(self) -> bool:
        """Tell whether every trade of the order is here (so its fee is whole)."""
        executed = Decimal(str(self.order.get("executedQty") or "0"))
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


Told = tuple[str, Entry, bool]  # where it is kept, the entry, whether it was just placed


def _fill(trade: object, price: object, qty: object, fee: object, asset: object) -> dict[str, str]:
    return {
        "price": str(price), "qty": str(qty), "commission": str(fee),
        "commissionAsset": str(asset or ""), "tradeId": str(trade),
    }  # fmt: skip


def execution_report(event: Mapping[str, Any]) -> Told | None:
    """A spot `executionReport`, kept by client id; None for any other event.

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
        fills[str(event["t"])] = _fill(event["t"], event["L"], event["l"], event["n"], event["N"])
    return client_id, Entry(order, fills), event.get("x") == "NEW"


def futures_event(event: Mapping[str, Any]) -> Told | None:
    """A USDⓈ-M `ALGO_UPDATE` (kept by client algo id) or `ORDER_TRADE_UPDATE` (kept by
    Binance's order id: a fired algo order's MARKET order); None for any other event."""
    kind, body = event.get("e"), event.get("o")
    if not isinstance(body, Mapping):
        return None
    updated = int(event.get("T") or event.get("E") or 0)
    if kind == "ALGO_UPDATE":
        order: dict[str, Any] = {
            "algoId": body["aid"], "clientAlgoId": body["caid"], "orderType": body["o"],
            "symbol": body["s"], "side": body["S"], "quantity": body["q"],
            "algoStatus": body["X"], "actualOrderId": str(body.get("ai") or ""),
            "executedQty": body.get("aq") or "0", "updateTime": updated, "createTime": updated,
        }  # fmt: skip
        return str(body["caid"]), Entry(order), body["X"] == "NEW"
    if kind != "ORDER_TRADE_UPDATE":
        return None
    order = {
        "orderId": body["i"], "clientOrderId": body["c"], "symbol": body["s"],
        "side": body["S"], "status": body["X"], "origQty": body["q"], "executedQty": body["z"],
        "avgPrice": body["ap"], "origType": body.get("ot") or body["o"],
        "updateTime": int(body.get("T") or updated),
    }  # fmt: skip
    fills: dict[str, dict[str, str]] = {}
    if body.get("x") == "TRADE":
        fills[str(body["t"])] = _fill(body["t"], body["L"], body["l"], body["n"], body["N"])
    return order_key(body["i"]), Entry(order, fills), body.get("x") == "NEW"

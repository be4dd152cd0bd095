"""The test controls under `/_tradewind`: accounts, faults, streams, stats, the market's
clock. JSON, no signature.

Never part of Binance: answered only to loopback clients, whatever address the server
listens on. Bad input gets HTTP 400 `{"error": "<field>: <rule>"}`.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.state import Account
from tradewind.domain.types import PositionSide
from tradewind.testkit.binance_server import render
from tradewind.testkit.binance_server.context import AccountExtras, ApiAccount
from tradewind.testkit.binance_server.faults import Fault

if TYPE_CHECKING:
    from tradewind.testkit.binance_server.server import BinanceServer

PREFIX = "/_tradewind"
Answer = tuple[int, object]


def is_loopback(address: str) -> bool:
    """Tell whether an IP address is a loopback one (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def handle(server: BinanceServer, method: str, path: str, body: str, client_ip: str) -> Answer:
    """Answer a request to a /_tradewind path."""
    if not is_loopback(client_ip):
        return 403, {"error": "the test controls answer loopback clients only"}
    route = path[len(PREFIX) :].strip("/")
    try:
        doc = json.loads(body) if body.strip() else {}
        if not isinstance(doc, dict):
            raise ValueError("the body must be a JSON object")
        return _dispatch(server, method, route, doc)
    except ValueError as e:  # json.JSONDecodeError is one too
        return 400, {"error": str(e)}


def _dispatch(server: BinanceServer, method: str, route: str, doc: dict[str, object]) -> Answer:
    if (method, route) == ("POST", "accounts"):
        account_id = server.add_account(
            _text(doc, "api_key"),
            _text(doc, "api_secret"),
            spot=_balances(doc, "spot"),
            futures=_balances(doc, "futures"),
            futures_enabled=_flag(doc, "futures_enabled"),
            transfer_enabled=_flag(doc, "transfer_enabled"),
        )
        return 200, {"account_id": account_id}
    if method == "GET" and route.startswith("accounts/"):
        state = server.account_state(route.removeprefix("accounts/"))
        return (200, state) if state is not None else (404, {"error": "no such api_key"})
    if route == "faults":
        if method == "POST":
            server.add_fault(Fault.from_json(doc))
        elif method == "DELETE":
            server.clear_faults()
        elif method != "GET":
            return 405, {"error": f"{method} {PREFIX}/faults: use GET, POST or DELETE"}
        return 200, {"faults": server.faults(), "skew_ms": server.skew_ms}
    if route == "clock":
        if method == "POST":
            server.set_market_time(_whole(doc, "time"))
        elif method != "GET":
            return 405, {"error": f"{method} {PREFIX}/clock: use GET or POST"}
        return 200, {"time": server.market_time()}
    if (method, route) == ("GET", "stats"):
        return 200, server.stats()
    if (method, route) == ("POST", "streams/drop"):  # a network fault on every WebSocket
        server.drop_stream_connections()
        return 200, {"dropped": True}
    if (method, route) == ("POST", "streams/expire-listen-keys"):
        server.expire_listen_keys()
        return 200, {"expired": True}
    return 404, {"error": f"unknown control {method} {PREFIX}/{route}"}


def _text(doc: Mapping[str, object], name: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name}: a non-empty string is required")
    return value


def _whole(doc: Mapping[str, object], name: str) -> int:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: a whole number is required")
    return value


def _flag(doc: Mapping[str, object], name: str) -> bool:
    value = doc.get(name, True)
    if not isinstance(value, bool):
        raise ValueError(f"{name}: must be true or false")
    return value


def _balances(doc: Mapping[str, object], name: str) -> dict[str, Decimal] | None:
    value = doc.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{name}: an object of asset to amount is required")
    balances = {}
    for asset, amount in value.items():
        if isinstance(amount, bool) or not isinstance(amount, str | int):
            raise ValueError(f"{name}.{asset}: give the amount as a decimal string")
        try:
            number = Decimal(amount)
        except InvalidOperation:
            raise ValueError(f"{name}.{asset}: {amount!r} is not a number") from None
        if not number.is_finite() or number < 0:
            raise ValueError(f"{name}.{asset}: must be a finite amount >= 0")
        balances[str(asset).upper()] = number
    return balances


def account_document(
    api: ApiAccount, _desk: Desk, held: Account, extras: AccountExtras
) -> dict[str, object]:
    """Return what `GET /_tradewind/accounts/<api_key>` shows of an account."""
    orders = [
        {
            "market": o.position_type.value,
            "symbol": o.symbol,
            "orderId": o.order_id,
            "clientOrderId": o.client_order_id,
            "side": o.side.value,
            "purpose": o.purpose.value if o.purpose else None,
            "status": o.status.value,
            "origQty": render.plain(o.quantity),
            "executedQty": render.plain(o.executed_qty),
            "avgPrice": render.plain(o.price),
            "quoteQty": render.plain(o.quote_qty),
            "commission": render.plain(o.fee),
            "commissionAsset": o.commission_asset,
            "realizedPnl": render.plain(o.realized_pnl),
            "reduceOnly": o.reduce_only,
            "liquidation": o.liquidation,
            "orderListId": o.group_id if o.group_id is not None else -1,
            "tradeId": o.trade_id,
            "time": render.ms(o.created_at),
            "updateTime": render.ms(o.updated_at),
        }
        for _, o in sorted(held.orders.items())
    ]
    positions = [
        {
            "symbol": q.symbol,
            "side": q.side.value,
            "positionAmt": render.plain(q.quantity if q.side is PositionSide.LONG else -q.quantity),
            "entryPrice": render.plain(q.entry_price),
            "margin": render.plain(q.margin),
            "isolated": q.isolated,
            "leverage": held.leverage.get(q.symbol, 1),
        }
        for _, q in sorted(held.positions.items())
    ]
    return {
        "account_id": held.account_id,
        "futures_enabled": api.futures_enabled,
        "transfer_enabled": api.transfer_enabled,
        "spot": {
            a: {"free": render.plain(b.free), "locked": render.plain(b.locked)}
            for a, b in sorted(held.spot.items())
        },
        "futures": {
            a: {"wallet": render.plain(v), "available": render.plain(held.available(a))}
            for a, v in sorted(held.futures.items())
        },
        "leverage": dict(sorted(held.leverage.items())),
        "isolated": dict(sorted(held.isolated.items())),
        "positions": positions,
        "orders": orders,
        "algo_orders": [
            {"algoId": a.algo_id, "clientAlgoId": a.client_algo_id, "orderId": a.order_id}
            for _, a in sorted(extras.algos.items())
        ],
    }

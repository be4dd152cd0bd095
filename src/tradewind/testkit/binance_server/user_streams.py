"""User data streams: the listenKey REST calls and the events of an account's changes.

Spot: POST / PUT / DELETE /api/v3/userDataStream; USDⓈ-M: POST / PUT / DELETE
/fapi/v1/listenKey (an API key, no signature). An `AccountWatch` looks at the account each
time it is polled (the venue catching up with its clock first, so stops that fired are
seen) and turns what changed into Binance's events: spot `executionReport` and
`outboundAccountPosition`, USDⓈ-M `ORDER_TRADE_UPDATE` and `ACCOUNT_UPDATE`. A futures algo
order shows as `ALGO_UPDATE` (placed, triggered, finished, cancelled) and, once it fires, as
the MARKET order it places (`ORDER_TRADE_UPDATE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.state import Account, SimOrder
from tradewind.domain.orders import OrderStatus
from tradewind.domain.types import PositionSide, PositionType
from tradewind.testkit.binance_server import errors, render
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import (
    ROUTES,
    AccountExtras,
    ApiAccount,
    Call,
    Reply,
    ServerState,
)
from tradewind.testkit.binance_server.limits import Market

SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES
_PATHS = {"spot": "/api/v3/userDataStream", "futures": "/fapi/v1/listenKey"}
_EXECUTION = {
    OrderStatus.NEW: "NEW",
    OrderStatus.FILLED: "TRADE",
    OrderStatus.PARTIALLY_FILLED: "TRADE",
    OrderStatus.CANCELED: "CANCELED",
    OrderStatus.EXPIRED: "EXPIRED",
}


def _market_of(call: Call) -> str:
    return "futures" if call.path.startswith("/fapi/") else "spot"


def _create(call: Call) -> Reply:
    market = _market_of(call)
    key = call.state.listen_keys.create(
        call.signer.api_key, call.signer.account_id, market, call.state.wall_ms()
    )
    return Reply({"listenKey": key})


def _keepalive(call: Call) -> Reply:
    market = _market_of(call)
    key = p.required(call.params, "listenKey") if market == "spot" else _only_key(call)
    if not call.state.listen_keys.keepalive(
        key, call.signer.account_id, market, call.state.wall_ms()
    ):
        raise errors.BinanceError(400, -1125, "This listenKey does not exist.")
    return Reply({} if market == "spot" else {"listenKey": key})


def _close(call: Call) -> Reply:
    market = _market_of(call)
    key = p.required(call.params, "listenKey") if market == "spot" else _only_key(call)
    if not call.state.listen_keys.close(key, call.signer.account_id, market):
        raise errors.BinanceError(400, -1125, "This listenKey does not exist.")
    return Reply({})


def _only_key(call: Call) -> str:
    """USDⓈ-M keeps one key per account: the calls name none, the account's is meant."""
    key = p.optional(call.params, "listenKey")
    if key is not None:
        return key
    return call.state.listen_keys.create(
        call.signer.api_key, call.signer.account_id, "futures", call.state.wall_ms()
    )


for _method, _handler in (("POST", _create), ("PUT", _keepalive), ("DELETE", _close)):
    ROUTES.add(_method, _PATHS["spot"], Market.SPOT, 2, keyed=True)(_handler)
    ROUTES.add(_method, _PATHS["futures"], Market.FUTURES, 1, keyed=True)(_handler)


@dataclass(frozen=True, slots=True)
class _Seen:
    status: OrderStatus
    executed: Decimal


@dataclass(slots=True)
class AccountWatch:
    """What a user data stream last told of an account; `poll` returns what changed since."""

    state: ServerState
    account: ApiAccount
    market: PositionType
    _orders: dict[int, _Seen] | None = None
    _algos: dict[int, tuple[object, object]] = field(default_factory=dict)  # status, filled
    _wallet: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    _positions: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

    def poll(self) -> list[dict[str, object]]:
        """Return the events of the account's changes since the last poll (none the first time)."""
        return self.state.act(self.account, self._look)

    def _look(
        self, _desk: Desk, held: Account, now: int, extras: AccountExtras
    ) -> list[dict[str, object]]:
        orders = {
            o.order_id: o
            for o in held.orders.values()
            if o.position_type is self.market
            and not (self.market is FUTURES and render.algo_only(o))
        }
        wallet, positions = self._balances(held)
        first = self._orders is None
        seen = self._orders or {}
        events: list[dict[str, object]] = []
        if not first:
            for order in sorted(orders.values(), key=lambda o: o.order_id):
                before = seen.get(order.order_id)
                if before is not None and before == _Seen(order.status, order.executed_qty):
                    continue
                if before is None and order.status is not OrderStatus.NEW:
                    events.append(self._order_event(order, now, OrderStatus.NEW))
                events.append(self._order_event(order, now, order.status))
            if wallet != self._wallet or positions != self._positions:
                events.append(self._account_event(now, wallet, positions))
        if self.market is FUTURES:
            events += self._algo_events(held, extras, now, first)
        self._orders = {i: _Seen(o.status, o.executed_qty) for i, o in orders.items()}
        self._wallet, self._positions = wallet, positions
        return events

    def _algo_events(
        self, held: Account, extras: AccountExtras, now: int, first: bool
    ) -> list[dict[str, object]]:
        """`ALGO_UPDATE` for each algo order placed or changed since the last poll."""
        events: list[dict[str, object]] = []
        for algo_id, algo in sorted(extras.algos.items()):
            order = held.orders.get(algo.order_id)
            if order is None:
                continue
            doc = render.algo_order(algo, order)
            seen = (doc["algoStatus"], doc["executedQty"])
            if not first and self._algos.get(algo_id) != seen:
                events.append({
                    "e": "ALGO_UPDATE", "T": doc["updateTime"], "E": render.ms(now),
                    "o": {
                        "caid": doc["clientAlgoId"], "aid": algo_id, "at": "CONDITIONAL",
                        "o": doc["orderType"], "s": doc["symbol"], "S": doc["side"],
                        "ps": "BOTH", "f": doc["timeInForce"], "q": doc["quantity"],
                        "X": doc["algoStatus"], "ai": doc["actualOrderId"],
                        "ap": doc["avgPrice"], "aq": doc["executedQty"], "act": "0",
                        "tp": doc["triggerPrice"], "p": doc["price"], "V": "NONE",
                        "wt": doc["workingType"], "pm": "NONE", "cp": doc["closePosition"],
                        "pP": False, "R": doc["reduceOnly"], "tt": doc["triggerTime"],
                        "gtd": 0,
                    },
                })  # fmt: skip
            self._algos[algo_id] = seen
        return events

    def _balances(
        self, held: Account
    ) -> tuple[dict[str, tuple[Decimal, Decimal]], dict[str, tuple[Decimal, Decimal]]]:
        if self.market is SPOT:
            return {a: (b.free, b.locked) for a, b in held.spot.items()}, {}
        wallet = {a: (v, v) for a, v in held.futures.items()}
        positions = {
            s: ((1 if q.side is PositionSide.LONG else -1) * q.quantity, q.entry_price)
            for s, q in held.positions.items()
        }
        return wallet, positions

    def _order_event(self, order: SimOrder, now: int, status: OrderStatus) -> dict[str, object]:
        filled = status is OrderStatus.FILLED
        if self.market is SPOT:
            text = render.spot_text
            return {
                "e": "executionReport", "E": render.ms(now), "s": order.symbol,
                "c": order.client_order_id, "S": order.side.value, "o": render.spot_type(order),
                "f": render.time_in_force(order), "q": text(order.quantity),
                "p": text(order.limit_price) if order.limit_price is not None else render.ZERO8,
                "P": text(order.stop_price) if order.stop_price is not None else render.ZERO8,
                "F": render.ZERO8, "g": order.group_id if order.group_id is not None else -1,
                "C": "", "x": _EXECUTION.get(status, status.value), "X": status.value,
                "r": "NONE", "i": order.order_id,
                "l": text(order.executed_qty if filled else Decimal(0)),
                "z": text(order.executed_qty if filled else Decimal(0)),
                "L": text(order.price if filled else Decimal(0)),
                "n": text(order.fee if filled else Decimal(0)),
                "N": order.commission_asset if filled else None,
                "T": render.ms(order.updated_at), "t": order.trade_id if filled else -1,
                "I": 0, "w": status is OrderStatus.NEW and not render.waiting(order),
                "m": filled and order.maker, "M": False,
                "O": render.ms(order.created_at),
                "Z": text(order.quote_qty if filled else Decimal(0)),
                "Y": text(order.quote_qty if filled else Decimal(0)),
                "Q": render.ZERO8, "W": render.ms(order.created_at), "V": "NONE",
            }  # fmt: skip
        body = render.futures_order(order, ack=not filled)
        return {
            "e": "ORDER_TRADE_UPDATE", "E": render.ms(now), "T": render.ms(order.updated_at),
            "o": {
                "s": order.symbol, "c": order.client_order_id, "S": order.side.value,
                "o": body["type"], "f": body["timeInForce"], "q": body["origQty"],
                "p": body["price"], "ap": body["avgPrice"], "sp": body["stopPrice"],
                "x": _EXECUTION.get(status, status.value),
                "X": status.value, "i": order.order_id, "l": body["executedQty"],
                "z": body["executedQty"], "L": body["avgPrice"],
                "N": order.commission_asset, "n": render.plain(order.fee) if filled else "0",
                "T": render.ms(order.updated_at), "t": order.trade_id if filled else 0,
                "b": "0", "a": "0", "m": filled and order.maker, "R": order.reduce_only,
                "wt": "CONTRACT_PRICE", "ot": body["origType"], "ps": "BOTH", "cp": False,
                "rp": render.plain(order.realized_pnl) if filled else "0", "pP": False,
                "si": 0, "ss": 0, "V": "NONE", "pm": "NONE", "gtd": 0,
            },
        }  # fmt: skip

    def _account_event(
        self,
        now: int,
        wallet: dict[str, tuple[Decimal, Decimal]],
        positions: dict[str, tuple[Decimal, Decimal]],
    ) -> dict[str, object]:
        if self.market is SPOT:
            changed = {a: v for a, v in wallet.items() if self._wallet.get(a) != v}
            return {
                "e": "outboundAccountPosition",
                "E": render.ms(now),
                "u": render.ms(now),
                "B": [
                    {"a": a, "f": render.spot_text(free), "l": render.spot_text(locked)}
                    for a, (free, locked) in sorted(changed.items())
                ],
            }
        moved = sorted(set(positions) | set(self._positions))
        return {
            "e": "ACCOUNT_UPDATE",
            "E": render.ms(now),
            "T": render.ms(now),
            "a": {
                "m": "ORDER",
                "B": [
                    {"a": a, "wb": render.plain(w), "cw": render.plain(w), "bc": "0"}
                    for a, (w, _) in sorted(wallet.items())
                ],
                "P": [
                    {
                        "s": s,
                        "pa": render.plain(positions.get(s, (Decimal(0), Decimal(0)))[0]),
                        "ep": render.plain(positions.get(s, (Decimal(0), Decimal(0)))[1]),
                        "cr": "0",
                        "up": "0",
                        "mt": "cross",
                        "iw": "0",
                        "ps": "BOTH",
                    }
                    for s in moved
                ],
            },
        }

"""An exchange, market data, clock and bot lock in memory, behind the tick's ports.

`FakeExchange` fills MARKET orders at its `price`, rests protective orders and fills
them when `move_price` crosses their level (one filling cancels the others), and keeps
every order it was given by client order id, as a venue does. `fail(call, error)` makes
the next such call raise; with `after=True` the call takes effect first and only its
answer is lost (the order was placed, the bot does not know).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import count

import numpy as np

from tradewind.domain.candles import Candles
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import (
    ClientOrderId,
    ExchangePosition,
    OpenOrder,
    OrderPurpose,
    OrderReport,
    OrderRequest,
    OrderStatus,
    ProtectionRequest,
)
from tradewind.domain.types import PositionSide, PositionType, Side
from tradewind.ports import AccountAccess, Clock, Exchange

ZERO = Decimal(0)


class FakeClock:
    def __init__(self, now: int) -> None:
        self.at = now

    def now(self) -> int:
        return self.at


class FakeBotLock:
    """One tick per bot, in one process."""

    def __init__(self) -> None:
        self.held: set[int] = set()

    def try_acquire(self, bot_id: int) -> bool:
        if bot_id in self.held:
            return False
        self.held.add(bot_id)
        return True

    def release(self, bot_id: int) -> None:
        self.held.discard(bot_id)

    def try_acquire_many(self, bot_ids: Iterable[int]) -> list[int]:
        return [bot_id for bot_id in bot_ids if self.try_acquire(bot_id)]

    def release_many(self, bot_ids: Iterable[int]) -> None:
        for bot_id in bot_ids:
            self.release(bot_id)


@dataclass(frozen=True, slots=True)
class _Fault:
    error: Exception
    after: bool


def _nothing() -> None:
    pass


class _Faults:
    """Faults queued per call; `on_call` runs first at every call (e.g. a check that no
    transaction is open across it)."""

    def __init__(self) -> None:
        self._queued: dict[str, list[_Fault]] = {}
        self.on_call: Callable[[], None] = _nothing

    def add(self, call: str, error: Exception, after: bool) -> None:
        self._queued.setdefault(call, []).append(_Fault(error, after))

    def take(self, call: str) -> _Fault | None:
        """Return the fault of this call, raising it at once unless it comes `after`."""
        self.on_call()
        queued = self._queued.get(call)
        fault = queued.pop(0) if queued else None
        if fault is not None and not fault.after:
            raise fault.error
        return fault


class FakeMarketData:
    """Closed candles of one series per symbol; `fail` makes the next read raise.

    `on_call` runs at every read: a market is read over the network.
    """

    def __init__(self, candles: dict[str, Candles], on_call: Callable[[], None] = _nothing) -> None:
        self._candles = candles
        self._faults = _Faults()
        self._faults.on_call = on_call

    def fail(self, error: Exception) -> None:
        self._faults.add("closed_candles", error, after=False)

    def closed_candles(
        self, symbol: str, timeframe: str, position_type: PositionType, until: int, limit: int
    ) -> Candles:
        self._faults.take("closed_candles")
        c = self._candles[symbol]
        closed = int(np.searchsorted(c.open_time + c.interval_seconds, until, side="right"))
        part = slice(max(0, closed - limit), closed)
        return Candles(c.open_time[part], c.open[part], c.high[part], c.low[part],
                       c.close[part], c.volume[part])  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Resting:
    request: ProtectionRequest
    purpose: OrderPurpose
    level: Decimal | None  # None: a trailing stop, which this venue never triggers


class FakeExchange:
    """One account on a venue that always has liquidity at `price`.

    `on_call` runs at every call of the port: it stands for the network.
    """

    def __init__(
        self,
        clock: Clock,
        rules: Iterable[MarketRules],
        balances: dict[tuple[PositionType, str], Decimal],
        price: Decimal,
        fee_rate: Decimal = Decimal("0.001"),
        on_call: Callable[[], None] = _nothing,
    ) -> None:
        self.price = price
        self.balances = dict(balances)
        self.orders: dict[str, OrderReport] = {}  # every order it holds, by client id
        self._clock = clock
        self._rules = {(r.symbol, r.position_type): r for r in rules}
        self._fee_rate = fee_rate
        self._resting: dict[str, _Resting] = {}
        self._faults = _Faults()
        self._faults.on_call = on_call
        self._ids = count(1001)

    def fail(self, call: str, error: Exception, *, after: bool = False) -> None:
        """Make the next `call` (a method name) raise `error`, after taking effect if told."""
        self._faults.add(call, error, after)

    def move_price(self, price: Decimal) -> None:
        """Trade at `price`: resting exits whose level it reaches fill there."""
        self.price = price
        for client_id, resting in list(self._resting.items()):
            if client_id in self._resting and _reached(resting, price):
                assert resting.level is not None
                self._fill_resting(client_id, resting, resting.level)

    # --- the Exchange port -----------------------------------------------------------------

    def market_rules(self, symbol: str, position_type: PositionType) -> MarketRules:
        self._faults.take("market_rules")
        return self._rules[(symbol, position_type)]

    def free_balance(self, asset: str, position_type: PositionType) -> Decimal:
        self._faults.take("free_balance")
        return self.balances.get((position_type, asset), ZERO)

    def spot_holding(self, asset: str) -> Decimal:
        self._faults.take("spot_holding")
        return self.balances.get((PositionType.SPOT, asset), ZERO)  # nothing is locked here

    def place_market_order(self, order: OrderRequest) -> OrderReport:
        fault = self._faults.take("place_market_order")
        rules = self._rules[(order.symbol, order.position_type)]
        report = self._fill(
            order.client_order_id.value, rules, order.side, order.quantity, self.price, None
        )
        if fault is not None:
            raise fault.error
        return report

    def find_order(
        self, symbol: str, position_type: PositionType, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        self._faults.take("find_order")
        return self.orders.get(client_order_id.value)

    def protect_position(self, request: ProtectionRequest) -> list[OrderReport]:
        fault = self._faults.take("protect_position")
        levels = {
            OrderPurpose.STOP_LOSS: request.stop_loss,
            OrderPurpose.TAKE_PROFIT: request.take_profit,
            OrderPurpose.TRAILING_STOP: None,
        }
        reports = []
        for purpose, client_id in request.ids.items():
            self._resting[client_id.value] = _Resting(request, purpose, levels[purpose])
            report = OrderReport(
                client_order_id=client_id, exchange_order_id=self._next_id(),
                symbol=request.symbol, side=request.position_side.exit_side,
                status=OrderStatus.NEW, requested_qty=request.quantity, executed_qty=ZERO,
                avg_price=ZERO, quote_qty=ZERO, fee=ZERO, fee_asset="", time=self._clock.now(),
                purpose=purpose,
            )  # fmt: skip
            self.orders[client_id.value] = report
            reports.append(report)
        if fault is not None:
            raise fault.error
        return reports

    def open_orders(self, symbol: str, position_type: PositionType) -> list[OpenOrder]:
        self._faults.take("open_orders")
        return [
            OpenOrder(client_id, resting.request.symbol, position_type,
                      resting.request.position_side.exit_side,
                      resting.request.quantity, resting.purpose.value.upper(), reduce_only=True)
            for client_id, resting in self._resting.items()
            if (resting.request.symbol, resting.request.position_type) == (symbol, position_type)
        ]  # fmt: skip

    def cancel_order(
        self, symbol: str, position_type: PositionType, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        self._faults.take("cancel_order")
        key = client_order_id.value
        report = self.orders.get(key)
        if report is None or report.status is not OrderStatus.NEW:
            return report
        self._resting.pop(key, None)
        canceled = replace(report, status=OrderStatus.CANCELED, time=self._clock.now())
        self.orders[key] = canceled
        return canceled

    def set_leverage(self, symbol: str, leverage: int) -> int:
        self._faults.take("set_leverage")
        cap = self._rules[(symbol, PositionType.FUTURES)].max_leverage
        return min(leverage, cap) if cap else leverage

    def set_isolated_margin(self, symbol: str) -> None:
        self._faults.take("set_isolated_margin")

    def transfer_spot_to_futures(self, asset: str, amount: Decimal) -> str:
        self._faults.take("transfer_spot_to_futures")
        self._add(PositionType.SPOT, asset, -amount)
        self._add(PositionType.FUTURES, asset, amount)
        return self._next_id()

    def position(self, symbol: str) -> ExchangePosition | None:
        self._faults.take("position")
        return None

    # --- the venue -------------------------------------------------------------------------

    def _fill(
        self,
        client_id: str,
        rules: MarketRules,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        purpose: OrderPurpose | None,
    ) -> OrderReport:
        notional = quantity * price
        fee = notional * self._fee_rate
        sign = 1 if side is Side.BUY else -1
        self._add(rules.position_type, rules.quote_asset, -sign * notional - fee)
        if rules.position_type is PositionType.SPOT:
            self._add(PositionType.SPOT, rules.base_asset, sign * quantity)
        report = OrderReport(
            client_order_id=ClientOrderId(client_id), exchange_order_id=self._next_id(),
            symbol=rules.symbol,
            side=side, status=OrderStatus.FILLED, requested_qty=quantity, executed_qty=quantity,
            avg_price=price, quote_qty=notional, fee=fee, fee_asset=rules.quote_asset,
            time=self._clock.now(), purpose=purpose,
        )  # fmt: skip
        self.orders[client_id] = report
        return report

    def _fill_resting(self, client_id: str, resting: _Resting, price: Decimal) -> None:
        request = resting.request
        rules = self._rules[(request.symbol, request.position_type)]
        side = request.position_side.exit_side
        self._fill(client_id, rules, side, request.quantity, price, resting.purpose)
        for other_id, other in list(self._resting.items()):
            if other.request is request:  # one filling cancels the others
                del self._resting[other_id]
                if other_id != client_id:
                    self.orders[other_id] = replace(
                        self.orders[other_id], status=OrderStatus.CANCELED, time=self._clock.now()
                    )

    def _add(self, position_type: PositionType, asset: str, amount: Decimal) -> None:
        key = (position_type, asset)
        self.balances[key] = self.balances.get(key, ZERO) + amount

    def _next_id(self) -> str:
        return str(next(self._ids))


def _reached(resting: _Resting, price: Decimal) -> bool:
    if resting.level is None:
        return False
    long = resting.request.position_side is PositionSide.LONG
    if resting.purpose is OrderPurpose.TAKE_PROFIT:
        return price >= resting.level if long else price <= resting.level
    return price <= resting.level if long else price >= resting.level


class FakeExchanges:
    """The exchange of each account (ports.ExchangeProvider)."""

    def __init__(self, exchanges: dict[int, Exchange]) -> None:
        self._exchanges = exchanges

    def for_account(self, access: AccountAccess) -> Exchange:
        return self._exchanges[access.account_id]

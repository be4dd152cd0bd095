"""One account's view of `OrderUpdates`, for its `BinanceExchange`: never in the way.

Redis going away must not stop a tick: any Redis failure is logged once and the look-up
goes to REST, as it would with no stream at all.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import redis

from tradewind.adapters.exchange.binance.order_updates import OrderUpdates
from tradewind.domain.orders import ClientOrderId, OrderReport
from tradewind.domain.types import PositionType

log = logging.getLogger(__name__)


@dataclass
class StreamedOrders:
    """The streams' record of one account's orders, per market (see `order_updates`)."""

    updates: Mapping[PositionType, OrderUpdates]
    account_id: int
    _failing: bool = False

    def current(
        self, market: PositionType, client_order_id: ClientOrderId, quote_asset: str
    ) -> tuple[OrderReport | None, str | None]:
        """The order as the live stream kept it (None: ask REST), and the live session."""
        try:
            found = self.updates[market].current(
                self.account_id, client_order_id.value, quote_asset
            )
        except redis.RedisError as e:
            self._failed(e)
            return None, None
        self._failing = False
        return found

    def rebase(self, market: PositionType, report: OrderReport, session: str | None) -> None:
        """Tell the record what REST just said, asked while `session` was live."""
        try:
            self.updates[market].rebase(self.account_id, report, session)
        except redis.RedisError as e:
            self._failed(e)

    def _failed(self, e: Exception) -> None:
        if not self._failing:
            log.warning("user stream records unavailable, asking REST: %s", e)
        self._failing = True

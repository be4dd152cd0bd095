"""Symbol rules from Binance's exchangeInfo, fetched once an hour per market for everyone.

exchangeInfo is heavy (weight 20 on spot) and the same for every account, so one cache per
process serves every bot; an unknown symbol is refetched at most once a minute before it
is called unknown (a listing may be new).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tradewind.adapters.exchange.binance.errors import BinanceConfiguration
from tradewind.adapters.exchange.binance.exchange_info import parse_symbol_rules
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType

REFRESH_SECONDS = 3_600
UNKNOWN_RETRY_SECONDS = 60


@dataclass(slots=True)
class _Market:
    rules: dict[str, MarketRules] = field(default_factory=dict)
    fetched_at: float = float("-inf")


def weight_limit(doc: object) -> int | None:
    """Return the REQUEST_WEIGHT limit per minute that exchangeInfo's `rateLimits` states."""
    if not isinstance(doc, dict):
        return None
    for entry in doc.get("rateLimits") or []:
        if (
            isinstance(entry, dict)
            and entry.get("rateLimitType") == "REQUEST_WEIGHT"
            and entry.get("interval") == "MINUTE"
            and entry.get("intervalNum") == 1
            and isinstance(entry.get("limit"), int)
        ):
            return int(entry["limit"])
    return None


class RulesCache:
    """The parsed exchangeInfo of the spot and futures markets of one Binance host.

    The weight limit it states (`rateLimits`) goes to `on_weight_limit`, so the governor
    paces against the limit Binance enforces today, not a number written down here.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        on_weight_limit: Callable[[PositionType, int], None] = lambda _market, _limit: None,
    ) -> None:
        self._clock = clock
        self._on_weight_limit = on_weight_limit
        self._guard = threading.Lock()
        self._markets: dict[PositionType, _Market] = {}

    def rules(
        self, transport: BinanceTransport, symbol: str, position_type: PositionType
    ) -> MarketRules:
        """Return the rules of `symbol`; refresh the market when old or the symbol is new."""
        with self._guard:
            market = self._markets.setdefault(position_type, _Market())
            age = self._clock() - market.fetched_at
            known = market.rules.get(symbol)
        if known is not None and age < REFRESH_SECONDS:
            return known
        if known is None and age < UNKNOWN_RETRY_SECONDS:
            raise BinanceConfiguration(
                f"Binance -1121: Invalid symbol. ({symbol} on {position_type})"
            )
        fresh = self._fetch(transport, position_type)
        with self._guard:
            market.rules, market.fetched_at = fresh, self._clock()
        if symbol not in fresh:
            raise BinanceConfiguration(
                f"Binance -1121: Invalid symbol. ({symbol} on {position_type})"
            )
        return fresh[symbol]

    def _fetch(
        self, transport: BinanceTransport, position_type: PositionType
    ) -> dict[str, MarketRules]:
        if position_type is PositionType.SPOT:
            doc = transport.call(Api.SPOT_PUBLIC, "GET", "exchangeInfo", weight=20)
        else:
            doc = transport.call(Api.FUTURES_PUBLIC, "GET", "exchangeInfo", weight=1)
        limit = weight_limit(doc)
        if limit is not None and limit > 0:
            self._on_weight_limit(position_type, limit)
        rules: dict[str, MarketRules] = {}
        for raw in doc.get("symbols", []):
            if raw.get("status", "TRADING") != "TRADING":
                continue
            try:
                parsed = parse_symbol_rules(raw, position_type)
            except ConfigurationError:
                continue  # a symbol whose filters we cannot read is one we do not trade
            rules[parsed.symbol] = parsed
        return rules

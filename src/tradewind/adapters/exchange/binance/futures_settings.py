"""A Binance account's USDⓈ-M settings: leverage (clamped to the bracket) and margin mode.

Binance keeps a symbol's leverage and margin type until they are changed, so what this
process set last is remembered and asking for it again costs no request.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from tradewind.adapters.exchange.binance import parsing
from tradewind.adapters.exchange.binance.errors import BinanceNoChange, BinanceRejected
from tradewind.adapters.exchange.binance.transport import Api, BinanceTransport


class BinanceFuturesSettings:
    """Sets one account's futures leverage and margin mode; knows each symbol's bracket."""

    def __init__(self, transport: BinanceTransport) -> None:
        self._transport = transport
        self._guard = threading.Lock()
        self._isolated: set[str] = set()
        self._max_leverage: dict[str, int] = {}
        self._leverage: dict[str, tuple[int, int]] = {}  # symbol -> (asked, applied)

    def set_leverage(self, symbol: str, leverage: int) -> int:
        """Set the leverage (clamped to the bracket maximum once if refused); return it."""
        with self._guard:
            if self._leverage.get(symbol, (None, 0))[0] == leverage:
                return self._leverage[symbol][1]
        try:
            raw = self._post_leverage(symbol, leverage)
        except BinanceRejected as e:
            if e.code != -4028:
                raise
            with self._guard:
                self._max_leverage.pop(symbol, None)  # the bracket may have changed
            top = self.max_leverage(symbol)
            if top >= leverage:
                raise
            raw = self._post_leverage(symbol, top)
        applied = int(parsing.text(raw, "leverage"))
        with self._guard:
            self._leverage[symbol] = (leverage, applied)
        return applied

    def set_isolated_margin(self, symbol: str) -> None:
        """Put the symbol in isolated margin (once per process; "already" is success)."""
        with self._guard:
            if symbol in self._isolated:
                return
        params = {"symbol": symbol, "marginType": "ISOLATED"}
        with contextlib.suppress(BinanceNoChange):  # -4046: it was isolated already
            self._transport.call(Api.FUTURES_PRIVATE, "POST", "marginType", params)
        with self._guard:
            self._isolated.add(symbol)

    def max_leverage(self, symbol: str) -> int:
        """Return the most a new position of `symbol` may use: its first bracket's leverage."""
        with self._guard:
            known = self._max_leverage.get(symbol)
        if known is not None:
            return known
        brackets = self._transport.call(
            Api.FUTURES_PRIVATE, "GET", "leverageBracket", {"symbol": symbol}
        )
        top = parsing.max_leverage(brackets, symbol)
        with self._guard:
            self._max_leverage[symbol] = top
        return top

    def _post_leverage(self, symbol: str, leverage: int) -> Any:
        params = {"symbol": symbol, "leverage": leverage}
        return self._transport.call(Api.FUTURES_PRIVATE, "POST", "leverage", params)

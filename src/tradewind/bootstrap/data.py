"""The candle store and the venue's candle history, for `tradewind data` and the research
tools: the store's directory from settings, Binance's public API at its usual hosts or at
`TRADEWIND_BINANCE_URL` (the project's Binance-compatible server in tests).

No database here: the backtest reads the store too and stays quick to start.
"""

from __future__ import annotations

from dataclasses import replace

from tradewind.adapters.marketdata.candle_store import ParquetCandleStore
from tradewind.bootstrap.settings import load_settings
from tradewind.ports.research import CandleHistory, CandleStore
from tradewind.settings import Settings


def candle_store(settings: Settings | None = None) -> CandleStore:
    """Return the local candle store."""
    return ParquetCandleStore((settings or load_settings()).candle_store_dir)


def candle_history(settings: Settings | None = None) -> CandleHistory:
    """Return Binance's public candle history (no API key)."""
    from tradewind.adapters.exchange.binance.provider import BinanceExchanges
    from tradewind.bootstrap.venues import binance_options

    options = binance_options(settings or load_settings())
    # A download paces itself on the weight Binance reports in every answer's header (per
    # IP, so bots on this machine count too); it needs no Redis to share a budget.
    return BinanceExchanges(replace(options, redis_url="")).history()

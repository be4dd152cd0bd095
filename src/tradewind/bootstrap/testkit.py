"""The Binance-compatible test server, as `tradewind exchange serve` and the demo's
`--exchange binance-local` start it: Binance's REST paths over a simulated venue.

The server's package is imported here and nowhere else in the composition root: when it
moves, this import block is the one line to change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.ports import Clock
from tradewind.testkit.binance_server import BinanceServer, Limits
from tradewind.testkit.binance_server.controls import is_loopback

__all__ = ["BinanceServer", "binance_test_server", "is_loopback", "scaled_limits"]


def binance_test_server(
    market: ReplayMarketData,
    clock: Clock,
    *,
    seed: int,
    host: str = "127.0.0.1",
    port: int = 0,
    symbols: Sequence[str] | None = None,
    limits: Limits | None = None,
    allow_remote: bool = False,
    market_end: int | None = None,
    set_time: Callable[[int], None] | None = None,
) -> BinanceServer:
    """Return the server (not started) over a simulated venue moving on `market` and `clock`.

    `market_end`: where the data ends (no order fills from then on, as in a replay);
    `set_time`: how `POST /_tradewind/clock` moves `clock` (else it refuses).
    """
    venue = SimulatedVenue(market, clock, seed=seed, market_end=market_end)
    return BinanceServer(
        venue, host=host, port=port, limits=limits, seed=seed, symbols=symbols,
        allow_remote=allow_remote, set_time=set_time,
    )  # fmt: skip


def scaled_limits(factor: int) -> Limits:
    """Return Binance's request and order limits per time window, `factor` times as high:
    a replay that runs `factor` times as fast as real time meets the limits live does."""
    usual = Limits()
    return Limits(
        spot_weight_per_minute=usual.spot_weight_per_minute * factor,
        futures_weight_per_minute=usual.futures_weight_per_minute * factor,
        spot_orders_per_10s=usual.spot_orders_per_10s * factor,
        futures_orders_per_10s=usual.futures_orders_per_10s * factor,
        futures_orders_per_minute=usual.futures_orders_per_minute * factor,
    )

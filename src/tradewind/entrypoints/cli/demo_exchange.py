"""Where the demo's orders go: the in-process paper venue, or Binance's live path locally.

`--exchange binance-local` starts the project's Binance-compatible server on a loopback
port, over a simulated venue on the same market and clock, and gives the demo account an
API key there. The bots then trade through the real Binance adapter (ccxt, signing,
retries, the weight governor) and decide on klines fetched from that server: the live
path end to end, without any Binance account.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from pydantic import SecretStr

from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.exchange.binance.provider import BinanceExchanges
from tradewind.adapters.exchange.binance_server.limits import Limits
from tradewind.adapters.exchange.binance_server.server import BinanceServer
from tradewind.adapters.exchange.simulated import SimulatedExchange, SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.bootstrap.runtime import PaperRuntime, binance_options, paper_runtime
from tradewind.entrypoints.cli.demo_board import Wallets
from tradewind.services.demo import DEMO_BALANCE, DemoSetup
from tradewind.settings import Settings

EXCHANGES = ("paper", "binance-local")
DAY_IN_MINUTES = 1_440


@dataclass(frozen=True, slots=True)
class DemoExchange:
    """The demo's runtime, and how to read the demo account's wallets."""

    runtime: PaperRuntime
    account_kind: str  # which bots the scheduler runs: "paper" or "binance"
    binance_keys: tuple[SecretStr, SecretStr] | None
    venue_account: Callable[[DemoSetup], SimulatedExchange]
    where: str  # says where the orders go, for the introduction


@contextmanager
def demo_exchange(
    exchange: str, settings: Settings, market: ReplayMarketData, clock: ReplayClock, seed: int
) -> Iterator[DemoExchange]:
    """Wire the demo for `exchange`; stop what it started (the local server) at the end."""
    if exchange == "paper":
        runtime = paper_runtime(settings, market, clock, seed=seed)
        try:
            yield DemoExchange(
                runtime, "paper", None, lambda setup: _paper_account(runtime, setup),
                "the simulated exchange, in process",
            )  # fmt: skip
        finally:
            runtime.close()
        return
    # The server answers from a thread of this process: hand the interpreter lock over
    # sooner than every 5 ms, or each request waits for it twice.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    # A replayed day passes in about a minute, so the limits per (real) minute are scaled by
    # the same factor: the bots meet the limits a day of live trading would.
    fast = Limits(
        spot_weight_per_minute=6_000 * DAY_IN_MINUTES,
        futures_weight_per_minute=2_400 * DAY_IN_MINUTES,
        spot_orders_per_10s=100 * DAY_IN_MINUTES,
        futures_orders_per_10s=300 * DAY_IN_MINUTES,
        futures_orders_per_minute=1_200 * DAY_IN_MINUTES,
    )
    venue = SimulatedVenue(market, clock, seed=seed)
    server = BinanceServer(venue, limits=fast, seed=seed).start()
    try:
        key, secret = secrets.token_hex(16), secrets.token_hex(32)
        account_id = server.add_account(key, secret, spot={"USDT": DEMO_BALANCE})
        options = replace(binance_options(settings, seed=seed), url=server.base_url)
        binance = BinanceExchanges(options)
        runtime = paper_runtime(
            settings, market, clock, seed=seed, bot_market_data=binance.market_data(),
            binance=binance,
        )  # fmt: skip
        try:
            yield DemoExchange(
                runtime, "binance", (SecretStr(key), SecretStr(secret)),
                lambda _setup: server.venue.account(account_id),
                f"the Binance adapter over HTTP to a local Binance-compatible server at "
                f"{server.base_url}",
            )  # fmt: skip
        finally:
            runtime.close()
    finally:
        server.stop()
        sys.setswitchinterval(switch)


def _paper_account(runtime: PaperRuntime, setup: DemoSetup) -> SimulatedExchange:
    with runtime.manage_uow() as uow:
        access = uow.accounts.access(setup.account.id)
    assert access is not None
    exchange = runtime.deps.exchanges.for_account(access)
    assert isinstance(exchange, SimulatedExchange)
    return exchange


def wallet_reader(exchange: SimulatedExchange, setup: DemoSetup) -> Callable[[], Wallets]:
    """Return a reader of the demo account's wallets, as the venue holds them."""
    bases = sorted({bot.config.symbol.removesuffix("USDT") for bot in setup.bots})

    def read() -> Wallets:
        usdt = exchange.spot_balance("USDT")
        held = {}
        for asset in bases:
            balance = exchange.spot_balance(asset)
            held[asset] = balance.free + balance.locked
        return Wallets(usdt.free + usdt.locked, exchange.futures_wallet("USDT"), held)

    return read

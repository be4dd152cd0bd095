"""The demo's wiring: where its orders go — the in-process paper venue, or Binance's live
path locally — and the symbol rules its bots are created under.

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
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.exchange.simulated import SimulatedExchange
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.bootstrap.runtime import PaperRuntime, paper_runtime
from tradewind.bootstrap.testkit import binance_test_server, scaled_limits
from tradewind.bootstrap.venues import binance_options
from tradewind.domain.accounts import ExchangeKind
from tradewind.services.demo import DEMO_BALANCE, DemoSetup
from tradewind.services.manage import RulesLookup
from tradewind.settings import Settings

EXCHANGES = (ExchangeKind.PAPER.value, "binance-local")
DAY_IN_MINUTES = 1_440


@dataclass(frozen=True, slots=True)
class DemoExchange:
    """The demo's runtime, and how to read the demo account's wallets."""

    runtime: PaperRuntime
    account_kind: ExchangeKind  # which bots the scheduler runs
    binance_keys: tuple[SecretStr, SecretStr] | None
    venue_account: Callable[[DemoSetup], SimulatedExchange]
    where: str  # says where the orders go, for the introduction
    rules_for: RulesLookup = rules_for  # the built-in rules, as `bot create` checks them


@contextmanager
def demo_exchange(
    exchange: str, settings: Settings, market: ReplayMarketData, clock: ReplayClock, seed: int
) -> Iterator[DemoExchange]:
    """Wire the demo for `exchange`; stop what it started (the local server) at the end."""
    if exchange == ExchangeKind.PAPER:
        runtime = paper_runtime(settings, market, clock, seed=seed)
        try:
            yield DemoExchange(
                runtime, ExchangeKind.PAPER, None, lambda setup: _paper_account(runtime, setup),
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
    fast = scaled_limits(DAY_IN_MINUTES)
    server = binance_test_server(market, clock, seed=seed, limits=fast).start()
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
                runtime, ExchangeKind.BINANCE, (SecretStr(key), SecretStr(secret)),
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

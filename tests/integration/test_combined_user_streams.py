"""Several accounts' user data streams on one combined connection, against the local server
and the real Redis: an account whose listen key Binance refuses holds no other account's
stream, one taken later is subscribed on the live connection, and one let go is
unsubscribed with its session ended."""

from __future__ import annotations

import threading
from decimal import Decimal

import redis

from tests.integration.test_binance_user_stream import market
from tests.market_script import MINUTE, T0, minute_candles
from tests.waiting import SAFETY_S, wait_until
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.exchange.binance.combined_user_streams import CombinedUserStreams
from tradewind.adapters.exchange.binance.order_updates import OrderUpdates
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.binance.transport import BinanceTransport
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.accounts import ExchangeKind
from tradewind.ports import AccountAccess
from tradewind.testkit.binance_server.server import BinanceServer


def test_a_refused_account_holds_no_other_and_one_let_go_is_unsubscribed(
    redis_client: redis.Redis, names: Names
) -> None:
    candles = ReplayMarketData({"BTCUSDT": minute_candles(market())})
    server = BinanceServer(SimulatedVenue(candles, ReplayClock(T0 + MINUTE), seed=5), seed=5)
    server.start()
    stop = threading.Event()
    thread: threading.Thread | None = None
    try:
        binance = BinanceExchanges(BinanceOptions(url=server.base_url, timeout=5.0, seed=1))

        def transport(account_id: int, key: str) -> BinanceTransport:
            access = AccountAccess(account_id, ExchangeKind.BINANCE, key, "secret")
            return binance.for_account(access).transport

        for key in ("good1", "good2"):
            server.add_account(key, "secret", spot={"USDT": Decimal(1_000)})
        together = CombinedUserStreams(server.stream_url, OrderUpdates(redis_client, names))
        together.add(1, transport(1, "good1"))
        together.add(2, transport(2, "not-a-key"))  # Binance refuses its listen key
        thread = threading.Thread(target=together.run, args=(stop,), daemon=True)
        thread.start()
        wait_until(lambda: together.sessions().get(1) is not None, "account 1's session")
        assert 2 not in together.sessions()
        together.add(3, transport(3, "good2"))
        wait_until(lambda: together.sessions().get(3) is not None, "account 3's session")
        together.remove(1)
        wait_until(lambda: 1 not in together.sessions(), "account 1 let go")
        assert together.stats.connects == 1
        session_key = names.key("userstream", 1, "spot", "session")
        assert redis_client.get(session_key) is None  # its session ended with it
    finally:
        stop.set()
        if thread is not None:
            thread.join(SAFETY_S)
        server.stop()

"""Binance for every account of a process: one transport per key, one budget per host.

Accounts choose the live API or the testnet; `TRADEWIND_BINANCE_URL` points every account
at one server instead (the project's Binance-compatible server, for tests and the demo).
The weight governors are shared by every account using a host, and through Redis by every
process when `TRADEWIND_REDIS_URL` is set, since Binance counts weight per IP.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass, field

from tradewind.adapters.exchange.binance.exchange import BinanceExchange
from tradewind.adapters.exchange.binance.governor import (
    LocalWeightStore,
    WeightGovernor,
    WeightStore,
)
from tradewind.adapters.exchange.binance.history import BinanceCandleHistory
from tradewind.adapters.exchange.binance.market_data import BinanceMarketData
from tradewind.adapters.exchange.binance.order_updates import OrderUpdates
from tradewind.adapters.exchange.binance.orders import Lookups
from tradewind.adapters.exchange.binance.price_feed import BinanceMinuteFeed
from tradewind.adapters.exchange.binance.retry import RetryPolicy
from tradewind.adapters.exchange.binance.rules import RulesCache
from tradewind.adapters.exchange.binance.streamed import StreamedOrders
from tradewind.adapters.exchange.binance.transport import BinanceHosts, BinanceTransport, Governors
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType
from tradewind.ports import AccountAccess

SPOT_WEIGHT_LIMIT = 6_000  # REQUEST_WEIGHT per minute (exchangeInfo.rateLimits)
FUTURES_WEIGHT_LIMIT = 2_400


@dataclass(frozen=True, slots=True)
class BinanceOptions:
    """How the adapter talks to Binance (from settings)."""

    url: str = ""  # one base URL for every API, overriding live and testnet hosts
    timeout: float = 10.0
    recv_window_ms: int = 5_000
    retry_max_attempts: int = 5
    retry_backoff_base: float = 0.5
    redis_url: str = ""
    # Where `tradewind user-streams` keeps what the accounts' streams said of their orders
    # (read when `redis_url` is set; with no stream running, every look-up is REST).
    namespace: str = "tradewind"
    lookup_retries: int = 4  # lookups before "Binance has no such order" is believed
    lookup_delay: float = 0.25  # seconds; the n-th lookup waits n times this
    seed: int | None = None  # jitter's random source; None: from the OS

    def hosts(self, testnet: bool) -> BinanceHosts:
        if self.url:
            return BinanceHosts.single(self.url)
        return BinanceHosts.testnet() if testnet else BinanceHosts()


@dataclass(slots=True)
class _Host:
    governors: Governors
    rules: RulesCache = field(init=False)

    def __post_init__(self) -> None:
        self.rules = RulesCache(on_weight_limit=self._weight_limit)

    def _weight_limit(self, market: PositionType, limit: int) -> None:
        governor = self.governors.spot if market is PositionType.SPOT else self.governors.futures
        governor.limit = limit


class BinanceExchanges:
    """The `ExchangeProvider` for Binance accounts (and the market data beside them)."""

    def __init__(self, options: BinanceOptions) -> None:
        self.options = options
        self._guard = threading.Lock()
        self._hosts: dict[BinanceHosts, _Host] = {}
        self._accounts: dict[tuple[int, str], BinanceExchange] = {}
        self._rng = random.Random(options.seed)
        self._updates: dict[PositionType, OrderUpdates] | None = None

    def for_account(self, access: AccountAccess) -> BinanceExchange:
        """Return the exchange of a Binance account (a new one when its keys changed)."""
        if access.kind is not ExchangeKind.BINANCE:
            raise ConfigurationError(f"account {access.account_id} is not a Binance account")
        if not access.api_key or not access.api_secret:
            raise ConfigurationError(f"account {access.account_id}: no API key and secret stored")
        digest = hashlib.sha256(
            f"{access.api_key}\0{access.api_secret}\0{access.testnet}".encode()
        ).hexdigest()
        key = (access.account_id, digest)
        with self._guard:
            known = self._accounts.get(key)
            if known is not None:
                return known
        hosts = self.options.hosts(access.testnet)
        host = self._host(hosts)
        transport = self._transport(hosts, host, access.api_key, access.api_secret)
        lookups = Lookups(self.options.lookup_retries, self.options.lookup_delay)
        exchange = BinanceExchange(transport, host.rules, lookups, self._streamed(access))
        with self._guard:
            for old in [k for k in self._accounts if k[0] == access.account_id]:
                del self._accounts[old]  # rotated keys: the old transport goes
            return self._accounts.setdefault(key, exchange)

    def market_data(self, testnet: bool = False) -> BinanceMarketData:
        """Return klines-backed market data on the live (or test) hosts; no key needed."""
        hosts = self.options.hosts(testnet)
        return BinanceMarketData(self._transport(hosts, self._host(hosts), "", ""))

    def history(self, testnet: bool = False) -> BinanceCandleHistory:
        """Return the public candle history and symbol rules, for downloads; no key needed."""
        hosts = self.options.hosts(testnet)
        host = self._host(hosts)
        return BinanceCandleHistory(self._transport(hosts, host, "", ""), host.rules)

    def minute_feed(self, testnet: bool = False) -> BinanceMinuteFeed:
        """Return the 1m-klines price feed a paper venue moves on (the real market)."""
        hosts = self.options.hosts(testnet)
        return BinanceMinuteFeed(self._transport(hosts, self._host(hosts), "", ""))

    def _host(self, hosts: BinanceHosts) -> _Host:
        with self._guard:
            known = self._hosts.get(hosts)
            if known is None:
                known = self._hosts[hosts] = _Host(
                    Governors(
                        WeightGovernor(SPOT_WEIGHT_LIMIT, self._store(hosts.spot)),
                        WeightGovernor(FUTURES_WEIGHT_LIMIT, self._store(hosts.futures + "#f")),
                    )
                )
            return known

    def _streamed(self, access: AccountAccess) -> StreamedOrders | None:
        if not self.options.redis_url:
            return None
        with self._guard:
            if self._updates is None:
                from tradewind.adapters.shared.redis_store import Names, connect_redis

                client = connect_redis(self.options.redis_url)
                names = Names(self.options.namespace)
                self._updates = {m: OrderUpdates(client, names, m) for m in PositionType}
            return StreamedOrders(self._updates, access.account_id)

    def _store(self, host: str) -> WeightStore:
        if not self.options.redis_url:
            return LocalWeightStore()
        from tradewind.adapters.exchange.binance.redis_weights import RedisWeightStore

        return RedisWeightStore.from_url(self.options.redis_url, host)

    def _transport(
        self, hosts: BinanceHosts, host: _Host, api_key: str, api_secret: str
    ) -> BinanceTransport:
        policy = RetryPolicy(
            max_attempts=self.options.retry_max_attempts,
            backoff_base=self.options.retry_backoff_base,
            rng=random.Random(self._rng.random()),
        )
        return BinanceTransport(
            hosts, api_key, api_secret, host.governors, policy,
            timeout=self.options.timeout, recv_window_ms=self.options.recv_window_ms,
        )  # fmt: skip

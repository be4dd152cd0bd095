"""Paper accounts that every worker process trades on alike: simulated venues kept in Redis.

One `SimulatedVenue` per paper account, its snapshot (the venue's own JSON state) in the
hash `namespace:paper:account:ID` with a version number. Each exchange call is atomic,
as on a real exchange, by optimistic concurrency instead of a lock:

1. read the account's version, and its snapshot only when this process does not hold
   that version already (one round trip either way); calls on one account wait for each
   other within a process, calls on different accounts do not;
2. carry out the call on the venue (it first catches up with the candles closed since);
3. if the call changed the account, write the new snapshot only if the version is still
   the one read (one round trip); if another process wrote first, drop the work and do
   the call again on the newer state. A call that changed nothing writes nothing.

Redis unreachable before the call: TemporaryExchangeError (nothing done). While writing
an order's outcome: OutcomeUnknown, as for a venue that took the order and went silent;
the next tick asks by client order id, as for any exchange.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import redis

from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.exchange.simulated import (
    PriceFeed,
    SimulatedExchange,
    SimulatedVenue,
    VenueUnknownSymbol,
)
from tradewind.adapters.exchange.simulated.book import RulesSource
from tradewind.adapters.shared.redis_store import Names
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.errors import ConfigurationError, OutcomeUnknown, TemporaryExchangeError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import (
    ClientOrderId,
    ExchangePosition,
    OpenOrder,
    OrderReport,
    OrderRequest,
    ProtectionRequest,
)
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports import AccountAccess, Clock, Exchange

T = TypeVar("T")
ATTEMPTS = 20  # writers racing on one account: each retry sees a newer state
CACHED_ACCOUNTS = 4_096

# KEYS[1] the account hash; ARGV[1] the version held here. Returns {version} when it is
# the one held (or there is none yet: "0"), else {version, snapshot}.
_READ = """
local version = redis.call('HGET', KEYS[1], 'version') or '0'
if version == ARGV[1] or version == '0' then return {version} end
return {version, redis.call('HGET', KEYS[1], 'snapshot')}
"""
# KEYS[1] the account hash; ARGV[1] the version read, ARGV[2] the new snapshot. Returns
# the new version, or 0 when another writer came first.
_WRITE = """
local version = redis.call('HGET', KEYS[1], 'version') or '0'
if version ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'snapshot', ARGV[2])
return redis.call('HINCRBY', KEYS[1], 'version', 1)
"""


@dataclass(slots=True)
class _Held:
    version: str
    venue: SimulatedVenue
    changes: list[str]  # snapshots the venue handed out since the last call began


class SharedPaperVenues:
    """The ExchangeProvider of paper accounts whose venues live in Redis (see the module)."""

    def __init__(
        self,
        client: redis.Redis,
        names: Names,
        prices: PriceFeed,
        clock: Clock,
        rules: RulesSource = rules_for,
    ) -> None:
        self._redis = client
        self._names = names
        self._prices = prices
        self._clock = clock
        self._rules = rules
        self._read = client.register_script(_READ)
        self._write = client.register_script(_WRITE)
        self._held: OrderedDict[int, _Held] = OrderedDict()
        self._guard = threading.Lock()  # over `_held`, `_locks` and `calls`
        self._locks: dict[int, threading.Lock] = {}  # one call at a time per account
        self.calls = 0  # exchange calls carried out, for the figures

    def for_account(self, access: AccountAccess) -> Exchange:
        if access.kind is not ExchangeKind.PAPER:
            raise ConfigurationError(
                f"account {access.account_id}: only paper accounts can trade in this version; "
                "Binance accounts need the live exchange adapter"
            )
        return SharedPaperAccount(self, access)

    def rules(self, symbol: str, position_type: PositionType) -> MarketRules:
        """Return the symbol's rules: the same for every account, no state to read."""
        try:
            return self._rules(symbol, position_type)
        except VenueUnknownSymbol:
            raise
        except ConfigurationError as e:
            raise VenueUnknownSymbol(symbol, str(e)) from e

    def run(self, access: AccountAccess, call: Callable[[SimulatedExchange], T]) -> T:
        """Carry out one call on the account's venue, atomically across processes."""
        key = self._names.key(ExchangeKind.PAPER, "account", access.account_id)
        with self._guard:
            self.calls += 1
            lock = self._locks.setdefault(access.account_id, threading.Lock())
        with lock:
            for _ in range(ATTEMPTS):
                held = self._current(key, access.account_id)
                held.changes.clear()
                exchange = held.venue.account(
                    access.account_id,
                    spot_balances=access.paper_balances.get(PositionType.SPOT),
                    futures_balances=access.paper_balances.get(PositionType.FUTURES),
                )
                failure: Exception | None = None
                result: Any = None
                try:
                    result = call(exchange)
                except Exception as e:  # an exchange answer (a rejection…): its state counts too
                    failure = e
                if self._saved(key, access.account_id, held):
                    if failure is not None:
                        raise failure
                    return result  # type: ignore[no-any-return]
        raise TemporaryExchangeError(
            f"paper account {access.account_id}: too many concurrent changes; try again"
        )

    def _current(self, key: str, account_id: int) -> _Held:
        with self._guard:
            held = self._held.get(account_id)
        try:
            answer = self._read(keys=[key], args=[held.version if held else ""])
        except redis.RedisError as e:
            raise TemporaryExchangeError(f"paper exchange unavailable: {e}") from e
        version = answer[0].decode()
        if held is not None and held.version == version:
            with self._guard:
                self._held[account_id] = held
                self._held.move_to_end(account_id)
            return held
        snapshot = answer[1].decode() if len(answer) > 1 else None
        changes: list[str] = []
        venue = SimulatedVenue(
            self._prices, self._clock, self._rules, seed=account_id, snapshot=snapshot,
            on_change=changes.append,
        )  # fmt: skip
        held = _Held(version, venue, changes)
        with self._guard:
            self._held[account_id] = held
            while len(self._held) > CACHED_ACCOUNTS:
                self._held.popitem(last=False)
        return held

    def _saved(self, key: str, account_id: int, held: _Held) -> bool:
        """Write the call's changes unless another process wrote first; False: do it again."""
        if not held.changes:
            return True
        try:
            version = int(self._write(keys=[key], args=[held.version, held.changes[-1]]))
        except redis.RedisError as e:
            self._forget(account_id)
            raise OutcomeUnknown(f"paper exchange unavailable while saving: {e}") from e
        if version == 0:
            self._forget(account_id)  # another process changed the account: start over
            return False
        held.version = str(version)
        return True

    def _forget(self, account_id: int) -> None:
        with self._guard:
            self._held.pop(account_id, None)


class SharedPaperAccount:
    """The Exchange of one paper account on `SharedPaperVenues`."""

    def __init__(self, venues: SharedPaperVenues, access: AccountAccess) -> None:
        self._venues = venues
        self._access = access

    def market_rules(self, symbol: Symbol, position_type: PositionType) -> MarketRules:
        return self._venues.rules(symbol, position_type)

    def free_balance(self, asset: str, position_type: PositionType) -> Decimal:
        return self._venues.run(self._access, lambda e: e.free_balance(asset, position_type))

    def spot_holding(self, asset: str) -> Decimal:
        return self._venues.run(self._access, lambda e: e.spot_holding(asset))

    def place_market_order(self, order: OrderRequest) -> OrderReport:
        return self._venues.run(self._access, lambda e: e.place_market_order(order))

    def find_order(
        self, symbol: Symbol, position_type: PositionType, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        return self._venues.run(
            self._access, lambda e: e.find_order(symbol, position_type, client_order_id)
        )

    def protect_position(self, request: ProtectionRequest) -> list[OrderReport]:
        return self._venues.run(self._access, lambda e: e.protect_position(request))

    def open_orders(self, symbol: Symbol, position_type: PositionType) -> list[OpenOrder]:
        return self._venues.run(self._access, lambda e: e.open_orders(symbol, position_type))

    def cancel_order(
        self, symbol: Symbol, position_type: PositionType, client_order_id: ClientOrderId
    ) -> OrderReport | None:
        return self._venues.run(
            self._access, lambda e: e.cancel_order(symbol, position_type, client_order_id)
        )

    def set_leverage(self, symbol: Symbol, leverage: int) -> int:
        return self._venues.run(self._access, lambda e: e.set_leverage(symbol, leverage))

    def set_isolated_margin(self, symbol: Symbol) -> None:
        self._venues.run(self._access, lambda e: e.set_isolated_margin(symbol))

    def transfer_spot_to_futures(self, asset: str, amount: Decimal) -> str:
        return self._venues.run(self._access, lambda e: e.transfer_spot_to_futures(asset, amount))

    def position(self, symbol: Symbol) -> ExchangePosition | None:
        return self._venues.run(self._access, lambda e: e.position(symbol))

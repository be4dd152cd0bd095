"""What the routes work with: API accounts, the server's state beside the venue, calls, replies.

A route is a function of a `Call` (the parsed, authenticated request) returning a `Reply`;
it reaches the venue through `ServerState.act`, which runs its action under the venue's
lock after the venue caught up with its clock, so what a route reads and writes of the
venue, and of the records the server keeps per account, is one consistent step.
"""

from __future__ import annotations

import random
import string
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.state import Account
from tradewind.domain.errors import ConfigurationError, ExchangeError
from tradewind.testkit.binance_server import errors
from tradewind.testkit.binance_server.faults import FaultPlan, OrderKey
from tradewind.testkit.binance_server.limits import Limits, Market, RateLimiter
from tradewind.testkit.binance_server.listen_keys import ListenKeys
from tradewind.testkit.binance_server.params import Params
from tradewind.testkit.binance_server.render import AlgoOrder

T = TypeVar("T")
_ID_CHARS = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class ApiAccount:
    """An API key of the server: its secret, its venue account and what it may do."""

    api_key: str
    api_secret: str = field(repr=False)
    account_id: int
    futures_enabled: bool = True
    transfer_enabled: bool = True


@dataclass(slots=True)
class AccountExtras:
    """What the server keeps of an account beside the venue; changed only inside `act`."""

    algos: dict[int, AlgoOrder] = field(default_factory=dict)
    algo_ids: dict[str, int] = field(default_factory=dict)  # client algo id -> newest algo id
    list_ids: dict[int, str] = field(default_factory=dict)  # orderListId -> listClientOrderId
    # Transfers made through the server, oldest first, as GET /sapi/v1/asset/transfer lists them.
    transfers: list[dict[str, object]] = field(default_factory=list)
    quote_orders: dict[int, Decimal] = field(default_factory=dict)  # orderId -> quoteOrderQty


Action = Callable[[Desk, Account, int, AccountExtras], T]


class ServerState:
    """The venue, the limits and faults, the API accounts and the server's seeded ids."""

    def __init__(
        self,
        venue: SimulatedVenue,
        limits: Limits,
        faults: FaultPlan,
        symbols: Sequence[str],
        wall_ms: Callable[[], int],
        seed: int,
    ) -> None:
        self.venue = venue
        self.limits = limits
        self.limiter = RateLimiter(limits)
        self.faults = faults
        self.symbols = tuple(symbols)
        self.wall_ms = wall_ms
        # A stream of its own, so ids never repeat the venue's (seeded with the same number).
        self._rng = random.Random(f"tradewind-binance-server:{seed}")
        self._lock = threading.Lock()
        self._accounts: dict[str, ApiAccount] = {}
        self._extras: dict[int, AccountExtras] = {}
        self._algo_id = self._rng.randrange(1_000_000, 9_000_000)
        self.listen_keys = ListenKeys()

    def server_ms(self) -> int:
        """Return the server's clock in ms: the wall clock plus any injected skew."""
        return self.wall_ms() + self.faults.skew_ms

    def add_account(self, account: ApiAccount) -> None:
        """Register an API key (a key already there is refused)."""
        with self._lock:
            if account.api_key in self._accounts:
                raise ValueError(f"api_key {account.api_key[:4]}… is already registered")
            self._accounts[account.api_key] = account
            self._extras.setdefault(account.account_id, AccountExtras())

    def account(self, api_key: str) -> ApiAccount | None:
        """Return the account of an API key, if registered."""
        with self._lock:
            return self._accounts.get(api_key)

    def accounts(self) -> list[ApiAccount]:
        """Return every registered account."""
        with self._lock:
            return list(self._accounts.values())

    def next_account_id(self) -> int:
        """Return the lowest venue account id that neither an API key nor the venue uses."""
        with self._lock:
            candidate = 1
            while candidate in self._extras or self.venue.has_account(candidate):
                candidate += 1
            return candidate

    def key_of_account(self, account_id: int) -> str | None:
        """Return the API key reaching a venue account, if one does."""
        with self._lock:
            return next(
                (a.api_key for a in self._accounts.values() if a.account_id == account_id), None
            )

    def new_id(self, prefix: str = "") -> str:
        """Return a fresh id the way Binance makes client ids, from the seeded generator."""
        with self._lock:
            return prefix + "".join(self._rng.choice(_ID_CHARS) for _ in range(22 - len(prefix)))

    def next_algo_id(self) -> int:
        """Take the next algo order id."""
        with self._lock:
            self._algo_id += 1
            return self._algo_id

    def act(self, account: ApiAccount, action: Action[T]) -> T:
        """Run `action` on the account's venue state; venue errors become Binance's answers."""
        extras = self._extras[account.account_id]
        try:
            return self.venue.run(
                "binance_server",
                account.account_id,
                lambda desk, held, now: action(desk, held, now, extras),
            )
        except (ExchangeError, ConfigurationError) as e:
            raise errors.from_venue(e) from e


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated request as a route sees it."""

    method: str
    path: str
    params: Params
    account: ApiAccount | None
    state: ServerState

    @property
    def signer(self) -> ApiAccount:
        """Return the account of a signed call."""
        assert self.account is not None, "a signed route always has its account"
        return self.account


@dataclass(slots=True)
class Reply:
    """A route's answer, with the orders it placed or looked up (for the fault plan)."""

    body: object
    status: int = 200
    placed: list[OrderKey] = field(default_factory=list)
    looked_up: OrderKey | None = None
    filled: int = 0  # how many of the placed orders traded at once (spot's unfilled count)


Handler = Callable[[Call], Reply]
Weight = int | Callable[[Params], int]


@dataclass(frozen=True, slots=True)
class Route:
    """How the server treats one method and path."""

    handler: Handler
    market: Market
    weight: Weight
    signed: bool = False
    places_order: int = 0  # how many orders a call counts against the order limits
    needs_transfer: bool = False
    keyed: bool = False  # an API key without a signature (the listenKey calls)

    def weight_of(self, params: Params) -> int:
        """Return the request weight of a call with these parameters."""
        return self.weight(params) if callable(self.weight) else self.weight


class RouteTable:
    """The routes by (method, path); routes register themselves with `add`."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}

    def add(
        self,
        method: str,
        path: str,
        market: Market,
        weight: Weight,
        *,
        signed: bool = False,
        places_order: int = 0,
        needs_transfer: bool = False,
        keyed: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register the decorated handler for `method path`."""

        def register(handler: Handler) -> Handler:
            self.routes[(method, path)] = Route(
                handler, market, weight, signed, places_order, needs_transfer, keyed
            )
            return handler

        return register

    def find(self, method: str, path: str) -> Route | None:
        """Return the route of `method path`, if served."""
        return self.routes.get((method, path))


ROUTES = RouteTable()

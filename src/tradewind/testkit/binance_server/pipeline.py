"""One Binance request from its raw parts to what to send back, without touching a socket.

The steps, in Binance's order: route, request weight (429 / 418 before anything else),
the request's fault if one hits, authentication (API key, signature over the raw bytes,
timestamp window, permissions), order counts (-1015), the route's work on the venue, then
the faults that strike after the work. What the socket then does (answer, reset, hold)
is the HTTP handler's part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

# The route modules register their routes in ROUTES when imported.
from tradewind.testkit.binance_server import (  # noqa: F401
    errors,
    futures,
    futures_account,
    futures_algo,
    futures_data,
    signing,
    spot,
    spot_data,
    spot_orders,
    user_streams,
    wallet,
)
from tradewind.testkit.binance_server.context import (
    ROUTES,
    ApiAccount,
    Call,
    Route,
    ServerState,
)
from tradewind.testkit.binance_server.errors import BinanceError
from tradewind.testkit.binance_server.faults import Fault, FaultMode
from tradewind.testkit.binance_server.limits import (
    UID_WEIGHT_HEADER,
    WEIGHT_HEADER,
    Market,
)
from tradewind.testkit.binance_server.stats import Stats

_TIMEOUT = errors.BinanceError(
    408,
    -1007,
    "Timeout waiting for response from backend server. Send status unknown; execution status "
    "unknown.",
)


class SocketAction(StrEnum):
    """What the connection does with an outcome."""

    ANSWER = "answer"
    RESET = "reset"  # TCP RST: SO_LINGER 0, then close
    HOLD = "hold"  # no answer: wait for the client to give up, then close


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request as it came off the socket: raw query and body, headers, the client's IP."""

    method: str
    path: str
    query: str
    body: str
    headers: Mapping[str, str]
    client_ip: str


@dataclass(slots=True)
class Outcome:
    """What to send back: a status and JSON body with headers, or no answer at all."""

    status: int
    body: object
    headers: dict[str, str] = field(default_factory=dict)
    action: SocketAction = SocketAction.ANSWER
    hold_ms: int | None = None


def serve(
    state: ServerState, stats: Stats, sleep: Callable[[float], None], request: Incoming
) -> Outcome:
    """Carry out one request to a Binance path and return its outcome."""
    method, path = request.method, request.path
    stats.request(method, path)
    now = state.wall_ms()  # rate windows follow the wall clock, unskewed
    route = ROUTES.find(method, path)
    ip_market = Market.FUTURES if path.startswith("/fapi/") else Market.SPOT
    headers: dict[str, str] = {}
    if method == "GET" and request.body:
        # Binance reads a GET's parameters from the query string only: a body (a signature
        # in it too) is as good as not sent.
        request = replace(request, body="")
    if route is None:
        # Binance's web server answers a path it does not serve with its own HTML page,
        # not a JSON error: a client sees what it would see there.
        used = state.limiter.used_weight(request.client_ip, ip_market, now)
        return Outcome(404, errors.NOT_FOUND_PAGE, {WEIGHT_HEADER: str(used)})
    params: dict[str, str] = {}
    try:
        params = signing.parse_params(request.query, request.body)
        if route.market is Market.SAPI:
            used = state.limiter.used_weight(request.client_ip, Market.SPOT, now)
        else:
            used = state.limiter.charge(
                request.client_ip, route.market, route.weight_of(params), now
            )
        headers[WEIGHT_HEADER] = str(used)
    except BinanceError as e:
        headers.setdefault(
            WEIGHT_HEADER, str(state.limiter.used_weight(request.client_ip, ip_market, now))
        )
        return _failure(e, headers)
    fault = state.faults.pick(method, path, bool(route.places_order))
    if fault is not None and fault.mode is FaultMode.LATENCY:
        sleep(fault.ms / 1000)
        fault = None
    if fault is not None and not fault.is_after_work:
        return _before_work(fault, state, route, headers, now)
    outcome = _work(state, stats, route, request, params, headers, now)
    return outcome if fault is None else _after_work(fault, outcome)


def _work(
    state: ServerState,
    stats: Stats,
    route: Route,
    request: Incoming,
    params: dict[str, str],
    headers: dict[str, str],
    now: int,
) -> Outcome:
    try:
        if route.signed:
            account: ApiAccount | None = _authenticate(state, route, request, params)
        elif route.keyed:
            account = _key_holder(state, route, request)
        else:
            account = None
        if account is not None and route.market is Market.SAPI:
            used = state.limiter.charge(
                f"uid:{account.account_id}", Market.SAPI, route.weight_of(params), now
            )
            headers[UID_WEIGHT_HEADER] = str(used)
        if account is not None and route.places_order:
            headers.update(
                state.limiter.count_order(account.account_id, route.market, now, route.places_order)
            )
        reply = route.handler(Call(request.method, request.path, params, account, state))
        if account is not None and reply.filled and route.market is Market.SPOT:
            headers.update(
                state.limiter.uncount_filled(account.account_id, route.market, now, reply.filled)
            )
        for key in reply.placed:
            state.faults.order_placed(key)
            stats.order_accepted(key[1])
        if reply.looked_up is not None and state.faults.hides(reply.looked_up):
            raise errors.no_such_order()
    except BinanceError as e:
        return _failure(e, headers)
    return Outcome(reply.status, reply.body, headers)


def _authenticate(
    state: ServerState, route: Route, request: Incoming, params: dict[str, str]
) -> ApiAccount:
    api_key = request.headers.get("X-MBX-APIKEY")  # the handler upper-cases header names
    if not api_key:
        raise BinanceError(401, -2014, "API-key format invalid.")
    account = state.account(api_key)
    if account is None:
        raise errors.bad_api_key()
    _, signature = signing.signed_payload(request.query, request.body)
    if not signature:
        raise errors.mandatory("signature")
    if not signing.signature_matches(account.api_secret, request.query, request.body):
        raise errors.bad_signature()
    signing.check_timestamp(params, state.server_ms(), micros=route.market is not Market.FUTURES)
    if route.market is Market.FUTURES and not account.futures_enabled:
        raise errors.bad_api_key()
    if route.needs_transfer and not account.transfer_enabled:
        raise errors.bad_api_key()
    return account


def _key_holder(state: ServerState, route: Route, request: Incoming) -> ApiAccount:
    """The account of a call that needs an API key but no signature."""
    api_key = request.headers.get("X-MBX-APIKEY")
    if not api_key:
        raise BinanceError(401, -2014, "API-key format invalid.")
    account = state.account(api_key)
    if account is None or (route.market is Market.FUTURES and not account.futures_enabled):
        raise errors.bad_api_key()
    return account


def _failure(error: BinanceError, headers: dict[str, str]) -> Outcome:
    return Outcome(error.status, error.body(), {**headers, **error.headers})


def _before_work(
    fault: Fault, state: ServerState, route: Route, headers: dict[str, str], now: int
) -> Outcome:
    mode = fault.mode
    if mode is FaultMode.CONNECTION_RESET:
        return Outcome(0, None, headers, SocketAction.RESET)
    if mode is FaultMode.HTTP_500:
        return _failure(errors.internal(), headers)
    if mode is FaultMode.HTTP_503:
        return _failure(
            BinanceError(
                503, -1001, "Internal error; unable to process your request. Please try again."
            ),
            headers,
        )
    if mode is FaultMode.CODE_1021:
        return _failure(errors.outside_recv_window(), headers)
    window_end = (now // 60_000 + 1) * 60_000
    if mode is FaultMode.CODE_1003:
        limit = state.limits.weight_limit(route.market)
        error = BinanceError(
            429,
            -1003,
            f"Too much request weight used; current limit is {limit} request weight per "
            "1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
            {"Retry-After": _retry_after(fault, window_end - now)},
        )
        return _failure(error, headers)
    assert mode is FaultMode.CODE_1015, mode
    interval = (
        state.limits.order_intervals(route.market) or state.limits.order_intervals(Market.SPOT)
    )[0]
    error = BinanceError(
        429,
        -1015,
        f"Too many new orders; current limit is {interval.limit} orders per {interval.words}.",
        {"Retry-After": _retry_after(fault, interval.length_ms - now % interval.length_ms)},
    )
    return _failure(error, headers)


def _retry_after(fault: Fault, until_window_end_ms: int) -> str:
    """Return Retry-After in whole seconds: the fault's `ms` when set, else to the window end."""
    wait_ms = fault.ms if fault.ms > 0 else until_window_end_ms
    return str(max(1, -(-wait_ms // 1000)))


def _after_work(fault: Fault, done: Outcome) -> Outcome:
    mode = fault.mode
    if mode is FaultMode.TIMEOUT_AFTER_ACCEPT:
        return Outcome(0, None, done.headers, SocketAction.HOLD, fault.hold_ms)
    if mode is FaultMode.CONNECTION_RESET:
        return Outcome(0, None, done.headers, SocketAction.RESET)
    if mode is FaultMode.CODE_1007:
        return _failure(_TIMEOUT, done.headers)
    if mode is FaultMode.HTTP_500:
        return _failure(errors.internal(), done.headers)
    assert mode is FaultMode.HTTP_503, mode
    unknown = BinanceError(
        503, -1000, "Unknown error, please check your request or try again later."
    )
    return _failure(unknown, done.headers)

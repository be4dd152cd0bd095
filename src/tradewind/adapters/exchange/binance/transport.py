"""Signed and public Binance REST calls over ccxt, with the governor and the retry rule.

ccxt does the transport and the signing (HMAC-SHA256 over the query string, `timestamp`
from its clock offset, `X-MBX-APIKEY`). Everything else is ours: its raw endpoints are
called (the JSON comes back as Binance wrote it, decimals as strings, so nothing passes
through a float), every response's weight header feeds the governor, and every failure
becomes a typed error from the code table before ccxt's own message-based mapping runs.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tradewind.adapters.exchange.binance.errors import binance_error, network_error
from tradewind.adapters.exchange.binance.governor import WeightGovernor
from tradewind.adapters.exchange.binance.retry import RetryPolicy, call_with_retries

WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"


class Api(Enum):
    """A section of Binance's REST API: ccxt's name for it, its host and its path."""

    SPOT_PUBLIC = ("public", "spot", "/api/v3")
    SPOT_PRIVATE = ("private", "spot", "/api/v3")
    FUTURES_PUBLIC = ("fapiPublic", "futures", "/fapi/v1")
    FUTURES_PRIVATE = ("fapiPrivate", "futures", "/fapi/v1")
    FUTURES_PRIVATE_V2 = ("fapiPrivateV2", "futures", "/fapi/v2")
    WALLET = ("sapi", "spot", "/sapi/v1")

    def __init__(self, section: str, host: str, path: str) -> None:
        self.section = section
        self.host = host  # which weight budget the call counts against
        self.path = path


@dataclass(frozen=True, slots=True)
class BinanceHosts:
    """Where the spot (and wallet) and the USDⓈ-M futures APIs live."""

    spot: str = "https://api.binance.com"
    futures: str = "https://fapi.binance.com"

    @classmethod
    def testnet(cls) -> BinanceHosts:
        return cls("https://testnet.binance.vision", "https://demo-fapi.binance.com")

    @classmethod
    def single(cls, base: str) -> BinanceHosts:
        """Both APIs on one server (the project's Binance-compatible server)."""
        base = base.rstrip("/")
        return cls(base, base)

    def of(self, api: Api) -> str:
        return (self.spot if api.host == "spot" else self.futures).rstrip("/")


@dataclass(frozen=True, slots=True)
class Governors:
    """The weight governors of the spot and futures hosts (shared by every account)."""

    spot: WeightGovernor
    futures: WeightGovernor

    def of(self, api: Api) -> WeightGovernor:
        return self.spot if api.host == "spot" else self.futures


def _no_request_lines(record: logging.LogRecord) -> bool:
    return record.levelno > logging.DEBUG


def _client_class() -> type[Any]:
    # Imported on first use: ccxt takes seconds to import, and paper trading never needs it.
    from ccxt.binance import binance

    # ccxt logs every request at DEBUG with its headers, which hold the API key: however
    # verbose the process's logging, those lines never go out (a filter on ccxt's logger).
    request_log = logging.getLogger("ccxt.base.exchange")
    if _no_request_lines not in request_log.filters:
        request_log.addFilter(_no_request_lines)

    class _Client(binance):  # type: ignore[misc]
        """ccxt's binance, raising our typed errors and reporting the weight header."""

        tradewind_governors: Governors

        def handle_errors(
            self,
            code: int,
            reason: str,
            url: str,
            method: str,
            headers: Mapping[str, str] | None,
            body: str,
            response: object,
            request_headers: object,
            request_body: object,
        ) -> None:
            used = (headers or {}).get(WEIGHT_HEADER)
            if used is not None and used.isdigit():
                futures = "/fapi/" in url.split("?", 1)[0]
                governors = self.tradewind_governors
                (governors.futures if futures else governors.spot).observe(int(used))
            error_code = None
            message = reason
            if isinstance(response, Mapping):
                raw_code, raw_msg = response.get("code"), response.get("msg")
                if isinstance(raw_code, int) and not isinstance(raw_code, bool):
                    error_code = raw_code
                if isinstance(raw_msg, str):
                    message = raw_msg
            failed = code >= 400 or (error_code is not None and error_code < 0)
            if not failed:
                return
            retry_after = None
            raw_after = (headers or {}).get("Retry-After")
            if raw_after is not None and raw_after.strip().isdigit():
                retry_after = float(raw_after)
            path = url.split("?", 1)[0].split("://", 1)[-1].split("/", 1)[-1]
            raise binance_error(
                code, error_code, message, retry_after=retry_after, where=f"{method} /{path}"
            )

    return _Client


_CLIENT: type[Any] | None = None
_PROTOTYPE: Any = None
_CLIENT_GUARD = threading.Lock()


def _client_type() -> type[Any]:
    global _CLIENT  # noqa: PLW0603 - one subclass per process, built on first use
    with _CLIENT_GUARD:
        if _CLIENT is None:
            _CLIENT = _client_class()
        return _CLIENT


def _new_client(api_key: str, api_secret: str, timeout: float, recv_window_ms: int) -> Any:
    """Return a ccxt client for one key: a copy of this process's prototype.

    ccxt builds an exchange's thousands of attributes anew for every instance (25 ms of CPU
    each; a worker serving 1,250 accounts spent half a minute on them). Clients differ only
    in what is set here, so each is the prototype with its own keys, options, URLs, headers
    and HTTP session; the rest (the API's description, fees, limits) is only read.
    """
    global _PROTOTYPE  # noqa: PLW0603 - one per process, built on first use
    client_type = _client_type()
    with _CLIENT_GUARD:
        if _PROTOTYPE is None:
            _PROTOTYPE = client_type({"apiKey": "", "secret": "", "enableRateLimit": False})
        prototype = _PROTOTYPE
    from requests import Session

    client = copy.copy(prototype)
    client.apiKey, client.secret = api_key, api_secret
    client.enableRateLimit = False  # the governor paces instead, from Binance's headers
    client.timeout = int(timeout * 1000)
    client.options = copy.deepcopy(prototype.options)
    client.options.update(recvWindow=recv_window_ms, timeDifference=0)
    client.urls = copy.deepcopy(prototype.urls)
    client.headers = dict(prototype.headers)
    client.session = Session()
    client.session.trust_env = prototype.requests_trust_env
    return client


class BinanceTransport:
    """Binance REST calls for one API key (thread-safe; bots of an account share one)."""

    def __init__(
        self,
        hosts: BinanceHosts,
        api_key: str,
        api_secret: str,
        governors: Governors,
        policy: RetryPolicy,
        *,
        timeout: float = 10.0,
        recv_window_ms: int = 5_000,
    ) -> None:
        self._hosts = hosts
        self._governors = governors
        self._policy = policy
        client = _new_client(api_key, api_secret, timeout, recv_window_ms)
        client.tradewind_governors = governors
        for api in Api:
            client.urls["api"][api.section] = hosts.of(api) + api.path
        self._client = client
        self._clock_guard = threading.Lock()

    def call(
        self,
        api: Api,
        method: str,
        path: str,
        params: Mapping[str, object] | None = None,
        *,
        weight: int = 1,
        idempotent: bool = True,
    ) -> Any:
        """Call `path` of `api`; `idempotent=False` for requests that change something."""

        def once() -> Any:
            self._governors.of(api).acquire(weight)
            return self._send(api, method, path, dict(params or {}), idempotent)

        return call_with_retries(
            self._policy,
            once,
            idempotent=idempotent,
            resync_clock=self.resync_clock,
            on_rate_limited=self._governors.of(api).rate_limited,
        )

    def _send(
        self, api: Api, method: str, path: str, params: dict[str, object], idempotent: bool
    ) -> Any:
        from ccxt.base.errors import NetworkError, RequestTimeout

        try:
            return self._client.request(path, [api.section], method, params)
        except (RequestTimeout, NetworkError) as e:
            where = f"{method} {api.path}/{path}: {type(e).__name__}"
            raise network_error(where, maybe_done=not idempotent) from e

    def resync_clock(self) -> None:
        """Measure the offset between our clock and Binance's (after -1021, and at start)."""
        with self._clock_guard:
            sent = time.time()
            answer = self._send(Api.SPOT_PUBLIC, "GET", "time", {}, True)
            received = time.time()
            server_ms = int(answer["serverTime"])
            local_ms = int((sent + received) / 2 * 1000)
            self._client.options["timeDifference"] = local_ms - server_ms

    @property
    def governors(self) -> Governors:
        """The weight governors this transport's calls count against."""
        return self._governors

    @property
    def clock_offset_ms(self) -> int:
        """Return how far our clock runs ahead of Binance's, in milliseconds."""
        return int(self._client.options["timeDifference"])

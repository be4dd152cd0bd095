"""Signed requests as Binance checks them: HMAC-SHA256 over the raw bytes, and the time window.

The signature covers the query string followed by the request body, exactly as they were
sent and with nothing between them; only the `signature` parameter itself is left out.
Clients order parameters differently (ccxt sorts nothing, others put `timestamp` first),
so the check never re-encodes the parameters it parsed.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from tradewind.testkit.binance_server import errors

DEFAULT_RECV_WINDOW = 5_000
MAX_RECV_WINDOW = 60_000
AHEAD_TOLERANCE_MS = 1_000  # Binance accepts a timestamp up to a second ahead of its clock
_SIGNATURE = "signature="


def sign(secret: str, payload: str | bytes) -> str:
    """Return Binance's signature of `payload`: hex HMAC-SHA256 keyed with the API secret."""
    data = payload.encode() if isinstance(payload, str) else payload
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def _without_signature(raw: str) -> tuple[str, str | None]:
    """Split `raw` into itself without its `signature=…` parameter, and that signature."""
    parts = raw.split("&") if raw else []
    kept = [p for p in parts if not p.startswith(_SIGNATURE)]
    found = [p[len(_SIGNATURE) :] for p in parts if p.startswith(_SIGNATURE)]
    return "&".join(kept), (found[-1] if found else None)


def signed_payload(query: str, body: str) -> tuple[str, str | None]:
    """Return what the client signed (query + body, no separator) and the signature it sent."""
    query_part, in_query = _without_signature(query)
    body_part, in_body = _without_signature(body)
    return query_part + body_part, in_body if in_body is not None else in_query


def signature_matches(secret: str, query: str, body: str) -> bool:
    """Tell whether the request carries the right signature (False when it carries none)."""
    payload, signature = signed_payload(query, body)
    if not signature:
        return False
    try:
        # The handler decodes the raw bytes as Latin-1, so encoding back gives them exactly.
        raw = payload.encode("latin-1")
    except UnicodeEncodeError:
        raw = payload.encode()
    return hmac.compare_digest(sign(secret, raw), signature.lower())


def parse_params(query: str, body: str) -> dict[str, str]:
    """Return the request's parameters; a key in both the query and the body: the query wins.

    A key twice in the query, or twice in the body, is refused as Binance refuses it
    (-1101): which of the two values it would take is not something a client should guess.
    """
    params = _unique_pairs(body)
    params.update(_unique_pairs(query))
    return params


def _unique_pairs(raw: str) -> dict[str, str]:
    pairs = parse_qsl(raw, keep_blank_values=True)
    params = dict(pairs)
    if len(params) != len(pairs):
        raise errors.duplicate_parameter()
    return params


MICROSECONDS_FROM = 10**14  # a timestamp this large is in microseconds (ms reach it in 5138)


def check_timestamp(params: dict[str, str], server_ms: int, micros: bool = False) -> None:
    """Raise unless `timestamp` lies within the recvWindow of the server's clock.

    Accepted iff `timestamp < serverTime + 1000` and `serverTime - timestamp <= recvWindow`.
    With `micros` (spot and /sapi) a timestamp may be in microseconds, as Binance allows.
    """
    raw_window = params.get("recvWindow")
    if raw_window is None or raw_window == "":
        window = DEFAULT_RECV_WINDOW
    else:
        window = _whole_number(raw_window, errors.bad_recv_window())
        if not 0 < window <= MAX_RECV_WINDOW:
            raise errors.bad_recv_window()
    raw_timestamp = params.get("timestamp")
    if not raw_timestamp:
        raise errors.mandatory("timestamp")
    timestamp = _whole_number(raw_timestamp, errors.mandatory("timestamp"))
    if micros and timestamp >= MICROSECONDS_FROM:
        timestamp //= 1000
    if not (timestamp < server_ms + AHEAD_TOLERANCE_MS and server_ms - timestamp <= window):
        raise errors.outside_recv_window()


def _whole_number(raw: str, failure: errors.BinanceError) -> int:
    # Binance takes recvWindow with up to three decimals of microseconds; whole ms suffice here.
    number, _, fraction = raw.partition(".")
    if not number.isdigit() or (fraction and not fraction.isdigit()):
        raise failure
    return int(number)

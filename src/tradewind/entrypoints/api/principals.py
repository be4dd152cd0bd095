"""Who a token or a session cookie signs in, remembered for a few seconds per process.

A read (GET, HEAD, OPTIONS) may use a lookup up to `seconds` old: the dashboard's polling
and its live-updates stream would otherwise cost two queries per request just to know who
asks. A change never does: it always looks in the database, and it forgets every lookup
this process remembers, so a token revoked, a session ended or a user disabled through
this process stops at once; through another process (the CLI, another server) reads stop
within `seconds`, as does a credential that expires. 0 turns the cache off.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from tradewind.services.identity import Principal

MAX_ENTRIES = 10_000  # credentials remembered at once; past it the cache starts over


class PrincipalCache:
    def __init__(self, seconds: float, now: Callable[[], float]) -> None:
        self._seconds = seconds
        self._now = now
        self._entries: dict[bytes, tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # moves on every clear

    @staticmethod
    def key(kind: str, secret: str) -> bytes:
        # Only a digest is kept: a memory dump shows no usable credential.
        return hashlib.sha256(f"{kind}:{secret}".encode()).digest()

    def get(self, key: bytes) -> Principal | None:
        if self._seconds <= 0:
            return None
        with self._lock:
            found = self._entries.get(key)
        if found is None or found[0] <= self._now():
            return None
        return found[1]

    @property
    def generation(self) -> int:
        """Read before a lookup and pass it to `put`: a lookup a clear overtook is dropped."""
        return self._generation

    def put(self, key: bytes, principal: Principal, generation: int) -> None:
        if self._seconds <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return  # a change began or ended meanwhile: the lookup may be stale
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (self._now() + self._seconds, principal)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

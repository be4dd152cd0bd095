"""Listen keys of the user data streams: one per account and market, alive 60 minutes.

As on Binance: creating a key while the account's key is alive returns that key (and
extends it), a keepalive extends it by 60 minutes, and a key not kept alive expires (its
stream gets `listenKeyExpired` and closes). Times are the server's wall clock.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

LIFETIME_MS = 60 * 60 * 1000


@dataclass(slots=True)
class ListenKey:
    """A user data stream's key: whose account, which market, until when."""

    key: str
    api_key: str
    account_id: int
    market: str  # "spot" or "futures"
    expires_ms: int


class ListenKeys:
    """The live listen keys; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, ListenKey] = {}

    def create(self, api_key: str, account_id: int, market: str, now_ms: int) -> str:
        """Return the account's live key for `market` (extended), or a new one."""
        with self._lock:
            for held in self._keys.values():
                if (held.account_id, held.market) == (account_id, market) and (
                    held.expires_ms > now_ms
                ):
                    held.expires_ms = now_ms + LIFETIME_MS
                    return held.key
            key = secrets.token_urlsafe(48)[:64]
            self._keys[key] = ListenKey(key, api_key, account_id, market, now_ms + LIFETIME_MS)
            return key

    def keepalive(self, key: str, account_id: int, market: str, now_ms: int) -> bool:
        """Extend a live key of the account; False when there is none such."""
        with self._lock:
            held = self._keys.get(key)
            if held is None or held.account_id != account_id or held.market != market:
                return False
            if held.expires_ms <= now_ms:
                return False
            held.expires_ms = now_ms + LIFETIME_MS
            return True

    def close(self, key: str, account_id: int, market: str) -> bool:
        """Close a key of the account (its stream ends); False when there is none such."""
        with self._lock:
            held = self._keys.get(key)
            if held is None or held.account_id != account_id or held.market != market:
                return False
            del self._keys[key]
            return True

    def find(self, key: str) -> ListenKey | None:
        """Return the key's record (alive or expired), None when unknown or closed."""
        with self._lock:
            return self._keys.get(key)

    def expire_all(self) -> None:
        """Make every key expire now (a test's switch)."""
        with self._lock:
            for held in self._keys.values():
                held.expires_ms = 0

"""What the server counts, for `GET /_tradewind/stats` and a fault test's figures."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    """Requests by path, answers by status, accepted orders, limits hit. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._orders: Counter[str] = Counter()
        self._withheld: Counter[str] = Counter()

    def request(self, method: str, path: str) -> None:
        """Count a request to a Binance path."""
        with self._lock:
            self._requests[f"{method} {path}"] += 1

    def answered(self, status: int) -> None:
        """Count an answer sent with `status`."""
        with self._lock:
            self._statuses[str(status)] += 1

    def withheld(self, how: str) -> None:
        """Count a request that got no answer (`reset`, `held`)."""
        with self._lock:
            self._withheld[how] += 1

    def order_accepted(self, market: str) -> None:
        """Count an order the venue accepted (placed or rested)."""
        with self._lock:
            self._orders[market] += 1

    def snapshot(self, faults: dict[str, int]) -> dict[str, object]:
        """Return every figure as JSON data."""
        with self._lock:
            return {
                "requests": dict(sorted(self._requests.items())),
                "requests_total": sum(self._requests.values()),
                "responses": dict(sorted(self._statuses.items())),
                "no_answer": dict(sorted(self._withheld.items())),
                "orders_accepted": {
                    **dict(sorted(self._orders.items())),
                    "total": sum(self._orders.values()),
                },
                "faults_injected": dict(sorted(faults.items())),
            }

"""Fakes of the tick's ports (cosmicpython style): an in-memory store and its units of
work, an exchange, market data, a clock and a bot lock. Tests assert on their contents."""

from tests.fakes.exchange import (
    FakeBotLock,
    FakeClock,
    FakeExchange,
    FakeExchanges,
    FakeMarketData,
)
from tests.fakes.store import FakeStore, FakeUnitOfWork

__all__ = [
    "FakeBotLock",
    "FakeClock",
    "FakeExchange",
    "FakeExchanges",
    "FakeMarketData",
    "FakeStore",
    "FakeUnitOfWork",
]

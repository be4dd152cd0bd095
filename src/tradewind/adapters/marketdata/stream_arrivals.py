"""Waiting for a slot's closed candles to land in the stream book, series by series.

The stream book announces every candle it stores on its channel (`StreamCandleBook.channel`,
`MARKET:SYMBOL:TIMEFRAME:OPEN_TIME`). A planner that wants to start each market group the
moment its candle is in subscribes first, then looks at the book (a candle stored before
the subscription is seen there), then takes each announcement as it comes; a quiet moment
makes it look at the book again, so an announcement lost (Redis' pub/sub keeps none for a
client that reconnects) costs a poll, not the slot. It stops at a deadline the caller
judges on its own clock, and says which series never came.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import redis

from tradewind.adapters.marketdata.stream_book import StreamCandleBook
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import PositionType

log = logging.getLogger(__name__)

Key = TypeVar("Key", bound=Hashable)
POLL_S = 0.25  # how long one wait for an announcement lasts before the book is read again


@dataclass(frozen=True, slots=True)
class SeriesAt:
    """The candle a slot needs of one series: the one that closes at the slot."""

    market: PositionType
    symbol: str
    timeframe: str
    slot: int

    @property
    def needed_open(self) -> int:
        """Open time of the candle that closes at the slot."""
        width = timeframe_seconds(self.timeframe)
        return self.slot - self.slot % width - width

    @property
    def announced_as(self) -> str:
        """The announcement's prefix for this series (its open time follows)."""
        return f"{self.market.value}:{self.symbol}:{self.timeframe}:"


class CandleArrivals:
    """Tells when the candles a slot needs are in the stream book (see the module)."""

    def __init__(self, book: StreamCandleBook, client: redis.Redis, poll_s: float = POLL_S) -> None:
        self._book = book
        self._redis = client
        self._poll_s = poll_s

    def follow(
        self,
        wanted: Mapping[Key, SeriesAt],
        arrived: Callable[[Key], None],
        past_deadline: Callable[[], bool],
    ) -> list[Key]:
        """Call `arrived(key)` as each wanted candle is in the book (at once for those in
        already), until all are or `past_deadline()`; return the keys still missing.

        Redis away: nothing can be told, every key is returned at once (the caller reads
        REST for them).
        """
        pending = dict(wanted)
        index: dict[str, list[Key]] = {}  # announcement prefix -> the keys of that series
        for key, at in wanted.items():
            index.setdefault(at.announced_as, []).append(key)
        try:
            with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:  # type: ignore[no-untyped-call]
                pubsub.subscribe(self._book.channel)
                self._look(pending, arrived)
                while pending and not past_deadline():
                    message = pubsub.get_message(timeout=self._poll_s)
                    if message is None:
                        self._look(pending, arrived)
                    else:
                        self._announced(_text(message.get("data")), index, pending, arrived)
        except redis.RedisError as e:
            log.warning("stream candles cannot be watched (%s): %d series read from REST",
                        e, len(pending))  # fmt: skip
        return list(pending)

    def _look(self, pending: dict[Key, SeriesAt], arrived: Callable[[Key], None]) -> None:
        """Read the book's newest candle of every pending series (one round trip)."""
        if not pending:
            return
        keys = list(pending)
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            at = pending[key]
            pipe.zrange(self._book.key(at.market, at.symbol, at.timeframe), -1, -1, withscores=True)
        for key, newest in zip(keys, pipe.execute(), strict=True):
            if newest and int(newest[0][1]) >= pending[key].needed_open:
                del pending[key]
                arrived(key)

    @staticmethod
    def _announced(
        text: str,
        index: Mapping[str, list[Key]],
        pending: dict[Key, SeriesAt],
        arrived: Callable[[Key], None],
    ) -> None:
        prefix, _, opened = text.rpartition(":")
        if not opened.lstrip("-").isdigit():
            return
        for key in index.get(f"{prefix}:", ()):
            at = pending.get(key)
            if at is not None and int(opened) >= at.needed_open:
                del pending[key]
                arrived(key)


def _text(data: object) -> str:
    return data.decode() if isinstance(data, bytes) else str(data)

"""A slot's fan-out: bots grouped by market, groups cut into even batches."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports import RunningBot
from tradewind.services.slots import (
    STREAMED_VENUES,
    MarketGroup,
    batches,
    market_groups,
    slot_ended,
    waits_for_stream,
)

running_bots = st.lists(
    st.builds(
        RunningBot,
        id=st.integers(1, 10**6),
        symbol=st.sampled_from(["BTCUSDT", "ETHUSDT", "SOLUSDT"]),
        timeframe=st.sampled_from(["1m", "5m", "1h"]),
        position_type=st.sampled_from(list(PositionType)),
        venue=st.sampled_from(list(ExchangeKind)),
    ),
    unique_by=lambda bot: bot.id,
    max_size=200,
)


@given(st.lists(st.integers(), unique=True, max_size=500), st.integers(1, 120))
def test_batches_hold_every_bot_once_at_most_size_each_and_as_even_as_can_be(
    bot_ids: list[int], size: int
) -> None:
    cut = batches(bot_ids, size)
    assert [bot_id for batch in cut for bot_id in batch] == bot_ids
    assert all(0 < len(batch) <= size for batch in cut)
    assert len(cut) == -(-len(bot_ids) // size)  # no more batches than needed
    if cut:  # every batch counts, the last one too
        assert max(map(len, cut)) - min(map(len, cut)) <= 1


@pytest.mark.parametrize(
    ("count", "size", "lengths"),
    [
        (10, 4, [4, 3, 3]),  # not 4 + 4 + 2
        (7, 3, [3, 2, 2]),  # not 3 + 3 + 1
        (9, 3, [3, 3, 3]),
        (5, 10, [5]),
        (1, 1, [1]),
        (0, 5, []),
    ],
)
def test_batches_are_even_to_the_last_one(count: int, size: int, lengths: list[int]) -> None:
    cut = batches(list(range(count)), size)
    assert [len(batch) for batch in cut] == lengths
    assert [bot_id for batch in cut for bot_id in batch] == list(range(count))


@given(running_bots)
def test_each_bot_is_in_the_one_group_of_its_venue_market_symbol_and_timeframe(
    bots: list[RunningBot],
) -> None:
    groups = market_groups(bots)
    keys = [(g.venue, g.position_type, g.symbol, g.timeframe) for g in groups]
    assert len(set(keys)) == len(keys)
    by_id = {bot.id: bot for bot in bots}
    assert sorted(i for g in groups for i in g.bot_ids) == sorted(by_id)
    for group in groups:
        for bot_id in group.bot_ids:
            bot = by_id[bot_id]
            assert (bot.venue, bot.position_type, bot.symbol, bot.timeframe) == (
                group.venue, group.position_type, group.symbol, group.timeframe,
            )  # fmt: skip


def test_a_slot_ends_when_the_next_one_begins() -> None:
    assert not slot_ended(1_704_067_200, 1_704_067_259)
    assert slot_ended(1_704_067_200, 1_704_067_260)


def test_only_a_candle_close_of_a_streamed_venue_waits_for_the_streams() -> None:
    def group(venue: ExchangeKind, timeframe: str) -> MarketGroup:
        return MarketGroup(PositionType.SPOT, Symbol("BTCUSDT"), timeframe, (1,), venue)

    streamed = STREAMED_VENUES
    at_hour = 1_704_067_200
    assert waits_for_stream(group(ExchangeKind.BINANCE, "1m"), at_hour + 60, streamed)
    assert waits_for_stream(group(ExchangeKind.BINANCE, "1h"), at_hour, streamed)
    # An exit check between two closes starts at the usual moment; so does paper.
    assert not waits_for_stream(group(ExchangeKind.BINANCE, "1h"), at_hour + 60, streamed)
    assert not waits_for_stream(group(ExchangeKind.PAPER, "1m"), at_hour, streamed)
    # Workers that do not trade Binance wait for nothing.
    assert not waits_for_stream(group(ExchangeKind.BINANCE, "1m"), at_hour, frozenset())

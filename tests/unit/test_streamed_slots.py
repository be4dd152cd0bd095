"""The one-process live loop on streamed candles: a group closing a candle ticks as its candle
lands, a group whose candle never came ticks after the wait (its tick then reads REST or says
"market data behind"), exit checks between closes tick after the settle delay."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.types import PositionType, Symbol
from tradewind.ports import RunningBot
from tradewind.services import streamed_run
from tradewind.services.scheduler import SETTLE_SECONDS
from tradewind.services.slots import MarketGroup
from tradewind.services.streamed_run import StreamedSlots, run_streamed
from tradewind.services.tick import TickOutcome

T0 = 1_709_251_260  # a minute boundary, not an hour's
BINANCE = ExchangeKind.BINANCE
BOTS = [
    RunningBot(1, Symbol("BTCUSDT"), "1m", PositionType.SPOT, BINANCE),
    RunningBot(2, Symbol("ETHUSDT"), "1m", PositionType.SPOT, BINANCE),
    RunningBot(3, Symbol("BTCUSDT"), "1h", PositionType.SPOT, BINANCE),  # no close at T0
]


class Clock:
    def __init__(self, now: int) -> None:
        self.t = now

    def now(self) -> int:
        return self.t


@dataclass
class Bots:
    def running_bots(self, kind: ExchangeKind | None = None) -> list[RunningBot]:
        return [b for b in BOTS if kind is None or b.venue is kind]


@dataclass
class Uow:
    bots: Bots = field(default_factory=Bots)

    def __enter__(self) -> Uow:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@dataclass
class Deps:
    clock: Clock

    def uow(self) -> Uow:
        return Uow()


@dataclass
class Watch:
    """Lands the candles of the symbols in `landing`, one second apart; the others never."""

    clock: Clock
    landing: list[str]
    asked: list[tuple[str, ...]] = field(default_factory=list)

    def __call__(
        self,
        groups: Sequence[MarketGroup],
        slot: int,
        arrived: Callable[[MarketGroup], None],
        past_deadline: Callable[[], bool],
    ) -> list[MarketGroup]:
        self.asked.append(tuple(f"{g.symbol} {g.timeframe}" for g in groups))
        pending = list(groups)
        for symbol in self.landing:
            self.clock.t += 1
            for group in [g for g in pending if g.symbol == symbol]:
                pending.remove(group)
                arrived(group)
        while pending and not past_deadline():
            self.clock.t += 1
        return pending


@pytest.fixture
def ticks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """Every tick run: (bot, slot, the clock when it ran)."""
    seen: list[tuple[int, int, int]] = []

    def run_tick(deps: Any, bot_id: int, slot: int) -> TickOutcome:
        seen.append((bot_id, slot, deps.clock.now()))
        return TickOutcome.DECIDED

    monkeypatch.setattr(streamed_run, "run_tick", run_tick)
    return seen


def test_each_group_ticks_as_its_candle_lands_and_a_missing_one_after_the_wait(
    ticks: list[tuple[int, int, int]],
) -> None:
    clock = Clock(T0)
    watch = Watch(clock, landing=["BTCUSDT"])
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.t += int(seconds)

    slots = StreamedSlots(Deps(clock), watch, wait_s=6, sleep=sleep)  # type: ignore[arg-type]
    report = slots.run(T0)

    assert watch.asked == [("BTCUSDT 1m", "ETHUSDT 1m")]  # the 1h bot closes nothing at T0
    assert ticks == [(1, T0, T0 + 1), (2, T0, T0 + 6), (3, T0, T0 + 6)]
    assert slots.late_groups == 1
    assert slept == []  # the exit check came after the settle delay anyway
    assert report.outcomes == Counter({TickOutcome.DECIDED: 3})


def test_exit_checks_wait_the_settle_delay_when_every_candle_is_in_at_once(
    ticks: list[tuple[int, int, int]],
) -> None:
    clock = Clock(T0)
    slots = StreamedSlots(
        Deps(clock),  # type: ignore[arg-type]
        Watch(clock, landing=["BTCUSDT", "ETHUSDT"]),
        wait_s=0,
        sleep=lambda s: setattr(clock, "t", clock.t + int(s)),
    )
    slots.run(T0)
    assert [bot for bot, _, _ in ticks] == [1, 2, 3]
    assert ticks[2][2] >= T0 + SETTLE_SECONDS


def test_the_loop_decides_each_minute_from_the_minute_itself(
    ticks: list[tuple[int, int, int]],
) -> None:
    clock = Clock(T0 + 59)
    watch = Watch(clock, landing=["BTCUSDT", "ETHUSDT"])
    slots = StreamedSlots(Deps(clock), watch, wait_s=6)  # type: ignore[arg-type]
    decided: list[int] = []

    def sleep(seconds: float) -> None:
        clock.t += max(1, int(seconds))

    run_streamed(slots, clock.now, lambda r: decided.append(r.slot),
                 should_stop=lambda: len(decided) >= 2, sleep=sleep)  # fmt: skip
    assert decided == [T0 + 60, T0 + 120]
    assert ticks[0] == (1, T0 + 60, T0 + 61)  # a second after the minute: its candle's

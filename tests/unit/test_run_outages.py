"""The runner's slot loops through a database outage: said once, waited out, the slots it
cost said when it ends; anything that is not an outage still ends the loop."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from tradewind.services import outages as outages_module
from tradewind.services.outages import DatabaseOutages
from tradewind.services.scheduler import SLOT_SECONDS, SlotReport, run_live, run_on_market

T0 = 1_709_251_200  # a minute boundary


class Away(Exception):
    """What the database adapter raises while the server is away."""


@dataclass
class Script:
    """The ticks of the slots: the first `away` tries meet the database away."""

    away: int  # how many more tries meet the database away
    tried: list[int] = field(default_factory=list)

    def run_slot(self, deps: Any, bot_ids: list[int], slot: int) -> SlotReport:
        self.tried.append(slot)
        if self.away > 0:
            self.away -= 1
            raise Away("connection refused")
        return SlotReport(slot, Counter(), 0.0)


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Script:
    script = Script(away=0)
    monkeypatch.setattr(outages_module, "run_slot", script.run_slot)
    monkeypatch.setattr(outages_module, "active_bots", lambda deps, kind: [1])
    return script


class Clock:
    def __init__(self, now: int) -> None:
        self.t = now

    def now(self) -> int:
        return self.t


@dataclass
class Deps:
    clock: Clock


def test_the_live_loop_waits_out_an_outage_and_says_the_slots_it_cost(
    script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(T0 + 3)  # the first slot due is T0 + 60
    script.away = 5
    decided: list[int] = []

    def sleep(seconds: float) -> None:
        clock.t += 30  # each wait: half a minute, so the outage spans slots

    with caplog.at_level(logging.WARNING, "tradewind.run"):
        run_live(
            Deps(clock),  # type: ignore[arg-type]
            lambda report: decided.append(report.slot),
            should_stop=lambda: len(decided) >= 2,
            sleep=sleep,
            outages=DatabaseOutages(lambda e: isinstance(e, Away)),
        )
    lines = [r.getMessage() for r in caplog.records]
    assert len([m for m in lines if "the database is away" in m]) == 1, lines
    back = [m for m in lines if "the database is back" in m]
    assert len(back) == 1, lines
    # Each slot tried twice (a try every half minute); the fifth failure is at T0+180,
    # which is decided once the database is back; T0+60 and T0+120 are lost.
    assert script.tried[:6] == [T0 + 60] * 2 + [T0 + 120] * 2 + [T0 + 180] * 2
    assert decided[0] == T0 + 3 * SLOT_SECONDS
    assert "2 slot(s) not decided: 2024-03-01 00:01 UTC to 2024-03-01 00:02 UTC" in back[0]


def test_the_market_loop_decides_the_minute_once_the_database_is_back(script: Script) -> None:
    script.away = 2
    decided: list[int] = []
    minutes = iter([T0, T0 + 60, T0 + 60, T0 + 60, T0 + 120])
    run_on_market(
        Deps(Clock(T0)),  # type: ignore[arg-type]
        lambda t: None,
        lambda: next(minutes),
        lambda report: decided.append(report.slot),
        should_stop=lambda: len(decided) >= 2,
        sleep=lambda s: None,
        outages=DatabaseOutages(lambda e: isinstance(e, Away)),
    )
    assert script.tried == [T0 + 60, T0 + 60, T0 + 60, T0 + 120]
    assert decided == [T0 + 60, T0 + 120]


def test_an_error_that_is_no_outage_ends_the_loop(script: Script) -> None:
    script.away = 1
    clock = Clock(T0 + 3)

    def sleep(seconds: float) -> None:
        clock.t += 60

    with pytest.raises(Away):
        run_live(
            Deps(clock),  # type: ignore[arg-type]
            sleep=sleep,
            outages=DatabaseOutages(lambda e: False),
        )

"""The one-process live loop on streamed candles: each group ticks as its candle lands.

`run_live` starts every slot a fixed `SETTLE_SECONDS` after the minute and reads the
candles then. With a kline feeder in the process, `run_streamed` starts each slot at the
minute itself, by the rule the workers' `plan_streamed` follows: the bots are grouped by
venue, market, symbol and timeframe; a group whose candle closes at the slot ticks the
moment the feeder has its candle (`watch`), and one whose candle is not in `wait_s` after
the minute ticks anyway — its candles are then read from REST (decided late), and when REST
lacks the slot's candle too each bot's tick records "market data behind" and decides
nothing; never a decision on the candle before. Groups between two candle closes (exit
checks) tick after, not before `SETTLE_SECONDS` past the minute.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from tradewind.domain.accounts import ExchangeKind
from tradewind.services.scheduler import SETTLE_SECONDS, SLOT_SECONDS, SlotReport, slots_between
from tradewind.services.slots import MarketGroup, market_groups, waits_for_stream
from tradewind.services.tick import TickDeps, TickOutcome, run_tick

if TYPE_CHECKING:
    from tradewind.services.outages import DatabaseOutages

log = logging.getLogger("tradewind.run")


class CandleWatch(Protocol):
    """Tells as each group's candle of a slot lands in the stream book."""

    def __call__(
        self,
        groups: Sequence[MarketGroup],
        slot: int,
        arrived: Callable[[MarketGroup], None],
        past_deadline: Callable[[], bool],
    ) -> list[MarketGroup]:
        """Call `arrived(group)` as each group's candle closing at `slot` is in, until all
        are or `past_deadline()`; return the groups still without it."""
        ...


class StreamedSlots:
    """Decides one slot of the bots on `venue` accounts as their candles land."""

    def __init__(
        self,
        deps: TickDeps,
        watch: CandleWatch,
        wait_s: float,
        venue: ExchangeKind = ExchangeKind.BINANCE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._deps = deps
        self._watch = watch
        self._wait_s = wait_s
        self._venue = venue
        self._sleep = sleep
        self.late_groups = 0  # groups decided after the wait (read from REST), for tests

    def groups(self) -> list[MarketGroup]:
        """The running bots on `venue` accounts, grouped (one statement)."""
        with self._deps.uow() as uow:
            return market_groups(uow.bots.running_bots(self._venue))

    def run(self, slot: int) -> SlotReport:
        """Tick every group at `slot`: those closing a candle as it lands, then the rest."""
        started = time.perf_counter()
        outcomes: Counter[TickOutcome] = Counter()

        def tick(group: MarketGroup) -> None:
            for bot_id in group.bot_ids:
                outcomes[run_tick(self._deps, bot_id, slot)] += 1

        groups = self.groups()
        closing = [g for g in groups if waits_for_stream(g, slot, {self._venue})]
        clock = self._deps.clock
        late = self._watch(closing, slot, tick, lambda: clock.now() >= slot + self._wait_s)
        if late:
            self.late_groups += len(late)
            shown = ", ".join(f"{g.position_type.value} {g.symbol} {g.timeframe}" for g in late)
            log.warning(
                "slot %s: no closed candle on the streams %gs after the minute for %s: read "
                "from REST; a bot whose candle REST lacks too decides nothing and says why",
                slot, self._wait_s, shown,
            )  # fmt: skip
            for group in late:
                tick(group)
        between = [g for g in groups if g not in closing]
        if between:
            settle = slot + SETTLE_SECONDS - clock.now()
            if settle > 0:
                self._sleep(settle)
            for group in between:
                tick(group)
        return SlotReport(slot, outcomes, time.perf_counter() - started)


def run_streamed(
    slots: StreamedSlots,
    clock_now: Callable[[], int],
    on_slot: Callable[[SlotReport], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    outages: DatabaseOutages | None = None,
) -> None:
    """Decide each minute's slot from the minute itself until told to stop (see the module).

    As `run_live`: after a pause only the latest slot is decided, and with `outages` a slot
    that meets the database away is tried again until it is back or a newer slot is due.
    """
    last = clock_now() // SLOT_SECONDS * SLOT_SECONDS
    while not should_stop():
        now = clock_now()
        due = list(slots_between(last, now))
        if not due:
            sleep(min(1.0, last + SLOT_SECONDS - now))
            continue
        slot = due[-1]
        if outages is None:
            report: SlotReport | None = slots.run(slot)
        else:
            report = outages.run(slot, lambda: slots.run(slot))  # noqa: B023 - called at once
            if report is None:
                sleep(outages.retry_seconds)
                continue
        last = slot
        if on_slot is not None and report is not None:
            on_slot(report)

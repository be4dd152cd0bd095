"""The demo's replay with its display: a rich.live dashboard, or a line per simulated hour.

The dashboard redraws at most `DRAW_EVERY` and reads the database at most `READ_EVERY`
(wall-clock seconds), so watching costs the replay a few percent however fast it runs.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live

from tradewind.bootstrap.markets import ReplayClock
from tradewind.bootstrap.runtime import PaperRuntime
from tradewind.domain.accounts import ExchangeKind
from tradewind.entrypoints.cli.demo_board import Progress, Wallets, dashboard, hour_line
from tradewind.services.access import Actor
from tradewind.services.demo import BotReport, bot_reports, transfer_note
from tradewind.services.scheduler import SLOT_SECONDS, SlotReport, run_replay

DRAW_EVERY = 1 / 8
READ_EVERY = 1 / 2
HOUR = 3_600


@dataclass(slots=True)
class ReplayStats:
    """What the replay did, for the closing line."""

    slots: int = 0
    ticks: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    interrupted: bool = False

    def describe(self) -> str:
        rate = self.ticks / self.seconds if self.seconds > 0 else 0.0
        outcomes = ", ".join(f"{name} {count:,}" for name, count in self.outcomes.most_common())
        line = (
            f"replayed {self.slots:,} simulated minutes: {self.ticks:,} ticks "
            f"({outcomes or 'none'}) in {self.seconds:.1f} s, {rate:,.0f} ticks/s"
        )
        return line + ("; stopped early by Ctrl-C" if self.interrupted else "")


def replay_with_board(
    console: Console,
    runtime: PaperRuntime,
    clock: ReplayClock,
    span: tuple[int, int],
    wallets: Callable[[], Wallets],
    *,
    owner: Actor,
    live: bool,
    title: str,
    account_kind: ExchangeKind = ExchangeKind.PAPER,
) -> ReplayStats:
    """Replay [start, end] through the scheduler, showing the bots as they trade."""
    start, end = span
    progress = Progress(now=start, slots_done=0, slots_total=(end - start) // SLOT_SECONDS)
    stats = ReplayStats()
    began = time.perf_counter()

    def read() -> list[BotReport]:
        return bot_reports(runtime.manage_uow, clock, owner, count_orders=False)

    def count(report: SlotReport) -> None:
        stats.slots += 1
        stats.ticks += report.outcomes.total()
        stats.outcomes.update(o.value for o in report.outcomes.elements())
        progress.now, progress.slots_done = report.slot, stats.slots
        progress.ticks, progress.seconds = stats.ticks, time.perf_counter() - began

    def run(on_slot: Callable[[SlotReport], None]) -> None:
        try:
            run_replay(runtime.deps, clock.set, start, end, 0.0, on_slot, account_kind=account_kind)
        except KeyboardInterrupt:
            stats.interrupted = True
        stats.seconds = time.perf_counter() - began

    if not live:

        def print_hourly(report: SlotReport) -> None:
            count(report)
            if report.slot % HOUR == 0 or report.slot + SLOT_SECONDS > end:
                console.print(hour_line(progress, read()), soft_wrap=True)

        run(print_hourly)
        return stats

    reports = read()
    transfer = transfer_note([r.bot.config for r in reports])
    held = wallets()
    last_draw = last_read = 0.0
    with Live(console=console, auto_refresh=False, transient=False) as screen:

        def redraw(report: SlotReport) -> None:
            nonlocal reports, held, last_draw, last_read
            count(report)
            now = time.perf_counter()
            if now - last_draw < DRAW_EVERY:
                return
            if now - last_read >= READ_EVERY:
                reports, held, last_read = read(), wallets(), now
            screen.update(dashboard(title, progress, reports, held, transfer), refresh=True)
            last_draw = now

        run(redraw)
        screen.update(dashboard(title, progress, read(), wallets(), transfer), refresh=True)
    return stats

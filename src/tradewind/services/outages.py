"""The runner's slots through an outage of its database: said once, decided again after.

A slot whose ticks meet the database away decides nothing more: a tick that could not
commit its claim or its order's intent sends no order (the intent is committed before
anything is sent), and one cut off after sending left a row the next tick settles with
the venue. The outage is one line naming the cause (again only when the cause changes),
its end one line naming the slots it cost; never a traceback, never the end of the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from tradewind.domain.accounts import ExchangeKind
from tradewind.services.scheduler import SlotReport, active_bots, run_slot
from tradewind.services.tick import TickDeps

log = logging.getLogger("tradewind.run")
_CAUSE_CHARS = 200
# How long a runner waits before it tries its slot again while the database is away.
RETRY_SECONDS = 1.0


class DatabaseOutages:
    """Run slots; one whose ticks meet the database away (`is_outage`) is reported as None."""

    def __init__(
        self,
        is_outage: Callable[[BaseException], bool],
        retry_seconds: float = RETRY_SECONDS,
        keep_place: Callable[[], None] = lambda: None,
    ) -> None:
        self._is_outage = is_outage
        # The runner's lock, which may have ended with its connection: held again (or
        # Conflict, another runner took it) before a slot decides anything.
        self._keep_place = keep_place
        self.retry_seconds = retry_seconds
        self._cause: str | None = None
        self._failed: set[int] = set()
        self.outages = 0  # how many began, for the caller's summary and the tests

    @property
    def away(self) -> bool:
        """Tell whether the last slot tried met the database away."""
        return self._cause is not None

    def run_slot(
        self, deps: TickDeps, slot: int, account_kind: ExchangeKind | None
    ) -> SlotReport | None:
        """Tick the active bots at `slot`; None when the database went away meanwhile."""
        return self.run(slot, lambda: run_slot(deps, active_bots(deps, account_kind), slot))

    def run(self, slot: int, ticks: Callable[[], SlotReport]) -> SlotReport | None:
        """Run `slot`'s `ticks`; None when the database went away meanwhile."""
        try:
            self._keep_place()
            report = ticks()
        except Exception as e:
            if not self._is_outage(e):
                raise
            # The driver's own error when one is wrapped: its text names the cause alone.
            self._failed_at(slot, one_line(getattr(e, "orig", None) or e))
            return None
        if self._cause is not None:
            self._back(slot)
        return report

    def _failed_at(self, slot: int, cause: str) -> None:
        self._failed.add(slot)
        if cause != self._cause:
            if self._cause is None:
                self.outages += 1
            log.warning(
                "the database is away (%s) at slot %s: no bot decides until it is back; "
                "trying again every %g s, quiet until the cause changes",
                cause, _when(slot), self.retry_seconds,
            )  # fmt: skip
            self._cause = cause
        log.debug("slot %s failed on the database", slot, exc_info=True)

    def _back(self, slot: int) -> None:
        missed = sorted(self._failed - {slot})
        said = (
            f"{len(missed)} slot(s) not decided: {_when(missed[0])} to {_when(missed[-1])}"
            if missed
            else "no slot missed"
        )
        log.warning(
            "the database is back at slot %s (after: %s); %s", _when(slot), self._cause, said
        )
        self._cause = None
        self._failed.clear()


def one_line(e: BaseException) -> str:
    """Return the exception as one short line: its type and the first line of its text."""
    text = str(e).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > _CAUSE_CHARS:
        first = first[:_CAUSE_CHARS] + "…"
    return f"{type(e).__name__}: {first}" if first else type(e).__name__


def _when(slot: int) -> str:
    return datetime.fromtimestamp(slot, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")

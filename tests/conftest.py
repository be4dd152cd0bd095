"""Shared test helpers: the real market data beside the repo, and what a test cannot run without.

A test that needs a service (PostgreSQL, Redis, RabbitMQ) or a file of ../shared/data that
is not there calls `unavailable(reason)`. On a developer's machine the test is skipped and
the run ends with one line per reason saying how many tests it skipped. With `CI=true`
(`.ci/run` sets it) the test fails instead, with that reason as its whole message, and the
run ends red with the same count: CI never passes on tests it did not run. Any other skip
under CI fails the same way.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import Phase, settings

# Where the real candles and exchange samples live: ../shared/data beside the checkout, or
# TRADEWIND_TEST_DATA (`make mutation` runs the tests from a copy of the repo in mutants/).
SHARED_DATA = Path(
    os.environ.get("TRADEWIND_TEST_DATA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)
# No test talks to Binance itself: a command that would reach Binance's hosts (a paper
# `tradewind run` looks for the real market first) meets a closed loopback port instead,
# unless the test points it at its own Binance-compatible server. Subprocesses inherit it.
os.environ.setdefault("TRADEWIND_BINANCE_URL", "http://127.0.0.1:9")
NOT_RUN = "not run: "  # the prefix of every such skip, and of its failure in CI

# `make mutation` asks the same examples of every mutant, so a verdict never depends on luck.
# A mutant is killed by the first failing example: shrinking it to the smallest one (what a
# person reads) only burns the CPU-time limit and turns the kill into a timeout.
settings.register_profile(
    "mutation",
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    report_multiple_bugs=False,
)


def in_ci() -> bool:
    """Tell whether this run is CI's, where nothing may be skipped."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Stop a test that lacks a service or a data file: skip it here, fail it in CI."""
    message = NOT_RUN + " ".join(reason.split())  # one line, whatever the error said
    # `from None`: the error that brought us here is in the message already, in one line.
    if in_ci():
        raise pytest.fail.Exception(message, pytrace=False) from None
    raise pytest.skip.Exception(message) from None


def shared_file(name: str) -> Path:
    """Return a file of ../shared/data; a test without it cannot run (see `unavailable`)."""
    if not SHARED_DATA.is_dir():
        unavailable(f"{SHARED_DATA} is missing: the real market data (../shared/data)")
    path = SHARED_DATA / name
    if not path.exists():
        unavailable(f"{path} is missing from the real market data (../shared/data)")
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Under CI, turn any skip (a marker, an empty parameter set, ...) into a failure."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = _reason(report)
        report.longrepr = reason if NOT_RUN in reason else NOT_RUN + reason
    return None


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """End with one line per reason a test could not run: how many, and why."""
    yield  # after pytest's own summaries, so these are the last lines before the counts
    reasons: Counter[str] = Counter()
    for key in ("skipped", "failed", "error"):
        for report in terminalreporter.stats.get(key, []):
            reason = _reason(report)
            if key == "skipped" or NOT_RUN in reason:
                reasons[reason.split(NOT_RUN, 1)[-1]] += 1
    if not reasons:
        return
    total = sum(reasons.values())
    verb = "failed (CI=true: nothing may be skipped)" if in_ci() else "skipped"
    terminalreporter.write_sep("=", f"{total} test(s) {verb}, by reason", yellow=True)
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"{count:>5}  {reason}")


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    text = str(longrepr or "")
    return text.strip().splitlines()[-1] if text.strip() else "no reason given"

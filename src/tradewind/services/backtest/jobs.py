"""Backtests submitted as jobs: queued, run in a pool beside the API, then read back.

A job is the CLI's backtest (`run_request`) of a bot config on one source of candles, run
by a worker the bootstrap gives (a process pool: a backtest is CPU work that would hold
the API's interpreter). Jobs live in the memory of the API process that took them, so a
restart forgets them and, behind a balancer, a job is read from the process that took it
(sticky sessions); the limits bound what one process runs: candles per job, unfinished
jobs per user and in all. A user sees only their own jobs; another's reads as missing.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from enum import StrEnum

from tradewind.bot_config import BotConfig
from tradewind.domain.errors import ConfigurationError, NotFound, TooManyAttempts
from tradewind.ports import Clock
from tradewind.services.access import Actor
from tradewind.services.backtest.metrics import Summary
from tradewind.services.backtest.request import BacktestOutcome, BacktestRequest
from tradewind.services.backtest.result import RoundTrip

EQUITY_POINTS = 500  # the equity curve a job keeps, thinned evenly
RETRY_SECONDS = 5


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class JobResult:
    """What a finished backtest reports: small enough to keep and to send back."""

    source: str
    summary: Summary
    trades: list[RoundTrip]
    equity: list[tuple[int, float]]  # (candle open time, equity at its close)
    warnings: list[str]


def job_result(outcome: BacktestOutcome) -> JobResult:
    """Keep the parts of a backtest a report shows; the equity thinned to EQUITY_POINTS."""
    times, equity = outcome.candles.open_time, outcome.result.equity
    step = max(1, -(-len(equity) // EQUITY_POINTS))
    picked = list(range(0, len(equity), step))
    if picked and picked[-1] != len(equity) - 1:
        picked.append(len(equity) - 1)  # the final equity is always shown
    return JobResult(
        source=outcome.source,
        summary=outcome.summary,
        trades=list(outcome.result.trades),
        equity=[(int(times[i]), float(equity[i])) for i in picked],
        warnings=list(outcome.warnings),
    )


# Runs one request in a worker: (request, which source) -> result. Picklable for a pool.
JobRunner = Callable[[BacktestRequest, str], JobResult]


@dataclass(frozen=True, slots=True)
class JobLimits:
    max_candles: int
    per_user: int
    total: int
    kept_per_user: int = 20  # finished jobs remembered per user; older ones are dropped


@dataclass(slots=True)
class Job:
    id: str
    user_id: int
    config: BotConfig
    submitted_at: int
    future: Future[JobResult] = field(repr=False)
    finished_at: int | None = None

    @property
    def status(self) -> JobStatus:
        if self.future.done():
            failed = self.future.cancelled() or self.future.exception() is not None
            return JobStatus.FAILED if failed else JobStatus.DONE
        return JobStatus.RUNNING if self.future.running() else JobStatus.QUEUED

    @property
    def error(self) -> str | None:
        if not self.future.done():
            return None
        if self.future.cancelled():
            return "cancelled: the API stopped before the job ran"
        error = self.future.exception()
        if error is None:
            return None
        # A user's mistake (config, source) says what to fix; anything else stays generic,
        # as an API error never echoes internals.
        if isinstance(error, ConfigurationError):
            return str(error)
        return "the backtest failed"

    @property
    def result(self) -> JobResult | None:
        if self.status is not JobStatus.DONE:
            return None
        return self.future.result()


class BacktestJobs:
    """The jobs of one API process and the pool that runs them."""

    def __init__(
        self, executor: Executor, runner: JobRunner, limits: JobLimits, clock: Clock
    ) -> None:
        self._executor = executor
        self._runner = runner
        self.limits = limits
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, actor: Actor, request: BacktestRequest, source: str) -> Job:
        """Queue a backtest of `request` for the actor; refuse one too big (422 naming
        `candles`) or one over the concurrency limits (429 naming the limit)."""
        if actor.user_id is None:
            raise ConfigurationError("user: backtest jobs belong to a signed-in user")
        if request.generated_candles > self.limits.max_candles:
            raise ConfigurationError(
                f"candles: must be at most {self.limits.max_candles} "
                f"(the backtest_max_candles setting; got {request.generated_candles})"
            )
        with self._lock:
            unfinished = [j for j in self._jobs.values() if not j.future.done()]
            mine = [j for j in unfinished if j.user_id == actor.user_id]
            if len(mine) >= self.limits.per_user:
                raise TooManyAttempts(
                    f"backtest_jobs_per_user: at most {self.limits.per_user} unfinished "
                    "backtests per user; wait for one to finish",
                    RETRY_SECONDS,
                )
            if len(unfinished) >= self.limits.total:
                raise TooManyAttempts(
                    f"backtest_jobs_total: at most {self.limits.total} unfinished backtests "
                    "on this server; try again shortly",
                    RETRY_SECONDS,
                )
            config = BotConfig.model_validate(request.config_fields)
            job = Job(
                id=secrets.token_urlsafe(12),
                user_id=actor.user_id,
                config=config,
                submitted_at=self._clock.now(),
                future=self._executor.submit(self._runner, request, source),
            )
            self._jobs[job.id] = job
            self._forget_old(actor.user_id)
        job.future.add_done_callback(lambda _: self._finished(job))
        return job

    def get(self, actor: Actor, job_id: str) -> Job:
        """Return the actor's job `job_id`; NotFound when missing or another user's."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.user_id != actor.user_id:
            raise NotFound(f"backtest: there is no backtest {job_id}")
        return job

    def of(self, actor: Actor) -> list[Job]:
        """Return the actor's jobs, newest first."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.user_id == actor.user_id]
        return sorted(jobs, key=lambda j: j.submitted_at, reverse=True)

    def close(self) -> None:
        """Stop the pool: queued jobs are cancelled, running ones end with their process."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _finished(self, job: Job) -> None:
        job.finished_at = self._clock.now()

    def _forget_old(self, user_id: int) -> None:
        finished = [j for j in self._jobs.values() if j.user_id == user_id and j.future.done()]
        finished.sort(key=lambda j: j.submitted_at)
        for job in finished[: max(0, len(finished) - self.limits.kept_per_user)]:
            del self._jobs[job.id]

"""Backtests as jobs: submit a bot config and a source of candles, then poll for the result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from tradewind.entrypoints.api.deps import CurrentUser
from tradewind.entrypoints.api.research_schemas import (
    BacktestCreate,
    BacktestPublic,
    BacktestResultPublic,
    BacktestSummaryPublic,
    EquityPointPublic,
    RoundTripPublic,
)
from tradewind.services.backtest.jobs import BacktestJobs, Job, JobResult
from tradewind.services.backtest.request import BacktestRequest

router = APIRouter(tags=["backtests"])
JobId = Annotated[str, Path(min_length=1, max_length=64, pattern="^[A-Za-z0-9_-]+$")]


def _jobs(request: Request) -> BacktestJobs:
    jobs: BacktestJobs = request.app.state.backtests
    return jobs


@router.post("/backtests", status_code=202, responses={401: {}, 403: {}, 429: {}})
def submit_backtest(body: BacktestCreate, request: Request, who: CurrentUser) -> BacktestPublic:
    """Queue a backtest of a bot config: on the candle store's newest `candles` of its
    market (`source=store`), on a generated market (`generated`), or the store's when it has
    them (`auto`). 429 names the limit of unfinished backtests; 422 the candle limit."""
    backtest = BacktestRequest(
        csv=None, config_file=None, exchange_info=None,
        generated_candles=body.candles, seed=body.seed,
        initial_balance=body.initial_balance, fee_rate=body.fee_rate,
        config_fields=body.config.model_dump(mode="json"),
        read_store=body.source != "generated",
    )  # fmt: skip
    job = _jobs(request).submit(who.actor, backtest, body.source)
    return job_public(job)


@router.get("/backtests", responses={401: {}, 403: {}})
def list_backtests(request: Request, who: CurrentUser) -> list[BacktestPublic]:
    """Your backtests of this server, newest first (results left out: GET one for it)."""
    return [job_public(j, with_result=False) for j in _jobs(request).of(who.actor)]


@router.get("/backtests/{job_id}", responses={401: {}, 403: {}, 404: {}})
def get_backtest(job_id: JobId, request: Request, who: CurrentUser) -> BacktestPublic:
    """A backtest's status, and once done its result: summary, trades and equity."""
    return job_public(_jobs(request).get(who.actor, job_id))


def job_public(job: Job, *, with_result: bool = True) -> BacktestPublic:
    result = job.result if with_result else None
    return BacktestPublic(
        id=job.id, status=job.status.value, submitted_at=job.submitted_at,
        finished_at=job.finished_at, error=job.error, config=job.config,
        result=None if result is None else result_public(result),
    )  # fmt: skip


def result_public(result: JobResult) -> BacktestResultPublic:
    s = result.summary
    return BacktestResultPublic(
        summary=BacktestSummaryPublic(
            source=result.source, candles=s.candles, start_time=s.start_time,
            end_time=s.end_time, initial_balance=s.initial_balance,
            final_balance=s.final_balance, total_pnl=s.total_pnl, fees=s.fees,
            trades=s.trades, wins=s.wins, max_drawdown=s.max_drawdown,
            buy_and_hold=s.buy_and_hold, open_pnl=s.open_pnl,
            exits_by_reason={k: v.count for k, v in s.by_reason.items()},
            skipped=dict(s.skipped), warnings=result.warnings,
        ),
        trades=[
            RoundTripPublic(
                side=t.side.value, entry_time=t.entry_time, entry_price=t.entry_price,
                quantity=t.quantity, exit_time=t.exit_time, exit_price=t.exit_price,
                exit_reason=None if t.exit_reason is None else t.exit_reason.value, pnl=t.pnl,
            )
            for t in result.trades
        ],
        equity=[EquityPointPublic(time=at, equity=value) for at, value in result.equity],
    )  # fmt: skip

"""`create_app`: the API on an open store, stateless (several can run behind a balancer).

Every piece of state (sessions, tokens, failed sign-ins) is in the database, so any
process can answer any request. Requests are never logged with their bodies, and errors
never echo what was sent: an exchange secret cannot reach a log line or an answer.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from tradewind.bootstrap.backtest import backtest_jobs
from tradewind.bootstrap.markets import chart_market
from tradewind.bootstrap.store import Store
from tradewind.entrypoints.api.errors import install_error_handlers
from tradewind.entrypoints.api.guard import Guard
from tradewind.entrypoints.api.principals import PrincipalCache
from tradewind.entrypoints.api.routes import (
    accounts,
    auth,
    backtests,
    bots,
    charts,
    events,
    notifications,
    operator,
    strategies,
    two_factor,
)
from tradewind.ports import MarketData
from tradewind.services.backtest.jobs import BacktestJobs
from tradewind.services.identity import SignInLimits

API_PREFIX = "/api/v1"
DASHBOARD = Path(__file__).parent / "dashboard"


def create_app(
    store: Store, market: MarketData | None = None, jobs: BacktestJobs | None = None
) -> FastAPI:
    """Return the API serving `store` (the caller closes the store, and `app.state.backtests`:
    the backtest jobs' pool, built from the settings unless `jobs` are given).

    `market` is where bot charts read candles: the runtime's own when the API runs beside
    the ticks, else the real market's klines (what a paper run reads first).
    """
    settings = store.settings
    app = FastAPI(
        title="tradewind",
        version="1",
        summary="Automated trading bots for many users: accounts, bots, orders, trades, PnL.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.store = store
    app.state.market = market if market is not None else chart_market(settings)
    app.state.backtests = jobs if jobs is not None else backtest_jobs(settings)
    # On the store's clock: a lookup never outlives its credential by more than the TTL.
    app.state.principals = PrincipalCache(settings.auth_cache_seconds, store.clock.now)
    app.state.limits = SignInLimits(
        per_account=settings.login_failures_per_account,
        per_address=settings.login_failures_per_address,
        window_seconds=settings.login_window_seconds,
        session_seconds=int(settings.session_hours * 3600),
    )
    install_error_handlers(app)
    app.add_middleware(Guard, principals=app.state.principals)
    # operator's stop-all before bots' {bot_id}
    routers = (
        auth, two_factor, accounts, operator, bots, charts, backtests, strategies, events,
        notifications,
    )  # fmt: skip
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/health", tags=["health"])
    def health() -> dict[str, str]:
        """Whether the API answers (no sign-in needed)."""
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        """The web dashboard: a static page over this API."""
        return FileResponse(DASHBOARD / "index.html")

    app.mount("/dashboard", StaticFiles(directory=DASHBOARD), name="dashboard")
    return app

"""`create_app`: the API on an open store, stateless (several can run behind a balancer).

Every piece of state (sessions, tokens, failed sign-ins) is in the database, so any
process can answer any request. Requests are never logged with their bodies, and errors
never echo what was sent: an exchange secret cannot reach a log line or an answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from tradewind.bootstrap.backtest import backtest_jobs
from tradewind.bootstrap.markets import chart_market
from tradewind.bootstrap.store import Store
from tradewind.entrypoints.api.deps import SAFE_METHODS
from tradewind.entrypoints.api.errors import install_error_handlers
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
# The dashboard is the site's own files only: no inline script, no other origin, no frames.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


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
    app.middleware("http")(_same_origin_changes)
    app.middleware("http")(_security_headers)
    app.middleware("http")(_forget_credentials)
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


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    return response


async def _forget_credentials(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    # A change may have revoked, ended or disabled what a read looked up meanwhile: once
    # it is done, the reads of this process look their credentials up afresh.
    response = await call_next(request)
    if request.method not in SAFE_METHODS:
        request.app.state.principals.clear()
    return response


async def _same_origin_changes(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    # A browser names the page's origin on every cross-site request that changes state;
    # refusing a foreign one protects the sign-in form too, which has no session (and so
    # no CSRF token) yet. Scripts send no Origin and are not affected.
    origin = request.headers.get("origin")
    if request.method not in SAFE_METHODS and origin is not None:
        expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin.rstrip("/") != expected:
            return JSONResponse(
                {"detail": "origin: changes are accepted only from this site's own pages"},
                status_code=403,
            )
    return await call_next(request)

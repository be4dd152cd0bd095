"""The services' errors as HTTP answers; validation errors that never echo the input.

NotFound 404 (another user's thing reads exactly as a missing one), Conflict 409,
Forbidden 403, NotAuthenticated 401, TooManyAttempts 429, TemporaryExchangeError 503,
the database away 503 (said in the log in one line, again only when the cause changes),
ConfigurationError 422 with the field and the rule, as FastAPI's own validation errors
have them. Those carry only where and what (`loc`, `msg`, `type`): never the value sent,
which may be a secret.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tradewind.domain.errors import (
    ConfigurationError,
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    TemporaryExchangeError,
    TooManyAttempts,
    TradewindError,
)
from tradewind.domain.strategies import ParamError, UnknownStrategyError

log = logging.getLogger("tradewind.api")
_FIELD_RULE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.\[\]]*):\s*(.+)$")
_STATUS: dict[type[TradewindError], int] = {
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    NotAuthenticated: 401,
    TooManyAttempts: 429,
    TemporaryExchangeError: 503,  # the exchange could not be asked now (an account's keys)
}


def field_errors(message: str) -> list[dict[str, Any]]:
    """Return `field: rule` lines of a service's message as FastAPI-style error entries."""
    entries = []
    for line in message.splitlines():
        found = _FIELD_RULE.match(line)
        if found is None:
            continue
        loc = ["body", *found.group(1).split(".")]
        entries.append({"loc": loc, "msg": found.group(2), "type": "value_error"})
    return entries or [{"loc": ["body"], "msg": message, "type": "value_error"}]


def _answer(error: TradewindError) -> JSONResponse:
    for kind, status in _STATUS.items():
        if isinstance(error, kind):
            headers = {}
            if isinstance(error, NotAuthenticated):
                headers["WWW-Authenticate"] = "Bearer"
            if isinstance(error, TooManyAttempts):
                headers["Retry-After"] = str(error.retry_after)
            return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)
    if isinstance(error, ConfigurationError | ParamError | UnknownStrategyError):
        return JSONResponse({"detail": field_errors(str(error))}, status_code=422)
    return JSONResponse({"detail": "the request could not be carried out"}, status_code=400)


def install_error_handlers(app: FastAPI) -> None:
    """Answer the services' errors and validation errors as the module docstring says."""

    async def tradewind_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, TradewindError)
        return _answer(error)

    async def invalid_request(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        detail = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    async def unreadable_body(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        # FastAPI answers 400 to a body it cannot decode (not UTF-8, not JSON): a 422 as
        # for any other bad body, so every operation documents one answer to bad input.
        if error.status_code == 400:
            unreadable = [{"loc": ["body"], "msg": "must be JSON in UTF-8", "type": "json_invalid"}]
            return JSONResponse({"detail": unreadable}, status_code=422)
        return await http_exception_handler(request, error)

    from tradewind.bootstrap.store import database_outage
    from tradewind.services.outages import one_line

    said: list[str] = []  # the outage cause last logged

    async def database_away(request: Request, error: Exception) -> Response:
        if not database_outage(error):
            raise error  # a bug, not an outage: the server's own 500 and its traceback
        cause = one_line(getattr(error, "orig", None) or error)
        if said != [cause]:
            log.warning("API requests fail: the database is away (%s); answering 503", cause)
            said[:] = [cause]
        detail = {"detail": "the database is away for a moment; try again shortly"}
        return JSONResponse(detail, status_code=503, headers={"Retry-After": "5"})

    handler = Callable[[Request, Exception], Awaitable[Response]]
    handlers: list[tuple[type[Exception], handler]] = [
        (TradewindError, tradewind_error),
        (DBAPIError, database_away),
        (PoolTimeout, database_away),
        (RequestValidationError, invalid_request),
        (HTTPException, unreadable_body),
    ]
    for kind, handle in handlers:
        app.add_exception_handler(kind, handle)

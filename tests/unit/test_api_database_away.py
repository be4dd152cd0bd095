"""The API with its database away: 503 and one line in the log, never a traceback; an
error that is no outage is still the server's 500."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError

from tradewind.entrypoints.api.errors import install_error_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/away")
    def away() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    @app.get("/bug")
    def bug() -> None:
        raise IntegrityError("INSERT", {}, ValueError("duplicate key"))

    return app


def test_the_database_away_is_a_503_said_once(caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(_app())
    with caplog.at_level(logging.WARNING, "tradewind.api"):
        answers = [client.get("/away") for _ in range(3)]
    assert {a.status_code for a in answers} == {503}
    assert answers[0].headers["Retry-After"] == "5"
    said = [r.getMessage() for r in caplog.records if r.name == "tradewind.api"]
    assert said == [
        "API requests fail: the database is away "
        "(ConnectionRefusedError: connection refused); answering 503"
    ]
    assert not any(r.exc_info for r in caplog.records)


def test_an_error_that_is_no_outage_stays_a_500() -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    assert client.get("/bug").status_code == 500

"""The notification thread during an outage: one line per cause, no tracebacks, and a
line when passes work again."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tests.notify.desk import Desk
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.unit_of_work import SqlNotifyUnitOfWork
from tradewind.services.notify import BackgroundDispatcher


class Outage:
    """The database's units of work, unreachable while `cause` is set."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.cause: Exception | None = None

    def __call__(self) -> SqlNotifyUnitOfWork:
        if self.cause is not None:
            raise self.cause
        return self.desk.uow()


def test_an_outage_is_one_line_per_cause_and_never_a_traceback(
    sessions: sessionmaker[Session], secrets: SecretBox, caplog: pytest.LogCaptureFixture
) -> None:
    desk = Desk(sessions, secrets)
    outage = Outage(desk)
    dispatcher = BackgroundDispatcher(replace(desk.deps, uow=outage), poll_seconds=5)
    refused = OperationalError("SELECT …", {}, ConnectionRefusedError("connection refused"))
    caplog.set_level(logging.WARNING, logger="tradewind.notify")

    outage.cause = refused
    assert [dispatcher.run_guarded() for _ in range(20)] == [False] * 20
    outage.cause = TimeoutError("the database did not answer within 30 s")
    assert [dispatcher.run_guarded() for _ in range(20)] == [False] * 20
    outage.cause = None
    assert dispatcher.run_guarded()
    assert dispatcher.run_guarded()

    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines
    assert lines[0].startswith("notification passes fail (OperationalError: ")
    assert "connection refused" in lines[0]
    assert "quiet until the cause changes" in lines[0]
    assert lines[1].startswith(
        "notification passes fail (TimeoutError: the database did not answer within 30 s)"
    )
    assert lines[2] == (
        "notification passes work again "
        "(after: TimeoutError: the database did not answer within 30 s)"
    )
    assert all(r.exc_info is None for r in caplog.records)  # no traceback at warning level
    assert "\n" not in "".join(lines)
    desk.close()

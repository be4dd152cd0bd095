"""A unique key taken by a concurrent transaction becomes the domain's `Conflict`.

The services look a name up before they add it and say which is taken. Two requests at
once may both pass that look-up; the database's unique constraint then refuses the
second, and this turns that refusal — recognized by its error code, never its message —
into the same kind of answer (the API's 409) instead of a server error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradewind.domain.errors import Conflict

_POSTGRES_UNIQUE_VIOLATION = "23505"
_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


@contextmanager
def taken_as_conflict(message: str) -> Iterator[None]:
    """Raise `Conflict(message)` for a unique-constraint violation inside the block."""
    try:
        yield
    except IntegrityError as e:
        if not is_unique_violation(e):
            raise
        raise Conflict(message) from e


def add_unique(session: Session, row: object, taken: str) -> None:
    """Add `row` and write it now; `Conflict(taken)` when one of its unique keys is taken."""
    session.add(row)
    with taken_as_conflict(taken):
        session.flush()


def is_unique_violation(error: IntegrityError) -> bool:
    """Tell whether the database refused a row for a unique key (PostgreSQL or SQLite)."""
    driver_error = error.orig
    return (
        getattr(driver_error, "sqlstate", None) == _POSTGRES_UNIQUE_VIOLATION
        or getattr(driver_error, "sqlite_errorname", None) in _SQLITE_UNIQUE
    )

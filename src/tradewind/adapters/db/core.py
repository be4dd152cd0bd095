"""Helpers for the tick's hot statements: SQLAlchemy Core, built once at import.

The tick runs thousands of times a minute, so its repositories skip ORM query building:
each statement is a module-level Core construct with named bind parameters. SQLAlchemy
memoizes a construct's cache key on the object and compiles it once per dialect, so an
execution only binds values and runs. Bind parameters are named `p_<column>`: a name equal
to a column would make an INSERT or UPDATE set that column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

import psycopg
from sqlalchemy import BindParameter, ColumnElement, Connection, Table, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tradewind.adapters.db.tables import Base
from tradewind.domain.orders import OrderStatus

UNRESOLVED = tuple(status.value for status in OrderStatus if not status.is_final)


def table_of(row_type: type[Base]) -> Table:
    """Return the Core table of a mapped row class."""
    return cast("Table", row_type.__table__)


def param(column: ColumnElement[Any]) -> BindParameter[Any]:
    """Return the bind parameter `p_<name>` typed like `column`."""
    return bindparam(f"p_{column.key}", type_=column.type)


def params(values: Mapping[str, object]) -> dict[str, object]:
    """Return `values` keyed by the bind parameter names of `param`."""
    return {f"p_{name}": value for name, value in values.items()}


def unresolved(table: Table) -> ColumnElement[bool]:
    """Return `status IN (<every status that is not final>)` for the orders table.

    Written out as constant SQL: an expanding IN list would be re-rendered at every run.
    """
    listed = ", ".join(f"'{status}'" for status in UNRESOLVED)
    return cast("ColumnElement[bool]", text(f"{table.name}.status IN ({listed})"))


@contextmanager
def statement_is_transaction(db: Connection) -> Iterator[None]:
    """Make each statement inside a transaction of its own, if none is open yet.

    psycopg opens a transaction with a BEGIN round trip before the first statement and
    ends it with a COMMIT round trip; a statement run in autocommit needs neither. This
    only applies while the server has no transaction open on the connection (so before
    the unit of work's first statement): inside one, the statement joins it as usual.
    Statements after the block open a transaction as usual.
    """
    driver = db.connection.driver_connection
    if (
        db.dialect.name != "postgresql"
        or driver is None
        or driver.autocommit
        or driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    ):
        yield
        return
    driver.autocommit = True
    try:
        yield
    finally:
        if not driver.closed:
            driver.autocommit = False


def connection(session: Session) -> Connection:
    """Return the session's connection, in the unit of work's transaction."""
    return session.connection()


def per_dialect(build: Callable[[Callable[[Table], Any]], Any]) -> dict[str, Any]:
    """Build a statement with each database's INSERT (for ON CONFLICT); key: dialect name."""
    return {"postgresql": build(postgresql.insert), "sqlite": build(sqlite.insert)}


def columns_except(table: Table, skipped: Iterable[str]) -> list[Any]:
    """Return the table's columns but `skipped`, in table order."""
    leave = set(skipped)
    return [column for column in table.c if column.key not in leave]

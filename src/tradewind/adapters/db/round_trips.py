"""Count the round trips an engine makes to PostgreSQL: statements, BEGIN, COMMIT, ROLLBACK.

psycopg sends BEGIN before the first statement of a transaction and COMMIT at its end,
each a round trip of its own; a statement in autocommit needs neither. The bot lock's
statements, sent on the driver directly, are counted by the lock itself.
"""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, event

_IDLE = psycopg.pq.TransactionStatus.IDLE


class RoundTrips:
    """A running count of the round trips of one engine (see the module)."""

    def __init__(self) -> None:
        self.count = 0

    @classmethod
    def watch(cls, engine: Engine) -> RoundTrips:
        """Count the round trips `engine` makes from now on."""
        counter = cls()

        def before_statement(connection: Connection, *_args: Any) -> None:
            driver = connection.connection.driver_connection
            begins = driver is not None and not driver.autocommit and _idle(driver)
            counter.count += 2 if begins else 1

        def ending(connection: Connection) -> None:
            driver = connection.connection.driver_connection
            if driver is not None and not _idle(driver):
                counter.count += 1

        event.listen(engine, "before_cursor_execute", before_statement)
        event.listen(engine, "commit", ending)
        event.listen(engine, "rollback", ending)
        return counter


def _idle(driver: Any) -> bool:
    return bool(driver.info.transaction_status == _IDLE)

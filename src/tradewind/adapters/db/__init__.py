"""The database adapter: SQLAlchemy 2 tables, repositories, units of work, bot locks,
encrypted account secrets and Alembic migrations, on SQLite or PostgreSQL.

Typical wiring::

    engine = make_engine(settings.database_url)
    ensure_migrated(engine)
    uow = SqlUnitOfWork(session_factory(engine), SecretBox.from_settings(settings))
"""

from tradewind.adapters.db.engine import (
    ensure_migrated,
    make_engine,
    migrate,
    session_factory,
)
from tradewind.adapters.db.locks import AdvisoryBotLock, LocalBotLock, make_bot_lock
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork

__all__ = [
    "AdvisoryBotLock",
    "LocalBotLock",
    "SecretBox",
    "SqlManageUnitOfWork",
    "SqlUnitOfWork",
    "ensure_migrated",
    "make_bot_lock",
    "make_engine",
    "migrate",
    "session_factory",
]

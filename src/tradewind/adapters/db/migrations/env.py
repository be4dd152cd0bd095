"""Alembic environment: migrate the connection `tradewind init` hands over.

Programmatic use (`engine.migrate`) passes an open connection in
`config.attributes["connection"]`. For writing a new revision by hand, run Alembic with
`-x url=…` (or TRADEWIND_DATABASE_URL set) and `script_location` pointing here.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from tradewind.adapters.db.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters tables by copying them; Alembic's batch mode does that.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_standalone() -> None:
    from tradewind.adapters.db.engine import make_engine
    from tradewind.settings import Settings

    url = context.get_x_argument(as_dictionary=True).get("url") or Settings().database_url
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("tradewind migrations run online only (tradewind init)")
given = context.config.attributes.get("connection")
if given is None:
    _run_standalone()
else:
    _run(given)

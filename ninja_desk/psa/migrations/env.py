"""Alembic environment for the PSA database.

Run through `ninja_desk.psa.migrator.migrate(url)`, which hands over an open connection; the
plain `alembic` command works too when `sqlalchemy.url` is set in the config.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from ninja_desk.psa.schema import metadata

config = context.config


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables for later migrations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()

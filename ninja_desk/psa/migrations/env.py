"""Alembic environment for the PSA database.

Run through `ninja_desk.psa.migrator.migrate(url)`, which hands over an open connection. The
version lives in `ninjadesk_alembic_version`: on an Alga database every table NinjaDesk adds
for itself carries the `ninjadesk_` prefix, and Alga's own (Knex) bookkeeping is left alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from ninja_desk.psa.schema import metadata

VERSION_TABLE = "ninjadesk_alembic_version"

config = context.config


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_run(config.attributes["connection"])
